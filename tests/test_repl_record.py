"""`--record FILE` streams the transcript as it happens: 0600, redacted, nothing lost before the end."""

import json
import os
import stat

from tutor.repl.shell import Shell


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_record_is_written_line_by_line_and_redacted(tmp_path):
    path = tmp_path / "session.jsonl"
    shell = Shell(record=str(path))
    shell.start()
    shell.handle("EHLO laptop")
    shell.handle("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm")     # RFC 4616 vector: tim / tanstaaftanstaaf
    entries = read(path)                                        # before finish(): already on disk
    assert entries[0]["type"] == "header" and entries[0]["redacted"] is True
    sent = [e["data"] for e in entries if e.get("dir") == "C"]
    assert sent[0] == "EHLO laptop"
    assert "AHRpbQB0YW5zdGFhZnRhbnN0YWFm" not in path.read_text()
    assert "tanstaaftanstaaf" not in path.read_text()
    assert any(e.get("dir") == "S" and e["data"].startswith("235") for e in entries)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    shell.finish()


def test_unwritable_record_path_is_one_error_line(tmp_path):
    items = []
    shell = Shell(record=str(tmp_path / "missing-dir" / "x.jsonl"), out=items.extend)
    shell.start()
    assert any("cannot write transcript" in item.text for item in items)
    assert shell.handle("NOOP") is not False
