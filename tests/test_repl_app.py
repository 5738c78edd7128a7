"""The terminal app, headless: prompt_toolkit pipe input, keys as a learner types them."""

import io

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

from tutor.protocol.states import State
from tutor.repl import toolbar
from tutor.repl.app import ReplApp
from tutor.repl.shell import Shell
from tutor.repl.view import ReplView
from tutor.session import Item

ENTER, CTRL_C, CTRL_D, F1 = "\r", "\x03", "\x04", "\x1bOP"


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def run_app(keys, profile="lab", output=None):
    """Run the app on `keys`; returns (exit code, shell, every item printed, prompts shown)."""
    shell = Shell(profile=profile)
    with create_pipe_input() as pipe:
        app = ReplApp(shell, input=pipe, output=output or DummyOutput(), color=False)
        printed, prompts = [], []
        show = app.print_items
        app.print_items = lambda items: (printed.extend(items), show(items))
        ask = app.prompt.prompt
        app.prompt.prompt = lambda *a, **k: (prompts.append(shell.prompt_kind()), ask(*a, **k))[1]
        leave = shell.leave

        def leave_and_remember():     # what the screen and toolbar showed before Ctrl-D's QUIT
            shell.left_with = (shell.view(), list(printed))
            leave()

        shell.leave = leave_and_remember
        pipe.send_text(keys)
        code = app.run()
    return code, shell, printed, prompts


def lines(*typed):
    return "".join(t + ENTER for t in typed)


def test_greeting_welcome_and_login_by_hand():
    code, shell, printed, _ = run_app(lines("EHLO laptop.example", "AUTH LOGIN", "dGlt",
                                            "dGFuc3RhYWZ0YW5zdGFhZg==") + CTRL_D)
    assert code == 0
    assert printed[0].kind == "S" and printed[0].text.startswith("220")
    assert any(i.key == "" and i.text.startswith("Connected to the built-in simulator") for i in printed)
    assert shell.session.client.authenticated


def test_typed_lines_are_not_echoed_twice():
    out = io.StringIO()
    app = ReplApp(Shell(), output=Vt100_Output(out, lambda: Size(rows=24, columns=80), term="xterm"), color=False)
    app.print_items([Item("C", "EHLO typed", typed=True), Item("C", "AUTH LOGIN"), Item("S", "334 VXNlcm5hbWU6")])
    assert "EHLO typed" not in out.getvalue()
    assert "C: AUTH LOGIN" in out.getvalue() and "S: 334 VXNlcm5hbWU6" in out.getvalue()


def test_prompt_follows_the_mode():
    _, shell, _, prompts = run_app(lines("EHLO x", "AUTH LOGIN", "*", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
                                         "MAIL FROM:<a@b.c>", "RCPT TO:<d@e.f>", "DATA", "Subject: x", "", "body",
                                         ".", "NOOP") + CTRL_D)
    assert prompts == ["command"] * 2 + ["auth-response"] + ["command"] * 4 + ["message"] * 4 + ["command"] * 2


def test_ctrl_c_cancels_the_line_and_keeps_the_repl():
    code, shell, printed, _ = run_app("EHLO half" + CTRL_C + lines("NOOP") + CTRL_D)
    assert code == 0
    assert [i.text for i in shell.left_with[1] if i.kind == "S"][-1].startswith("250")
    assert shell.typed == ["NOOP"]


def test_ctrl_c_in_message_mode_abandons_the_message():
    keys = lines("EHLO x", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "MAIL FROM:<a@b.c>", "RCPT TO:<d@e.f>", "DATA",
                 "Subject: never sent") + CTRL_C + lines(":connect") + CTRL_D
    code, shell, printed, _ = run_app(keys)
    assert code == 0
    assert "repl.note.message-aborted" in [i.key for i in printed]
    assert shell.left_with[0].state is State.INITIAL     # :connect reconnected to the same simulator


def test_password_is_asked_without_echo():
    out = io.StringIO()
    output = Vt100_Output(out, lambda: Size(rows=24, columns=100), term="xterm")
    code, shell, printed, _ = run_app(lines(":login tim", "hush-hush-secret") + CTRL_D, output=output)
    assert code == 0
    assert ("result", "dGlt\naHVzaC1odXNoLXNlY3JldA==") in [(i.kind, i.text) for i in printed]
    screen = out.getvalue()
    assert "Password for tim" in screen and "hush-hush-secret" not in screen and "*" * 16 not in screen


def test_autopilot_waits_for_enter_and_ctrl_c_cancels():
    code, shell, printed, _ = run_app(lines("EHLO x", ":auth LOGIN tim tanstaaftanstaaf", "") + CTRL_C + CTRL_D)
    assert code == 0
    assert [i.text for i in printed if i.kind == "C" and not i.typed] == ["AUTH LOGIN", "*", "QUIT"]   # Ctrl-D: QUIT
    assert "repl.autopilot.cancelled" in [i.key for i in printed]


