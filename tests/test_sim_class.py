"""`smtp-tutor serve` for a class (issue 13): --make-accounts with --users-out, --users CSV, bounded reads.

Real runs on 127.0.0.1 port 0, a real client (smtplib); every wait is bounded.
"""

import base64
import csv
import os
import re
import smtplib
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def serve(*args: str, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", "0", "--quiet", *args], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def port_of(process: subprocess.Popen) -> int:
    line = process.stdout.readline()
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    assert match, (line, process.stderr.read() if process.poll() is not None else "")
    return int(match.group(1))


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    return process.communicate(timeout=10)[1]


def login(port: int, user: str, password: str) -> tuple[int, bytes]:
    """One AUTH PLAIN (smtplib's login() would try every advertised mechanism in turn)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("student.example")
        blob = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return client.docmd("AUTH", "PLAIN " + blob)


def test_make_accounts_writes_a_0600_class_file_and_serves_those_accounts(tmp_path):
    process = serve("--make-accounts", "5", "--users-out", "class.csv", cwd=tmp_path)
    try:
        port = port_of(process)
        path = tmp_path / "class.csv"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
        assert [row["name"] for row in rows] == ["student01", "student02", "student03", "student04", "student05"]
        assert login(port, "student03", rows[2]["password"]) == (235, b"2.7.0 Authentication successful")
        assert login(port, "tim", "tanstaaftanstaaf")[0] == 535          # the built-in accounts are replaced
    finally:
        err = stop(process)
    assert "wrote 5 accounts to class.csv (mode 0600)" in err and rows[0]["password"] not in err


def test_users_csv_with_an_error_note_is_served(tmp_path):
    (tmp_path / "class.csv").write_text("name,password,note\nann,apple,\nbob,berry,error=454\n", encoding="utf-8")
    process = serve("--users", "class.csv", cwd=tmp_path)
    try:
        port = port_of(process)
        assert login(port, "ann", "apple") == (235, b"2.7.0 Authentication successful")
        assert login(port, "bob", "berry") == (454, b"4.7.0 Temporary authentication failure")
    finally:
        stop(process)


@pytest.mark.parametrize("args,message", [
    (["--users", "/dev/zero"], "users file /dev/zero"),   # serve's check: "not a regular file"; the reader's: "over 1024 KiB"
    (["--make-accounts", "3"], "--make-accounts N and --users-out FILE go together"),
    (["--users-out", "x.csv"], "--make-accounts N and --users-out FILE go together"),
    (["--make-accounts", "3", "--users-out", "x.csv", "--users", "y"], "use one"),
    (["--make-accounts", "0", "--users-out", "x.csv"], "--make-accounts 0: use 1 to 1000"),
])
def test_bad_class_options_are_one_line_errors(tmp_path, args, message):
    process = serve(*args, cwd=tmp_path)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()
