"""Sinks keep accepted messages in memory or in a Maildir; nothing is relayed."""

import pytest

from tutor.errors import InputError
from tutor.sim import MaildirSink, Message, Sink


def message(sink, text=b"Subject: x\r\n\r\nhi\r\n"):
    return Message(sink.next_id(), "tim@example.org", ("a@example.net",), text, "tim",
                   b"Received: from c by s with ESMTPA id M000001; date\r\n")


def test_memory_sink_keeps_messages_and_ids_are_unique():
    sink = Sink()
    first, second = message(sink), message(sink)
    sink.deliver(first)
    sink.deliver(second)
    assert [m.id for m in sink.messages] == ["M000001", "M000002"]


def test_memory_sink_limit_keeps_the_newest():
    sink = Sink(limit=2)
    for _ in range(3):
        sink.deliver(message(sink))
    assert [m.id for m in sink.messages] == ["M000002", "M000003"]


def test_maildir_sink_writes_to_new_with_return_path_and_received(tmp_path):
    sink = MaildirSink(tmp_path / "mail", clock=lambda: 1000.0)
    sink.deliver(message(sink))
    assert sorted(p.name for p in (tmp_path / "mail").iterdir()) == ["cur", "new", "tmp"]
    (stored,) = list((tmp_path / "mail" / "new").iterdir())
    assert stored.name.startswith("1000.M000001P")
    assert stored.read_bytes() == (b"Return-Path: <tim@example.org>\r\n"
                                   b"Received: from c by s with ESMTPA id M000001; date\r\n"
                                   b"Subject: x\r\n\r\nhi\r\n")
    assert list((tmp_path / "mail" / "tmp").iterdir()) == []


def test_maildir_that_cannot_be_made_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot use maildir"):
        MaildirSink(blocker / "mail")
