"""The batch-mode client as a learner would run it (`python -m tutor connect ... --script FILE`), and the
scripts it runs: shared by the lab Postfix tests and the aiosmtpd tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_WAIT = 60.0     # one whole client run
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")
MODES = ("plain", "starttls", "tls")


def run_client(target: str, flags: list[str], lines: list[str]) -> subprocess.CompletedProcess:
    """Run the client on a script; stdout is the plain transcript."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as script:
        script.write("".join(line + "\n" for line in lines))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "SMTP_TUTOR_DEBUG": ""}
    try:
        return subprocess.run([sys.executable, "-m", "tutor", "connect", target, *flags, "--timeout", "10",
                               "--script", script.name], capture_output=True, text=True, timeout=RUN_WAIT,
                              cwd=ROOT, env=env, stdin=subprocess.DEVNULL, check=False)
    finally:
        os.unlink(script.name)


def tls_flags(mode: str, cafile: str | None) -> list[str]:
    flags = {"plain": [], "starttls": ["--starttls"], "tls": ["--tls"]}[mode]
    return flags + (["--cafile", cafile] if cafile and mode != "plain" else [])


def login_lines(mode: str, mechanism: str, user: str, password: str) -> list[str]:
    if mode == "starttls":      # `connect --starttls` did EHLO, STARTTLS and EHLO again itself (tutor.repl.live)
        return [f":auth {mechanism} {user} {password}"]
    return ["EHLO laptop.example", f":auth {mechanism} {user} {password}"]


def message_lines(user: str, rcpt: str, token: str) -> list[str]:
    return [f"MAIL FROM:<{user}@example.org>", f"RCPT TO:<{rcpt}>", "DATA", f"Subject: {token}",
            f"From: {user}@example.org", f"To: {rcpt}", "", f"sent by the smtp-auth-tutor tests: {token}", ".",
            "QUIT"]


def unique(mode: str, mechanism: str) -> tuple[str, str]:
    """A recipient and a token no other run uses."""
    tag = f"{mode}-{mechanism.lower()}-{uuid.uuid4().hex[:10]}"
    return f"tutor-{tag}@example.com", tag


def wait_for(check, seconds: float = 5.0):
    """Poll `check()` until it returns something truthy or time is up; its last result."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def assert_logged_in_and_sent(done: subprocess.CompletedProcess, password: str) -> None:
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "S: 235 2.7.0" in out and "S: 250 " in out and "S: 221 " in out
    assert password not in out   # masked on screen, the echoed :auth line included
    assert "Traceback" not in done.stderr
