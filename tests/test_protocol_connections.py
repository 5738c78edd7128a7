"""Client and server state machines wired together in memory, with RFC 4954 AUTH framing."""

import pytest

from tutor.protocol import auth
from tutor.protocol.client import ClientConnection, ReplyReceived, ServerClosed
from tutor.protocol.replies import Reply, make
from tutor.protocol.server import (
    AuthResponseReceived,
    CommandReceived,
    ConnectionClosed,
    LineTooLongReceived,
    MessageReceived,
    ServerConnection,
)
from tutor.protocol.states import State


class Pair:
    """A client and a server endpoint; the test plays the server's policy by hand."""

    def __init__(self):
        self.client, self.server = ClientConnection(), ServerConnection()
        self.reply(make(220, "test ESMTP"))

    def say(self, line: bytes):
        self.server.receive_data(self.client.send_line(line))
        return self.server.next_event()

    def reply(self, reply: Reply):
        self.client.receive_data(self.server.send(reply))
        return self.client.next_event()


def test_greeting_then_ehlo_reads_capabilities():
    pair = Pair()
    assert pair.client.state is State.INITIAL and pair.server.state is State.INITIAL
    event = pair.say(b"EHLO laptop")
    assert isinstance(event, CommandReceived) and event.command.verb == "EHLO" and event.legal
    got = pair.reply(Reply(250, ("test", "AUTH PLAIN LOGIN", "STARTTLS")))
    assert isinstance(got, ReplyReceived) and got.answers.command.verb == "EHLO"
    assert pair.client.capabilities.auth_mechanisms == ("PLAIN", "LOGIN")
    assert pair.client.state is pair.server.state is State.READY


def test_auth_login_exchange_moves_both_sides_through_auth_state():
    pair = Pair()
    pair.say(b"EHLO x")
    pair.reply(make(250, "test"))
    pair.say(b"AUTH LOGIN")
    pair.reply(make(334, "VXNlcm5hbWU6"))
    assert pair.client.state is pair.server.state is State.AUTH and pair.client.line_kind() == "auth-response"
    event = pair.say(b"dGlt")
    assert isinstance(event, AuthResponseReceived) and auth.decode_response(event.line).data == b"tim"
    pair.reply(make(334, "UGFzc3dvcmQ6"))
    pair.say(b"dGFuc3RhYWZ0YW5zdGFhZg==")
    pair.reply(make(235, "Authentication successful", enhanced="2.7.0"))
    assert pair.client.authenticated and pair.server.authenticated
    assert pair.client.state is pair.server.state is State.READY
    assert pair.client.sequence_problem(b"AUTH PLAIN x") == "sequence.auth-twice"


def test_mail_transaction_and_dot_stuffing():
    pair = Pair()
    pair.say(b"EHLO x")
    pair.reply(make(250, "test"))
    pair.say(b"MAIL FROM:<a@example.org>")
    pair.reply(make(250, "ok"))
    assert pair.client.sequence_problem(b"AUTH PLAIN") == "sequence.need-rcpt"   # RFC 4954 §4
    pair.say(b"RCPT TO:<b@example.org>")
    pair.reply(make(250, "ok"))
    pair.say(b"DATA")
    pair.reply(make(354, "go ahead"))
    assert pair.client.line_kind() == "message"
    wire = pair.client.send_message_line(b"Subject: hi") + pair.client.send_message_line(b"")
    wire += pair.client.send_message_line(b".hidden dot") + pair.client.send_message_line(b".")
    assert b"\r\n..hidden dot\r\n" in wire                # RFC 5321 §4.5.2 transparency
    pair.server.receive_data(wire)
    event = pair.server.next_event()
    assert isinstance(event, MessageReceived)
    assert event.data == b"Subject: hi\r\n\r\n.hidden dot\r\n"
    pair.reply(make(250, "queued"))
    assert pair.client.state is pair.server.state is State.READY


def test_out_of_sequence_is_flagged_but_still_sent():
    pair = Pair()
    assert pair.client.sequence_problem(b"MAIL FROM:<a@b>") == "sequence.need-ehlo"
    event = pair.say(b"MAIL FROM:<a@b>")
    assert isinstance(event, CommandReceived) and not event.legal
    assert pair.client.sequence_problem(b"FROB") == "sequence.unknown-verb"


