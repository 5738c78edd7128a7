"""ClientConnection.receive_line / ReplyParser.take_line: a line already split off (the tracer's) read as
receive_data(line + CRLF) would read it (RFC 5321 §4.2.1 multi-line replies)."""

from tutor.protocol.client import BadReply, ClientConnection, ReplyReceived
from tutor.protocol.replies import ReplyParser
from tutor.protocol.states import State


def test_a_multiline_reply_comes_out_with_its_last_line():
    conn = ClientConnection()
    assert conn.receive_line(b"220-mx.example.net") is None
    event = conn.receive_line(b"220 ready")
    assert isinstance(event, ReplyReceived)
    assert (event.reply.code, event.reply.lines, event.reply.raw) == (220, ("mx.example.net", "ready"),
                                                                      b"220-mx.example.net\r\n220 ready\r\n")
    assert conn.next_event() is None


def test_the_answer_and_the_state_move_as_with_receive_data():
    conn = ClientConnection()
    conn.receive_line(b"220 mx")
    conn.send_line(b"EHLO x")
    assert conn.receive_line(b"250-mx.example.net") is None
    event = conn.receive_line(b"250 AUTH PLAIN")
    assert isinstance(event, ReplyReceived) and event.answers.command is not None
    assert event.answers.command.verb == "EHLO"
    assert conn.state is State.READY and conn.capabilities.offers("PLAIN")


def test_bytes_already_buffered_are_read_first():
    conn = ClientConnection()
    conn.receive_data(b"22")                       # the start of a line, from receive_data
    event = conn.receive_line(b"0 mx")
    assert isinstance(event, ReplyReceived) and event.reply.code == 220 and event.reply.lines == ("mx",)


def test_a_line_holding_lf_gives_each_reply_in_turn():
    conn = ClientConnection()
    first = conn.receive_line(b"220 mx\n221 bye")
    assert isinstance(first, ReplyReceived) and first.reply.code == 220
    second = conn.next_event()
    assert isinstance(second, ReplyReceived) and second.reply.code == 221


def test_a_malformed_line_and_an_overlong_line_are_bad_replies():
    conn = ClientConnection()
    assert isinstance(conn.receive_line(b"hello"), BadReply)
    parser = ReplyParser(limit=16)
    bad = parser.take_line(b"250 " + b"x" * 20)
    assert bad is not None and "longer than 16" in bad.why      # type: ignore[union-attr]
    assert parser.take_line(b"250 ok") is not None
