"""A late answer after an AUTH exchange has ended: the simulator says the exchange is over (start again with AUTH),
instead of only calling the line an unknown command. The reply is unchanged: 500 5.5.1."""

import base64

import pytest
from peers import Talk

PASSWORD = base64.b64encode(b"tanstaaftanstaaf").decode()   # what a student pastes one step too late


def ready() -> Talk:
    talk = Talk("lab")
    talk("EHLO client.example")
    return talk


def test_a_late_answer_after_a_501_is_named_as_such():
    talk = ready()
    assert talk("AUTH LOGIN").startswith("334 ")
    assert talk("not base64!").startswith("501 ")        # the exchange ends here
    assert talk(PASSWORD).startswith("500 5.5.1")
    assert "sim.command.after-auth" in talk.notes()
    assert "sim.command.unknown" not in talk.notes()


@pytest.mark.parametrize("answer", ["*", PASSWORD])
def test_a_late_answer_after_a_535_is_named_as_such(answer):
    talk = ready()
    wrong = base64.b64encode(b"\0tim\0wrong-password").decode()
    assert talk(f"AUTH PLAIN {wrong}").startswith("535 ")
    assert talk(answer).startswith("500 5.5.1")
    assert "sim.command.after-auth" in talk.notes()


def test_the_same_line_without_an_auth_just_before_is_an_unknown_command():
    talk = ready()
    assert talk(PASSWORD).startswith("500 5.5.1")
    assert talk.notes().count("sim.command.unknown") == 1 and "sim.command.after-auth" not in talk.notes()


def test_only_the_line_right_after_the_exchange_gets_the_note():
    talk = ready()
    assert talk("AUTH LOGIN").startswith("334 ")
    assert talk("*").startswith("501 ")                  # cancelled (RFC 4954 §4)
    assert talk("NOOP").startswith("250 ")
    assert talk(PASSWORD).startswith("500 5.5.1")
    assert "sim.command.unknown" in talk.notes() and "sim.command.after-auth" not in talk.notes()


def test_a_short_unknown_word_after_auth_stays_an_unknown_command():
    talk = ready()
    assert talk("AUTH LOGIN").startswith("334 ")
    assert talk("*").startswith("501 ")
    assert talk("HELLO").startswith("500 5.5.1")         # base64's alphabet, but too short to be an answer
    assert "sim.command.unknown" in talk.notes() and "sim.command.after-auth" not in talk.notes()


# ---- the client side: what the shell says before the line is sent (tutor.protocol.client.sequence_problem) ----

def client_after(*exchange: tuple[bytes, bytes]):
    """A ClientConnection fed each (line sent, reply received) after the greeting and EHLO."""
    from tutor.protocol.client import ClientConnection

    client = ClientConnection()
    client.receive_data(b"220 mx.example ESMTP\r\n")
    client.next_event()
    for line, reply in ((b"EHLO laptop.example", b"250-mx.example\r\n250 AUTH PLAIN LOGIN\r\n"), *exchange):
        client.send_line(line)
        client.receive_data(reply)
        while client.next_event() is not None:
            pass
    return client


def test_the_shell_names_a_late_answer_after_a_501():
    client = client_after((b"AUTH LOGIN", b"334 VXNlcm5hbWU6\r\n"), (b"not base64!", b"501 5.5.2 Cannot decode\r\n"))
    assert client.sequence_problem(PASSWORD.encode()) == "sequence.after-auth"
    assert client.sequence_problem(b"FOO bar") == "sequence.unknown-verb"   # not an answer's shape


def test_the_shell_names_a_late_answer_after_a_535_and_not_later():
    wrong = base64.b64encode(b"\0tim\0wrong-password")
    client = client_after((b"AUTH PLAIN " + wrong, b"535 5.7.8 Authentication credentials invalid\r\n"))
    assert client.sequence_problem(b"*") == "sequence.after-auth"
    client = client_after((b"AUTH PLAIN " + wrong, b"535 5.7.8 Authentication credentials invalid\r\n"),
                          (b"NOOP", b"250 2.0.0 OK\r\n"))
    assert client.sequence_problem(PASSWORD.encode()) == "sequence.unknown-verb"


def test_the_shell_does_not_call_an_answer_late_while_the_exchange_waits_for_it():
    client = client_after((b"AUTH LOGIN", b"334 VXNlcm5hbWU6\r\n"))
    assert client.sequence_problem(PASSWORD.encode()) is None   # an answer now, not a command


def test_a_late_answer_stays_out_of_history_by_its_role():
    """The base64 of a password pasted one step late is a credential, though it goes out as a command."""
    from tutor.repl.shell import Shell

    shell = Shell()
    shell.start()
    shell.handle("EHLO laptop.example")
    shell.handle("AUTH LOGIN")
    shell.handle("not base64!")                       # 501: the exchange is over
    late = base64.b64encode(b"a password nobody registered").decode()
    assert shell.history_form(late) is None
    assert shell.history_form("NOOP") == "NOOP"
    shell.handle("NOOP")
    assert shell.history_form("XYZZYXYZZY") == "XYZZYXYZZY"   # no exchange just ended: an ordinary (bad) command
