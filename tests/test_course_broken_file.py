"""A malformed lesson file is named in one line; the other lessons are still listed and usable."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

LESSONS = Path(__file__).resolve().parent.parent / "lessons"


def test_list_names_the_broken_file_and_keeps_the_rest(tmp_path):
    for path in LESSONS.glob("0[12]-*.toml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "03-broken.toml").write_text('id = "03-broken"\ntitle = \n')   # not even TOML
    env = {**os.environ, "SMTP_TUTOR_LESSONS": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "tutor", "lesson", "--list"], capture_output=True, text=True,
                          env=env, timeout=30)
    assert done.returncode == 1
    assert "smtp-basics" in done.stdout and "base64" in done.stdout
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1 and "03-broken.toml" in errors[0] and "Traceback" not in done.stderr
