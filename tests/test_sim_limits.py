"""The simulator's limits: over-long lines (RFC 5321 §4.5.3.1.4/§4.5.3.1.9 vs RFC 4954 §4), failed logins (RFC 4954 §9).

Expected replies are written out byte for byte from the reply table's wording and the RFC codes.
"""

import pytest

from peers import Talk
from tutor.protocol.framing import LineReader, LineTooLong
from tutor.sim import SimServer

LONG_LINE = "500 5.5.2 Line too long (limit 512 octets)"                       # RFC 5321 §4.5.3.1.9: 500
AUTH_TOO_LONG = "500 5.5.6 Authentication Exchange line is too long"         # RFC 4954 §6: 500 5.5.6


def ready(profile="lab", **options) -> Talk:
    talk = Talk(profile, **options)
    talk("EHLO client.example")
    return talk


def in_chunks(talk: Talk, line: bytes, size: int = 4096) -> str:
    """Send `line` + CRLF in pieces, as a socket delivers it; the reply text."""
    data, out = line + b"\r\n", b""
    for start in range(0, len(data), size):
        out += talk.raw(data[start:start + size]).data
    return out.decode()


# ---- issue 16: a junk line over the 12 KB framing limit, outside AUTH ---------------------------------------

@pytest.mark.parametrize("line", [b"x" * 20000, b"NOOP " + b"y" * 13000, b"MAIL FROM:<" + b"a" * 13000 + b">"],
                         ids=["junk", "noop", "mail"])
def test_a_line_over_12k_outside_auth_gets_500_line_too_long(line):
    talk = ready()
    assert in_chunks(talk, line) == LONG_LINE + "\r\n"
    assert "sim.command.too-long" in talk.notes()
    assert not [key for key in talk.notes() if key.startswith("sim.auth.")]


def test_a_line_over_12k_before_ehlo_is_line_too_long_too():
    talk = Talk()
    assert in_chunks(talk, b"z" * 30000) == LONG_LINE + "\r\n"


def test_an_auth_command_over_12k_keeps_the_rfc4954_reply():
    talk = ready()
    assert in_chunks(talk, b"AUTH PLAIN " + b"A" * 13000) == AUTH_TOO_LONG + "\r\n"
    assert "sim.auth.command-too-long" in talk.notes()
    assert talk("NOOP") == "250 2.0.0 Ok"   # the session goes on


def test_an_auth_line_over_12k_inside_the_exchange_keeps_the_rfc4954_reply():
    talk = ready()
    assert talk("AUTH LOGIN") == "334 VXNlcm5hbWU6"
    assert in_chunks(talk, b"B" * 13000) == AUTH_TOO_LONG + "\r\n"
    assert "sim.auth.line-too-long" in talk.notes()
    assert talk("NOOP") == "250 2.0.0 Ok"


def test_lowercase_auth_verb_is_still_an_auth_command():
    assert in_chunks(ready(), b"auth plain " + b"A" * 13000) == AUTH_TOO_LONG + "\r\n"


def test_framing_keeps_the_head_of_a_discarded_line():
    reader = LineReader(100)
    reader.receive_data(b"AUTH PLAIN " + b"A" * 200)
    assert reader.next_line() is None
    reader.receive_data(b"A" * 50 + b"\r\nNOOP\r\n")
    item = reader.next_line()
    assert item == LineTooLong(100, 11 + 200 + 50 + 2, b"AUTH PLAIN AAAAA")
    assert reader.next_line().data == b"NOOP"
