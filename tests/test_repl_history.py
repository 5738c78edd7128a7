"""History never holds a password or an AUTH answer; it lives in the XDG state directory."""

import base64
import os
import stat
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tutor.repl import commands, history
from tutor.repl.app import ReplApp
from tutor.repl.history import SafeHistory, safe_form
from tutor.repl.shell import Shell

PASSWORD = "tanstaaftanstaaf"


def test_state_dir_follows_xdg(tmp_path):
    assert history.history_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "smtp-tutor" / "history"
    home = Path.home() / ".local" / "state" / "smtp-tutor"
    assert history.state_dir({}) == home
    assert history.state_dir({"XDG_STATE_HOME": "relative/dir"}) == home   # the spec: relative paths are invalid


def form(line, in_auth=False, secrets=()):
    return safe_form(line, in_auth=in_auth, secrets=set(secrets), redact_command=commands.redact)


@pytest.mark.parametrize("line,expected", [
    ("EHLO laptop.example", "EHLO laptop.example"),
    ("AUTH LOGIN", "AUTH LOGIN"),
    ("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "AUTH PLAIN"),
    ("auth plain AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "auth plain"),
    (":plain tim tanstaaftanstaaf", ":plain tim"),
    (":plain tim", ":plain tim"),
    (":plain --authzid bob tim tanstaaftanstaaf", ":plain --authzid bob tim"),
    (":login tim 'pass word'", ":login tim"),
    (":cram tim tanstaaftanstaaf", ":cram tim"),
    (":auth PLAIN tim tanstaaftanstaaf", ":auth PLAIN tim"),
    (":auth LOGIN tim tanstaaftanstaaf --initial", ":auth LOGIN tim --initial"),
    (":b64 encode tim", ":b64 encode tim"),
    (":plain tim 'unclosed", None),
    ("", None),
])
def test_safe_forms(line, expected):
    assert form(line) == expected


def test_lines_inside_an_auth_exchange_are_never_kept():
    assert form("dGlt", in_auth=True) is None
    assert form("*", in_auth=True) is None
    assert form(f":b64 encode {PASSWORD}", in_auth=True) is None          # how a learner makes the answer


def test_lines_with_a_known_secret_are_dropped():
    assert form(f"NOOP {PASSWORD}", secrets={PASSWORD}) is None
    assert form(":b64 encode \\0tim\\0" + PASSWORD, secrets={PASSWORD}) is None
    assert form("EHLO demo.example", secrets={"ab"}) == "EHLO demo.example"   # short secrets: whole words only
    assert form("NOOP ab", secrets={"ab"}) is None


def test_a_password_learnt_later_is_scrubbed_from_the_file(tmp_path):
    path = tmp_path / "history"
    hist = SafeHistory(path, lambda line: line)
    for line in ("EHLO x", f":b64 encode {PASSWORD}", "NOOP"):
        hist.append_string(line)
    assert hist.scrub({PASSWORD}) == 1
    assert PASSWORD not in path.read_text()
    assert list(hist.get_strings()) == ["EHLO x", "NOOP"]
    assert list(SafeHistory(path, lambda line: line).load_history_strings()) == ["NOOP", "EHLO x"]


def test_a_password_sent_by_hand_becomes_known():
    shell = Shell()
    shell.start()
    shell.handle(f":b64 encode {PASSWORD}")             # typed before the learner used it as a password
    for line in ("EHLO x", "AUTH LOGIN", "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="):
        shell.handle(line)
    assert PASSWORD in shell.secrets and "dGFuc3RhYWZ0YW5zdGFhZg==" in shell.secrets
    assert shell.typed == ["EHLO x", "AUTH LOGIN"]
    shell.handle("AUTH PLAIN AGRlbW8AZGVtbw==")          # demo / demo
    assert "demo" in shell.secrets


def test_safe_history_file_is_private_and_filtered(tmp_path):
    path = tmp_path / "state" / "smtp-tutor" / "history"
    hist = SafeHistory(path, lambda line: None if "secret" in line else line.upper())
    hist.append_string("ehlo x")
    hist.append_string("secret line")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert list(hist.get_strings()) == ["EHLO X"]
    assert "secret" not in path.read_text()


def test_no_password_reaches_the_history_file(tmp_path, monkeypatch):
    """A whole session in the terminal app: LOGIN by hand, PLAIN with an argument, an asked password,
    the autopilot; the history file keeps the commands and none of the secrets."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    typed = [
        f":b64 encode {PASSWORD}", "EHLO laptop.example", "AUTH LOGIN", ":b64 encode tim", "dGlt",
        base64.b64encode(PASSWORD.encode()).decode(),
        f":plain tim {PASSWORD}", ":login tim", "asked-secret-1",
        ":auth PLAIN demo demo", "", "RSET", f"NOOP {PASSWORD}", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
    ]
    with create_pipe_input() as pipe:
        app = ReplApp(Shell(), input=pipe, output=DummyOutput())
        pipe.send_text("".join(line + "\r" for line in typed) + "\x04")
        assert app.run() == 0
    stored = (tmp_path / "smtp-tutor" / "history").read_text()
    kept = [line[1:] for line in stored.splitlines() if line.startswith("+")]
    # ":auth PLAIN demo" went too: demo's password is "demo", known once sent
    assert kept == ["EHLO laptop.example", "AUTH LOGIN", ":plain tim", ":login tim", "RSET", "AUTH PLAIN"]
    for secret in (PASSWORD, "asked-secret-1", "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg==", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
                   "AGRlbW8AZGVtbw=="):
        assert secret not in stored


def test_an_unusable_history_file_is_one_note_not_a_traceback(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))          # the state directory cannot be made under a file
    printed = []
    with create_pipe_input() as pipe:
        app = ReplApp(Shell(), input=pipe, output=DummyOutput(), color=False)
        show = app.print_items
        app.print_items = lambda items: (printed.extend(items), show(items))
        pipe.send_text("EHLO x\r:plain tim hush-hush\r\x04")
        assert app.run() == 0
    assert app.history.problem and list(app.history.get_strings()) == ["EHLO x", ":plain tim"]
    assert printed[0].text.startswith("History is kept for this session only: cannot use ")
    assert any(i.kind == "result" for i in printed)              # the session went on


XOAUTH2_BLOB = "dXNlcj10aW0BYXV0aD1CZWFyZXIgbGFiLXRva2VuLTEyMzQBAQ=="   # user=tim^Aauth=Bearer lab-token-1234^A^A
OAUTHBEARER_BLOB = "bixhPXRpbSwBYXV0aD1CZWFyZXIgbGFiLXRva2VuLTEyMzQBAQ=="   # n,a=tim,^Aauth=Bearer lab-token-1234^A^A


@pytest.mark.parametrize("line", [
    ":decode AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
    ":b64 decode AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
    ":decode 'C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm'",
    f":decode {XOAUTH2_BLOB}",
    f":b64 decode {OAUTHBEARER_BLOB}",
    "NOOP AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
    ":b64 decode AHRpbQA=",                                     # PLAIN with an empty password is still one
])
def test_a_line_whose_base64_decodes_to_a_credential_is_not_kept(line):
    assert form(line) is None


@pytest.mark.parametrize("line", [":b64 decode dGlt", ":decode VXNlcm5hbWU6",
                                  ":decode 'SASL LOGIN failed: UGFzc3dvcmQ6'",
                                  ":b64 decode PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"])
def test_decoding_what_is_not_a_credential_stays_in_history(line):
    assert form(line) == line


def test_the_decoded_password_becomes_a_known_secret(tmp_path):
    shell = Shell()
    shell.handle(f":b64 encode {PASSWORD}")
    shell.handle(":decode AHRpbQB0YW5zdGFhZnRhbnN0YWFm")
    shell.handle(f":decode {XOAUTH2_BLOB}")
    assert PASSWORD in shell.secrets and "lab-token-1234" in shell.secrets
    assert shell.typed == []                                     # the earlier :b64 encode went too


def test_a_credential_left_in_the_file_by_an_older_version_is_scrubbed_on_load(tmp_path):
    path = tmp_path / "history"
    path.write_text("\n# old\n+EHLO x\n\n# old\n+:decode AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n\n# old\n+NOOP\n")
    os.chmod(path, 0o600)
    hist = SafeHistory(path, lambda line: line)
    assert list(hist.load_history_strings()) == ["NOOP", "EHLO x"]
    assert "AHRpbQB0YW5zdGFhZnRhbnN0YWFm" not in path.read_text()
    assert list(SafeHistory(path, lambda line: line).load_history_strings()) == ["NOOP", "EHLO x"]
