"""`smtp-tutor lesson NAME --connect HOST` honours the same clear-text guard as the REPL (tutor.repl.cleartext_guard):
credentials in clear text to a host that is not this machine are refused without a terminal unless --allow-cleartext,
in the demo and for a learner in batch mode alike; a simulator-only lesson refuses a live server before any network
use; the live options need --connect.

`serve` runs on 127.0.0.1 (tests/peers.py); `address.is_loopback` is patched so that it looks like a remote host.
"""

import io
import sys

import pytest
from peers import ServerThread

from tutor import cli
from tutor.transport import address

PASSWORD = "tanstaaftanstaaf"
LOGIN_LINES = ["EHLO laptop.example", "AUTH LOGIN", ":b64 decode VXNlcm5hbWU6", "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg==",
               ":lesson next", "QUIT"]


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("NO_COLOR", "1")


def remote(monkeypatch):
    """Make loopback look like a host elsewhere on the network."""
    monkeypatch.setattr(address, "is_loopback", lambda host: False)


def lesson(monkeypatch, capsys, stdin_lines, *argv):
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in stdin_lines)))
    code = cli.main(["lesson", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_demo_refuses_cleartext_credentials_to_a_remote_host(monkeypatch, capsys):
    remote(monkeypatch)
    with ServerThread() as server:
        code, out, err = lesson(monkeypatch, capsys, [PASSWORD], "auth-login", "--demo", "--no-pause",
                                "--connect", f"127.0.0.1:{server.port}", "--user", "tim")
    assert code == 1 and "Traceback" not in err
    assert "WARNING: this connection to 127.0.0.1 is not encrypted" in out
    assert "not sent: AUTH LOGIN would put your credentials on the network in clear text" in out
    assert "C: AUTH" not in out and "dGFuc3RhYWZ0YW5zdGFhZg==" not in out and PASSWORD not in out
    assert out.count("WARNING") == 1        # the demo stops at the refusal instead of failing every step after it


def test_the_demo_sends_them_with_allow_cleartext(monkeypatch, capsys):
    remote(monkeypatch)
    with ServerThread() as server:
        code, out, err = lesson(monkeypatch, capsys, [PASSWORD], "auth-login", "--demo", "--no-pause",
                                "--connect", f"127.0.0.1:{server.port}", "--user", "tim", "--allow-cleartext")
    assert code == 0, out[-2000:] + err
    assert "WARNING" not in out and "every step passed" in out.splitlines()[-1]
    assert PASSWORD not in out                # still masked on a live server


def test_on_loopback_there_is_nothing_to_guard(monkeypatch, capsys):
    with ServerThread() as server:
        code, out, _ = lesson(monkeypatch, capsys, [PASSWORD], "auth-login", "--demo", "--no-pause",
                              "--connect", f"127.0.0.1:{server.port}", "--user", "tim")
    assert code == 0 and "WARNING" not in out


def test_a_learner_in_batch_mode_is_refused_too(monkeypatch, capsys):
    remote(monkeypatch)
    with ServerThread() as server:
        code, out, err = lesson(monkeypatch, capsys, [PASSWORD, *LOGIN_LINES], "auth-login",
                                "--connect", f"127.0.0.1:{server.port}", "--user", "tim")
    assert code == 1 and "Traceback" not in err
    assert "WARNING: this connection to 127.0.0.1 is not encrypted" in out
    assert "not sent: AUTH LOGIN" in out and "C: AUTH" not in out and "Lesson complete" not in out


def test_a_learner_in_batch_mode_with_allow_cleartext_finishes(monkeypatch, capsys):
    remote(monkeypatch)
    with ServerThread() as server:
        code, out, err = lesson(monkeypatch, capsys, [PASSWORD, *LOGIN_LINES], "auth-login",
                                "--connect", f"127.0.0.1:{server.port}", "--user", "tim", "--allow-cleartext")
    assert code == 0, out[-2000:] + err
    assert "WARNING" not in out and "Lesson complete" in out
    assert "dGFuc3RhYWZ0YW5zdGFhZg==" not in out and PASSWORD not in out    # masked as `smtp-tutor connect` does


def test_a_simulator_only_lesson_refuses_a_live_server_before_connecting(monkeypatch, capsys):
    code, out, err = lesson(monkeypatch, capsys, [PASSWORD], "oauth-bearer", "--connect", "192.0.2.1:587",
                            "--user", "tim")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "runs on the built-in simulator only" in err and "Leave out --connect" in err


def test_a_simulator_only_lesson_refuses_start_here_on_a_live_connection():
    from tutor.repl.shell import Shell

    shown = []
    with ServerThread() as server:
        shell = Shell(out=shown.extend)
        shell.ask_password = lambda prompt: pytest.fail("asked for a password for a lesson that cannot run")
        assert shell.handle(f":connect 127.0.0.1:{server.port}")
        assert not shell.handle(":lesson start oauth-bearer --here --user tim")
        shell.handle("QUIT")
    assert shell.lesson is None
    assert any("runs on the built-in simulator only" in i.text and "--here" in i.text for i in shown)


@pytest.mark.parametrize("argv", [["3", "--tls"], ["3", "--user", "tim"], ["3", "--demo", "--allow-cleartext"]])
def test_live_options_need_connect(monkeypatch, capsys, argv):
    code, out, err = lesson(monkeypatch, capsys, [], *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and "--connect" in err


def test_starttls_and_tls_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["lesson", "3", "--connect", "127.0.0.1", "--starttls", "--tls"])
    assert info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
