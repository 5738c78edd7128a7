"""`smtp-tutor lesson N --record FILE` (and `smtp-tutor --record FILE lesson N`) record the lesson's session."""

import json
import os
import stat
import subprocess
import sys

import pytest


@pytest.mark.parametrize("where", ["after", "before"])
def test_a_lesson_session_is_recorded(tmp_path, where):
    path = tmp_path / "lesson.jsonl"
    record = ["--record", str(path)]
    argv = ["lesson", "3", *record] if where == "after" else [*record, "lesson", "3"]
    subprocess.run([sys.executable, "-m", "tutor", *argv], input=b"EHLO me\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n",
                   capture_output=True, timeout=30, check=False)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert entries[0]["type"] == "header" and entries[0]["redacted"] is True
    assert any(e.get("dir") == "C" and e["data"] == "EHLO me" for e in entries)
    assert "AHRpbQB0" not in path.read_text()
