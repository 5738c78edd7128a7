"""The `:` command registry and the built-in commands, driven through the Shell as a learner would."""

import json
import sys
import types

import pytest

from tutor.repl import commands
from tutor.repl.commands import COMMANDS, ReplCommand, register
from tutor.repl.shell import Shell
from tutor.sim import SimServer


def make_shell(profile="lab"):
    out = []
    shell = Shell(profile=profile, out=out.extend)
    shell.start()
    out.clear()
    return shell, out


def texts(items, kind=None):
    return [i.text for i in items if kind is None or i.kind == kind]


def test_every_command_has_syntax_summary_and_help():
    names = commands.names()
    for name in ("help", "b64", "plain", "login", "cram", "decode", "explain", "auth", "connect", "disconnect",
                 "starttls", "server", "verbose", "trace", "history", "quit"):
        assert name in names
    for name in names:
        command = commands.get(name)
        assert command.syntax and command.summary and command.help, name


def test_the_shared_helpers_are_included_automatically():
    from tutor.helpers.registry import HELPERS

    for name, helper in HELPERS.items():
        assert commands.get(name).syntax == helper.syntax
        assert commands.get(name).data["helper"] is helper


def test_other_modules_can_register_commands():
    seen = []
    register(ReplCommand("lessonx", "lessonx list", "lessons", "help text", lambda shell, text: seen.append(text)))
    try:
        shell, out = make_shell()
        assert shell.handle(":lessonx list 3")
        assert seen == ["list 3"]
    finally:
        COMMANDS.pop("lessonx")


def test_unknown_command_is_one_error_line_and_a_failure():
    shell, out = make_shell()
    assert not shell.handle(":frobnicate")
    assert [i.kind for i in out] == ["error"] and "frobnicate" in out[0].text
    assert shell.failed


def test_helper_errors_are_one_line():
    shell, out = make_shell()
    assert not shell.handle(":b64 decode dGlt!")
    assert [i.kind for i in out] == ["error"] and "invalid base64" in out[0].text
    out.clear()
    assert not shell.handle(":b64")                      # argparse: missing arguments
    assert [i.kind for i in out] == ["error"] and out[0].text.startswith(":b64:")
    out.clear()
    assert not shell.handle(':b64 encode "unclosed')
    assert [i.kind for i in out] == ["error"]


def test_internal_errors_never_show_a_traceback(monkeypatch):
    monkeypatch.delenv("SMTP_TUTOR_DEBUG", raising=False)
    register(ReplCommand("boom", "boom", "s", "h", lambda shell, text: 1 / 0))
    try:
        shell, out = make_shell()
        assert not shell.handle(":boom")
        assert "ZeroDivisionError" in out[0].text and out[0].kind == "error"
    finally:
        COMMANDS.pop("boom")


def test_b64_helper_output():
    shell, out = make_shell()
    assert shell.handle(":b64 encode tim")
    assert ("result", "dGlt") in [(i.kind, i.text) for i in out]


def test_help_lists_and_explains():
    shell, out = make_shell()
    shell.handle(":help")
    listing = out[0].text
    assert ":auth MECHANISM USER" in listing and ":b64 encode|decode TEXT" in listing
    out.clear()
    shell.handle(":help :starttls")
    assert out[0].text == ":starttls" and "RFC 3207" in out[1].text
    assert not shell.handle(":help nothing")


def test_explain_helper_gives_the_long_form():
    shell, out = make_shell()
    assert shell.handle(":explain 535")
    assert any("535" in t for t in texts(out))


def test_connect_to_profiles_and_errors():
    shell, out = make_shell()
    assert shell.handle(":connect sim:strict")
    assert "(strict)" in texts(out, "S")[0]
    assert shell.session.target == "sim:strict"
    out.clear()
    assert not shell.handle(":connect sim:nosuch")
    assert "unknown profile nosuch" in out[0].text and "legacy-2002" in out[0].text
    assert shell.handle(":connect")                       # again, the last good target
    assert shell.session.target == "sim:strict"


