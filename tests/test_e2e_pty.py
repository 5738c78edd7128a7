"""The real `smtp-tutor` in a pseudo-terminal: log in by hand with LOGIN (base64 from :b64 encode) and with
CRAM-MD5 (:cram), reaching 235; then fail once with a wrong password (535). Nothing secret in history."""

import os
import sys

import pytest

pexpect = pytest.importorskip("pexpect")

B64 = r"=> ([A-Za-z0-9+/=]+)\s"
PASSWORD = "tanstaaftanstaaf"


@pytest.fixture
def tutor(tmp_path):
    env = dict(os.environ, TERM="xterm", NO_COLOR="1", XDG_STATE_HOME=str(tmp_path), PROMPT_TOOLKIT_NO_CPR="1",
               COLUMNS="200", LINES="50")
    child = pexpect.spawn(sys.executable, ["-m", "tutor"], env=env, timeout=10, encoding="utf-8",
                          dimensions=(50, 200))
    child.logfile_read = open(tmp_path / "pty.log", "w")  # noqa: SIM115 - pexpect writes it until the child ends
    yield child
    if child.isalive():
        child.terminate(force=True)


def say(child, line, expect):
    child.sendline(line)
    child.expect(expect)
    return child.match


def encode(child, text):
    return say(child, f":b64 encode {text}", B64).group(1)


def login_with_login(child, password):
    say(child, "EHLO laptop.example", "offers AUTH PLAIN LOGIN CRAM-MD5")
    say(child, "AUTH LOGIN", '"Username:"')
    say(child, encode(child, "tim"), '"Password:"')
    return say(child, encode(child, password), r"S: (\d{3}) ").group(1)


def test_log_in_by_hand_then_fail_once(tutor, tmp_path):
    tutor.expect(r"S: 220 ")
    tutor.expect("Connected to the built-in simulator")
    tutor.expect("C:")

    assert login_with_login(tutor, PASSWORD) == "235"

    say(tutor, ":connect sim", r"S: 220 ")
    say(tutor, "EHLO laptop.example", "offers AUTH")
    say(tutor, "AUTH CRAM-MD5", "CRAM-MD5 challenge")
    response = say(tutor, f":cram tim {PASSWORD}", B64).group(1)
    assert say(tutor, response, r"S: (\d{3}) ").group(1) == "235"

    say(tutor, ":connect sim", r"S: 220 ")
    assert login_with_login(tutor, "wrong-password") == "535"
    tutor.expect("C:")

    tutor.sendcontrol("d")
    tutor.expect(pexpect.EOF)
    tutor.close()
    assert tutor.exitstatus == 0

    stored = (tmp_path / "smtp-tutor" / "history").read_text()
    assert "EHLO laptop.example" in stored and ":connect sim" in stored    # lines typed inside AUTH: never kept
    for secret in (PASSWORD, "dGFuc3RhYWZ0YW5zdGFhZg==", "wrong-password", response):
        assert secret not in stored


def test_ctrl_c_keeps_the_repl_alive(tutor):
    tutor.expect("C:")
    tutor.send("EHLO half-typed")
    tutor.sendcontrol("c")
    say(tutor, "NOOP", r"S: 250 ")
    say(tutor, ":frobnicate", "unknown command :frobnicate")
    say(tutor, ":login tim", "Password for tim")
    say(tutor, "no-echo-secret", B64)                      # asked without echo, then the result
    assert "no-echo-secret" not in tutor.before
    tutor.expect("C:")
    tutor.sendcontrol("d")
    tutor.expect(pexpect.EOF)
    tutor.close()
    assert tutor.exitstatus == 0
    assert "Traceback" not in (tutor.before or "")


def test_ctrl_c_stops_a_hanging_connect_and_the_repl_goes_on(tmp_path):
    """A live server that accepts and never greets: Ctrl-C stops the wait at once (not after --timeout)."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    env = dict(os.environ, TERM="xterm", NO_COLOR="1", XDG_STATE_HOME=str(tmp_path), PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(sys.executable, ["-m", "tutor", "connect", f"127.0.0.1:{port}", "--timeout", "60"],
                          env=env, timeout=10, encoding="utf-8", dimensions=(50, 200))
    accepted = None
    try:
        child.expect(f"Connecting to 127.0.0.1:{port}")
        listener.settimeout(10)
        accepted, _ = listener.accept()               # connected: the client now waits for a greeting that never comes
        started = time.monotonic()
        child.sendcontrol("c")
        child.expect(f"stopped connecting to 127.0.0.1:{port}")
        assert time.monotonic() - started < 5
        child.expect("tutor> ")
        say(child, ":connect sim", r"S: 220 ")
        say(child, "NOOP", r"S: 250 ")
        child.expect("C: ")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        assert "Traceback" not in (child.before or "")
    finally:
        if accepted is not None:
            accepted.close()
        listener.close()
        if child.isalive():
            child.terminate(force=True)


def test_a_new_student_s_mistakes_each_get_a_way_on(tutor):
    """In a real terminal: the lab accounts in the greeting, `tim` typed for its base64, :cram before any
    challenge, Ctrl-C inside an AUTH exchange, a password typed without echo, and Ctrl-D's QUIT."""
    tutor.expect("Lab accounts: tim / tanstaaftanstaaf, demo / demo")
    say(tutor, "EHLO laptop.example", "offers AUTH")
    say(tutor, "AUTH LOGIN", '"Username:"')
    say(tutor, "tim", r"this looks like the value itself, not its base64: try `:b64 encode tim`")
    say(tutor, ":cram tim tanstaaftanstaaf", r"no CRAM-MD5 challenge yet")
    say(tutor, "AUTH PLAIN", r"S: 334")
    tutor.expect(r"C \(base64\):")
    tutor.sendcontrol("c")
    tutor.expect(r"C: \*")
    tutor.expect(r"S: 501 ")
    say(tutor, ":plain tim", "Password for tim")
    say(tutor, "no-echo-secret", r"password\s+\S+ \(hidden\)")
    tutor.expect(B64)
    assert "no-echo-secret" not in tutor.before
    tutor.expect("C:")
    tutor.sendcontrol("d")
    tutor.expect(r"C: QUIT")
    tutor.expect(r"S: 221 ")
    tutor.expect(pexpect.EOF)
    tutor.close()
    assert tutor.exitstatus == 0
