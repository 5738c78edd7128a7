"""`smtp-tutor serve` as a user runs it: profiles list, one-line errors with exit 2, a real run stopped by Ctrl-C."""

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from peers import WAIT
from tutor.cli_serve import main

ROOT = Path(__file__).resolve().parent.parent


def serve(*args: str, env_home: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if env_home is not None:
        env["XDG_STATE_HOME"] = str(env_home)
    return subprocess.Popen([sys.executable, "-m", "tutor", "serve", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def listening_port(process: subprocess.Popen) -> int:
    line = process.stdout.readline()   # the one "listening on" line comes first
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    assert match, line
    return int(match.group(1))


def test_list_profiles(capsys):
    assert main(["--list-profiles"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["lab", "strict", "legacy-2002", "glitchy-cram", "fixed-challenge", "draft-login", "modern",
                     "fixed-scram", "impostor"]


@pytest.mark.parametrize("args,message", [
    (["--user", "nocolon"], "--user (no ':' in it): expected NAME:PASSWORD"),
    (["--users", "/nonexistent/users"], "cannot read users file /nonexistent/users: No such file or directory"),
    (["--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"], "TLS certificate file not found"),
    (["--tls-cert", "/nonexistent/c.pem"], "--tls-cert and --tls-key go together"),
    (["--max-clients", "0"], "--max-clients must be at least 1"),
    (["--hostname", "bad host"], "--hostname 'bad host': use letters, digits, dots and hyphens only"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(args + ["--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve("--port", str(port), env_home=tmp_path)
        _out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 2
    assert err.strip().endswith(f"cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "Traceback" not in err and err.strip().count("\n") == 0


def test_a_real_run_with_users_file_and_maildir_then_ctrl_c(tmp_path):
    users = tmp_path / "users"
    users.write_text("alice:wonderland\n", encoding="utf-8")
    process = serve("--port", "0", "--users", str(users), "--maildir", str(tmp_path / "mail"), "--seed", "1",
                    env_home=tmp_path / "state")
    try:
        port = listening_port(process)
        with smtplib.SMTP("127.0.0.1", port, timeout=WAIT) as client:
            client.login("alice", "wonderland")
            client.sendmail("alice@example.org", ["bob@example.net"], "Subject: hi\r\n\r\nhello\r\n")
        assert (tmp_path / "state" / "smtp-tutor" / "lab-cert.pem").is_file()   # made on first use
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 0 and "stopped" in err and "Traceback" not in err
    assert "C: AUTH CRAM-MD5" in out and "wonderland" not in out   # smtplib prefers CRAM-MD5
    (stored,) = list((tmp_path / "mail" / "new").iterdir())
    assert stored.read_bytes().endswith(b"Subject: hi\r\n\r\nhello\r\n")


def test_sigterm_stops_cleanly_too(tmp_path):
    process = serve("--port", "0", "--quiet", env_home=tmp_path)
    try:
        listening_port(process)
        time.sleep(0.1)
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 0 and "Traceback" not in err