def test_live_servers_use_tutor_transport_tcp_when_present(monkeypatch):
    from tutor.transport import memory

    calls = []

    def connect(host, port, *, starttls, tls, insecure, cafile, timeout):
        calls.append((host, port, starttls, tls, insecure, cafile, timeout))
        return memory.connect(SimServer, "lab")

    monkeypatch.setitem(sys.modules, "tutor.transport.tcp", types.SimpleNamespace(connect=connect))
    shell, out = make_shell()
    assert shell.handle(":connect mail.example.org --tls --insecure --timeout 3")
    assert shell.handle(":connect [::1]:2525 --starttls")
    assert calls == [("mail.example.org", 465, False, True, True, None, 3.0),
                     ("::1", 2525, True, False, False, None, 10.0)]


@pytest.mark.parametrize("line, expected_port", [
    (":connect mail.example.org", 25), (":connect mail.example.org --starttls", 587),   # RFC 8314 §3.3
    (":connect mail.example.org --tls", 465), (":connect h:2525 --tls", 2525),
])
def test_connect_default_ports_follow_rfc_8314(monkeypatch, line, expected_port):
    from tutor.transport import memory

    ports = []

    def connect(host, port, **kw):
        ports.append(port)
        return memory.connect(SimServer, "lab")

    monkeypatch.setitem(sys.modules, "tutor.transport.tcp", types.SimpleNamespace(connect=connect))
    shell, out = make_shell()
    assert shell.handle(line)
    assert ports == [expected_port]


def test_connect_rejects_a_bad_port():
    shell, out = make_shell()
    assert shell.handle(":connect h:smtp") is False
    assert any("port" in item.text for item in out)


def test_disconnect_then_lines_fail():
    shell, out = make_shell()
    assert shell.handle(":disconnect")
    assert "closed" in out[0].text
    assert not shell.handle("EHLO x")
    assert out[-1].kind == "error"


def test_server_notes_on_and_off():
    shell, out = make_shell()
    shell.handle("EHLO x")
    assert "sim" not in [i.kind for i in out]
    shell.handle(":server on")
    out.clear()
    shell.handle("AUTH LOGIN")
    assert "sim" in [i.kind for i in out]
    shell.handle(":server off")
    out.clear()
    shell.handle("*")
    assert "sim" not in [i.kind for i in out]
    assert not shell.handle(":server maybe")


def test_verbose_shows_the_exact_bytes():
    shell, out = make_shell()
    shell.handle("EHLO x")
    assert "detail" not in [i.kind for i in out]
    assert shell.handle(":verbose on") and shell.verbose
    out.clear()
    shell.handle("NOOP")
    assert [i.text for i in out if i.kind == "detail"] == ["sent 6 octets: NOOP\\r\\n"]
    assert shell.handle(":verbose off") and not shell.verbose


def test_trace_save_is_redacted(tmp_path):
    shell, out = make_shell()
    shell.handle("EHLO x")
    shell.handle("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm")
    path = tmp_path / "session.jsonl"
    assert shell.handle(f":trace save {path}")
    text = path.read_text()
    assert "tanstaaf" not in text
    assert json.loads(text.splitlines()[0])["redacted"] is True
    assert shell.handle(f":trace save {path} --reveal")
    assert "tanstaaf" in path.read_text()


def test_history_lists_without_secrets():
    shell, out = make_shell()
    for line in ("EHLO x", "AUTH LOGIN", "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg==", ":plain tim tanstaaftanstaaf"):
        shell.handle(line)
    out.clear()
    shell.handle(":history")
    listing = out[0].text
    assert "EHLO x" in listing and "AUTH LOGIN" in listing and ":plain tim" in listing
    assert "tanstaaf" not in listing and "dGlt" not in listing


def test_double_colon_sends_a_literal_colon():
    shell, out = make_shell()
    shell.handle("::hello")
    assert texts(out, "C") == [":hello"]


def test_quit_says_quit():
    shell, out = make_shell()
    assert shell.handle(":quit")
    assert texts(out, "C") == ["QUIT"] and shell.quit_requested