def test_starttls_discards_pipelined_injection():
    pair = Pair()
    pair.say(b"EHLO x")
    pair.reply(make(250, "test", "STARTTLS"))
    pair.server.receive_data(pair.client.send_line(b"STARTTLS"))
    assert pair.server.next_event().command.verb == "STARTTLS"
    pair.server.receive_data(b"MAIL FROM:<evil@example>\r\n")       # injected before the handshake
    pair.reply(make(220, "Ready to start TLS"))
    assert pair.client.state is State.TLS_PENDING and pair.server.state is State.TLS_PENDING
    assert pair.server.next_event() is None                          # RFC 3207 §4.2: nothing kept
    pair.server.tls_established()
    pair.client.tls_established()
    assert pair.client.capabilities.auth_mechanisms == () and pair.client.state is State.INITIAL
    assert pair.server.state is State.INITIAL and pair.server.tls


def test_line_limits():
    pair = Pair()
    pair.server.receive_data(b"NOOP " + b"x" * 600 + b"\r\n")
    event = pair.server.next_event()
    assert isinstance(event, LineTooLongReceived) and event.limit == 512
    pair.server.receive_data(b"AUTH PLAIN " + b"A" * 12000 + b"\r\n")   # under RFC 4954's 12288
    event = pair.server.next_event()
    assert isinstance(event, CommandReceived) and event.command.verb == "AUTH"
    pair.server.receive_data(b"AUTH PLAIN " + b"A" * 13000 + b"\r\n")
    event = pair.server.next_event()
    assert isinstance(event, LineTooLongReceived) and event.limit == 12288


def test_close_events():
    pair = Pair()
    pair.server.receive_data(b"")
    assert isinstance(pair.server.next_event(), ConnectionClosed)
    pair.client.receive_data(b"")
    assert isinstance(pair.client.next_event(), ServerClosed)
    assert pair.client.state is State.CLOSED


@pytest.mark.parametrize("initial, line", [
    (None, "AUTH PLAIN"),
    (b"", "AUTH EXTERNAL ="),                               # RFC 4954 §4: empty initial response is "="
    (b"test\0test\x001234", "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="),   # RFC 4954 §4 example
])
def test_auth_command_framing(initial, line):
    mech = line.split()[1]
    assert auth.auth_command(mech, initial) == line


def test_initial_response_dropped_when_line_would_be_too_long():
    assert auth.auth_command("PLAIN", b"x" * 10000) == "AUTH PLAIN"   # RFC 4954 §4 MUST NOT exceed


@pytest.mark.parametrize("text, data, error", [
    ("", b"", False), ("VXNlcm5hbWU6", b"Username:", False), ("not base64!", None, True)])
def test_decode_challenge(text, data, error):
    decoded = auth.decode_challenge(text)
    assert decoded.data == data and bool(decoded.error) == error


def test_decode_response_cancel_and_errors():
    assert auth.decode_response(b"*").cancelled
    assert auth.decode_response(b"=AAA").error
    assert auth.decode_initial("=").data == b""


def test_refused_auth_inside_a_transaction_keeps_the_transaction():
    pair = Pair()
    pair.say(b"EHLO x")
    pair.reply(make(250, "test"))
    pair.say(b"MAIL FROM:<a@example.org>")
    pair.reply(make(250, "ok"))
    event = pair.say(b"AUTH PLAIN")
    assert not event.legal                                        # RFC 4954 §4: not during a transaction
    pair.reply(make(503, "Bad sequence of commands", enhanced="5.5.1"))
    assert pair.server.state is State.MAIL


def test_message_size_is_bounded_in_memory():
    client, server = ClientConnection(), ServerConnection(max_message_size=100)
    client.receive_data(server.send(make(220, "x")))
    client.next_event()
    for line, reply in ((b"EHLO x", make(250, "x")), (b"MAIL FROM:<a@b>", make(250, "ok")),
                        (b"RCPT TO:<c@d>", make(250, "ok")), (b"DATA", make(354, "go"))):
        server.receive_data(client.send_line(line))
        server.next_event()
        client.receive_data(server.send(reply))
        client.next_event()
    body = b"".join(client.send_message_line(b"x" * 50) for _ in range(10))
    server.receive_data(body + client.send_message_line(b"."))
    event = server.next_event()
    assert isinstance(event, MessageReceived) and event.oversize and len(event.data) <= 100