def test_f1_shows_help():
    _, _, printed, _ = run_app(F1 + CTRL_D)
    assert any(":help [COMMAND]" in i.text for i in printed)


def test_server_closing_is_a_tutor_line():
    code, shell, printed, _ = run_app(lines("QUIT", "EHLO x") + CTRL_D)
    assert code == 0
    keys = [i.key for i in printed]
    assert "shell.note.closed-after-quit" in keys and printed[-1].kind == "error"


def test_quit_command_leaves():
    code, shell, printed, _ = run_app(lines(":quit", "EHLO never"))
    assert code == 0 and shell.quit_requested
    assert "EHLO never" not in [i.text for i in printed]


def test_toolbar_shows_target_tls_auth_and_last_reply():
    view = ReplView("sim:strict", True, State.READY, "command", "TLSv1.3", True, "PLAIN", "235 2.7.0")
    assert toolbar.text(view) == " sim:strict | TLS: TLSv1.3 | AUTH: yes (PLAIN) | last: 235 2.7.0 "
    auth = ReplView("sim:lab", True, State.AUTH, "auth-response", mechanism="LOGIN", last_reply="334")
    assert "in progress (LOGIN)" in toolbar.text(auth) and "TLS: off" in toolbar.text(auth)
    assert "not connected" in toolbar.text(ReplView())


def test_every_prompt_ends_with_a_space_before_the_cursor():
    shell = Shell()
    app = ReplApp(shell, output=DummyOutput(), color=False)
    shell.starting = True
    assert "".join(text for _, text in app.message()) == "C: "
    shell.starting = False
    assert "".join(text for _, text in app.message()) == "tutor> "
    asked = []
    app._pause_prompt = type("P", (), {"prompt": lambda self, text: asked.append(text) or "y"})()
    app.confirm("Send anyway? [y/N]")
    app.pause("   [Enter] send it")
    assert asked == ["Send anyway? [y/N] ", "   [Enter] send it "]


def test_ctrl_c_while_waiting_for_a_reply_shows_what_came_and_keeps_the_repl(monkeypatch):
    from tutor.transport.memory import MemoryTransport

    real = MemoryTransport.receive
    stuck = []

    def receive(self, timeout=0.0):
        if stuck and timeout:
            stuck.clear()
            raise KeyboardInterrupt            # SIGINT while blocked in recv on a slow server
        return real(self, timeout)

    monkeypatch.setattr(MemoryTransport, "receive", receive)
    monkeypatch.setattr(MemoryTransport, "send", lambda self, data: stuck.append(data))   # the server is slow
    code, shell, printed, _ = run_app(lines("NOOP", "") + CTRL_D)
    assert code == 0
    keys = [i.key for i in printed]
    assert "repl.note.stopped-waiting" in keys
    assert T_CANCELLED not in [i.text for i in printed]     # one line about it, not two
    assert "repl.note.connection-lost" not in keys and "repl.note.closed-by-us" not in keys   # the REPL went on


T_CANCELLED = "Cancelled."


def test_toolbar_keeps_the_mechanism_that_logged_in():
    _, shell, _, _ = run_app(lines("EHLO x", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "AUTH LOGIN") + CTRL_D)
    shown = toolbar.text(shell.left_with[0])
    assert "AUTH: yes (PLAIN)" in shown and "last: 503" in shown


def test_enter_alone_when_offline_says_nothing():
    _, shell, printed, _ = run_app(lines(":disconnect", "", "") + CTRL_D)
    assert [i.kind for i in printed if i.kind == "error"] == [] and not shell.failed


def test_ctrl_c_during_an_auth_exchange_cancels_it_with_a_star():
    code, shell, printed, _ = run_app(lines("EHLO x", "AUTH LOGIN") + CTRL_C + lines("NOOP") + CTRL_D)
    assert code == 0
    sent = [i.text for i in printed if i.kind == "C"]
    assert sent[-3:] == ["*", "NOOP", "QUIT"]                    # NOOP went as a command, not as an answer
    replies = [i.text for i in printed if i.kind == "S"]
    assert replies[-3].startswith("501") and replies[-2].startswith("250")   # RFC 4954 §4: 501 to "*"
    assert "Ctrl-C: cancelling the AUTH exchange" in "".join(i.text for i in printed)


def test_ctrl_d_says_quit_and_shows_the_221_before_leaving():
    code, shell, printed, _ = run_app(lines("EHLO x") + CTRL_D)
    assert code == 0
    assert [i.text for i in printed if i.kind == "C"][-1] == "QUIT"
    assert [i.text for i in printed if i.kind == "S"][-1].startswith("221")
    assert shell.session.closed


def test_ctrl_d_in_an_auth_exchange_cancels_it_before_quit():
    _, _, printed, _ = run_app(lines("EHLO x", "AUTH PLAIN") + CTRL_D)
    assert [i.text for i in printed if i.kind == "C"][-2:] == ["*", "QUIT"]
    assert [i.text for i in printed if i.kind == "S"][-1].startswith("221")
