"""tutor.protocol.record.Record keeps what @dataclass(frozen=True) gave the protocol's value classes: a repr of the
fields, equality and a hash by the compared fields only, and no assignment."""

import dataclasses

import pytest

from tutor.protocol.client import LineKind, Sent, ServerClosed
from tutor.protocol.commands import Command
from tutor.protocol.framing import Line
from tutor.protocol.replies import Reply
from tutor.repl.commands import ReplCommand


def test_repr_names_every_field_in_order():
    assert repr(Reply(250, ("OK",), "2.0.0", b"250 2.0.0 OK\r\n")) == \
        "Reply(code=250, lines=('OK',), enhanced='2.0.0', raw=b'250 2.0.0 OK\\r\\n')"
    assert repr(Line(b"EHLO x")) == "Line(data=b'EHLO x', bare_lf=False)"
    assert repr(ServerClosed()) == "ServerClosed()"


def test_equality_and_hash_use_the_compared_fields_only():
    assert Reply(250, ("OK",), raw=b"one") == Reply(250, ("OK",), raw=b"two")    # raw is not compared
    assert hash(Reply(250, ("OK",), raw=b"one")) == hash(Reply(250, ("OK",), raw=b"two"))
    assert Reply(250, ("OK",)) != Reply(251, ("OK",))
    assert {Command("EHLO", "x"): 1}[Command("EHLO", "x")] == 1
    run = lambda shell, text: True  # noqa: E731
    assert ReplCommand("x", "", "", "", run, data={"a": 1}) == ReplCommand("x", "", "", "", run)


def test_values_of_different_classes_are_never_equal():
    assert Line(b"x") != (b"x", False)
    assert ServerClosed() == ServerClosed()
    assert Command("EHLO") != Line(b"EHLO")


def test_fields_cannot_be_assigned_or_deleted():
    reply = Reply(220)
    with pytest.raises(dataclasses.FrozenInstanceError):
        reply.code = 421   # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del reply.code     # type: ignore[misc]
    assert reply.code == 220


def test_defaults_and_conversions_are_kept():
    assert Reply(220).lines == ("",) and Reply(220).enhanced is None
    sent = Sent("command")   # type: ignore[arg-type]
    assert sent.kind is LineKind.COMMAND and sent.command is None and sent.line == b""
