"""CRLF line framing with length limits (RFC 5321 §4.5.3.1, RFC 4954 §4): bytes in, whole lines out."""

from __future__ import annotations

from tutor.protocol.record import Record, _set

COMMAND_LINE_LIMIT = 512      # RFC 5321 §4.5.3.1.4: command line incl. CRLF
REPLY_LINE_LIMIT = 512        # RFC 5321 §4.5.3.1.5
TEXT_LINE_LIMIT = 1000        # RFC 5321 §4.5.3.1.6: message text line incl. CRLF
AUTH_LINE_LIMIT = 12288       # RFC 4954 §4: "12288 octets is considered to be a sufficient line length limit"
HEAD_OCTETS = 16              # what LineTooLong keeps of a discarded line: enough for its verb


class Line(Record):
    """One received line without its terminator; `bare_lf` when it ended in LF alone, not CRLF."""

    __slots__ = ("data", "bare_lf")
    data: bytes
    bare_lf: bool

    def __init__(self, data: bytes, bare_lf: bool = False) -> None:
        _set(self, "data", data)
        _set(self, "bare_lf", bare_lf)


class LineTooLong(Record):
    """A line longer than the limit in force; its bytes were discarded up to the next LF.

    `head` keeps the line's first HEAD_OCTETS octets, so a server can tell an over-long AUTH command (RFC 4954 §4:
    500 5.5.6) from any other over-long line (RFC 5321 §4.5.3.1.4, §4.5.3.1.9: 500 "Line too long").
    """

    __slots__ = ("limit", "length", "head")
    limit: int
    length: int
    head: bytes

    def __init__(self, limit: int, length: int, head: bytes = b"") -> None:
        _set(self, "limit", limit)
        _set(self, "length", length)
        _set(self, "head", head)


class LineReader:
    """Splits a byte stream into lines. Tolerates a bare LF (and says so); never buffers without bound."""

    def __init__(self, limit: int = COMMAND_LINE_LIMIT) -> None:
        self.limit = limit
        self._buffer = bytearray()
        self._discarding = 0     # > 0 while skipping the rest of an over-long line
        self._head = b""         # the first octets of the line being skipped
        self.eof = False

    def receive_data(self, data: bytes) -> None:
        """Feed bytes; b"" means the peer closed."""
        if not data:
            self.eof = True
            return
        self._buffer += data

    def next_line(self) -> Line | LineTooLong | None:
        """The next complete line, a LineTooLong marker, or None when more data is needed."""
        newline = self._buffer.find(b"\n")
        if newline < 0:
            if len(self._buffer) > self.limit:
                if not self._discarding:
                    self._head = bytes(self._buffer[:HEAD_OCTETS])
                self._discarding += len(self._buffer)
                self._buffer.clear()
            return None
        raw = bytes(self._buffer[:newline + 1])
        del self._buffer[:newline + 1]
        if self._discarding:
            length, head = self._discarding + len(raw), self._head
            self._discarding, self._head = 0, b""
            return LineTooLong(self.limit, length, head)
        if len(raw) > self.limit:
            return LineTooLong(self.limit, len(raw), raw[:HEAD_OCTETS])
        if raw.endswith(b"\r\n"):
            return Line(raw[:-2])
        return Line(raw[:-1], bare_lf=True)

    @property
    def at_line_start(self) -> bool:
        """Nothing buffered and no over-long line being skipped: the next byte received starts a line."""
        return not self._buffer and not self._discarding

    @property
    def pending(self) -> bytes:
        """Bytes received but not yet part of a complete line."""
        return bytes(self._buffer)

    def discard_pending(self) -> bytes:
        """Drop buffered bytes (RFC 3207 §4.2 / STARTTLS injection: nothing read before TLS may be kept)."""
        dropped = bytes(self._buffer)
        self._buffer.clear()
        self._discarding, self._head = 0, b""
        return dropped
