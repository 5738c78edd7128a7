"""SMTP replies: multi-line parsing (RFC 5321 §4.2.1), enhanced status codes (RFC 2034/3463), serialising."""

from __future__ import annotations

import re
from enum import StrEnum

from tutor.protocol.framing import REPLY_LINE_LIMIT, LineReader, LineTooLong
from tutor.protocol.record import Record, _set

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?:\s|$)", re.ASCII)
_REPLY_LINE = re.compile(rb"^([0-9]{3})([ -]?)(.*)$", re.DOTALL)


class ReplyKind(StrEnum):
    """A reply's class by its first digit (RFC 5321 §4.2.1)."""

    __hash__ = str.__hash__     # as the string it equals, at C speed (these are looked up per line)

    POSITIVE = "positive"
    INTERMEDIATE = "intermediate"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    INVALID = "invalid"


_KINDS = {2: ReplyKind.POSITIVE, 3: ReplyKind.INTERMEDIATE, 4: ReplyKind.TRANSIENT, 5: ReplyKind.PERMANENT}


class Reply(Record):
    """A complete server reply: code, its text lines (without code), and the enhanced code if present.
    `raw` (the bytes as received) is not compared."""

    __slots__ = ("code", "lines", "enhanced", "raw")
    _compared = ("code", "lines", "enhanced")
    code: int
    lines: tuple[str, ...]
    enhanced: str | None
    raw: bytes

    def __init__(self, code: int, lines: tuple[str, ...] = ("",), enhanced: str | None = None,
                 raw: bytes = b"") -> None:
        _set(self, "code", code)
        _set(self, "lines", lines)
        _set(self, "enhanced", enhanced)
        _set(self, "raw", raw)

    @property
    def text(self) -> str:
        """All text lines joined by newlines."""
        return "\n".join(self.lines)

    @property
    def kind(self) -> ReplyKind:
        """positive / intermediate / transient / permanent, by the first digit (RFC 5321 §4.2.1)."""
        return _KINDS.get(self.code // 100, ReplyKind.INVALID)

    def to_bytes(self) -> bytes:
        """The wire form: `250-first` ... `250 last`, each ended by CRLF."""
        out = []
        for index, line in enumerate(self.lines):
            sep = " " if index == len(self.lines) - 1 else "-"
            out.append(f"{self.code:03d}{sep}{line}".encode() + b"\r\n")
        return b"".join(out)


def make(code: int, *lines: str, enhanced: str | None = None) -> Reply:
    """Build a reply; with `enhanced`, each line's text starts with it (RFC 2034 §3)."""
    texts = lines or ("",)
    if enhanced:
        texts = tuple(f"{enhanced} {t}".rstrip() if t else enhanced for t in texts)
    return Reply(code, tuple(texts), enhanced)


def enhanced_code(text: str, code: int) -> str | None:
    """The enhanced status code at the start of a reply text, when its class matches the reply's."""
    match = _ENHANCED.match(text)
    if match and int(match.group(1)) == code // 100:
        return f"{match.group(1)}.{match.group(2)}.{match.group(3)}"
    return None


class MalformedReply(Record):
    """A line that is not `DDD[ -]text`; kept so the learner sees exactly what arrived."""

    __slots__ = ("raw", "why")
    raw: bytes
    why: str

    def __init__(self, raw: bytes, why: str) -> None:
        _set(self, "raw", raw)
        _set(self, "why", why)


class ReplyParser:
    """Accumulates reply lines into Reply events (sans-IO)."""

    def __init__(self, limit: int = REPLY_LINE_LIMIT * 24) -> None:
        # Real servers send long lines (e.g. a 334 carrying a big XOAUTH2 error); be lenient as a client.
        self._reader = LineReader(limit)
        self._code: int | None = None
        self._lines: list[str] = []
        self._raw = bytearray()

    def receive_data(self, data: bytes) -> None:
        self._reader.receive_data(data)

    @property
    def eof(self) -> bool:
        return self._reader.eof

    @property
    def reader(self) -> LineReader:
        return self._reader

    def next_reply(self) -> Reply | MalformedReply | None:
        """The next complete reply, a MalformedReply, or None when more data is needed."""
        while True:
            item = self._reader.next_line()
            if item is None:
                return self._cut_short() if self._reader.eof else None
            if isinstance(item, LineTooLong):
                return MalformedReply(b"", f"reply line longer than {item.limit} octets")
            result = self._take(item.data)
            if result is not None:
                return result

    def take_line(self, line: bytes) -> Reply | MalformedReply | None:
        """One line the caller already split off (without CRLF; a tracer's lines are): the same as
        receive_data(line + CRLF) then next_reply(), without going through the line buffer when it is empty."""
        reader = self._reader
        if reader.at_line_start and not reader.eof and len(line) + 2 <= reader.limit and b"\n" not in line:
            return self._take(line)
        reader.receive_data(line + b"\r\n")
        return self.next_reply()

    def _cut_short(self) -> MalformedReply | None:
        """At end of input: what was received of an unfinished reply, so it is shown and recorded, not lost."""
        partial = bytes(self._raw) + self._reader.discard_pending()
        self._reset()
        if not partial:
            return None
        return MalformedReply(partial, "the connection closed in the middle of a reply")

    def _take(self, line: bytes) -> Reply | MalformedReply | None:
        match = _REPLY_LINE.match(line)
        if not match or (match.group(2) == b"" and match.group(3)):
            self._reset()
            return MalformedReply(line, "not an SMTP reply line (expected three digits, then space or '-')")
        code = int(match.group(1))
        if self._code is not None and code != self._code:
            previous = self._code
            self._reset()
            return MalformedReply(line, f"reply code changed from {previous} to {code} inside a multi-line reply")
        self._code = code
        self._lines.append(match.group(3).decode("utf-8", "replace"))
        self._raw += line + b"\r\n"
        if match.group(2) == b"-":
            return None
        reply = Reply(code, tuple(self._lines), enhanced_code(self._lines[0], code), bytes(self._raw))
        self._reset()
        return reply

    def _reset(self) -> None:
        self._code = None
        self._lines = []
        self._raw = bytearray()
