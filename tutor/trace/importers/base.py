"""What the text importers share: session numbering and boundaries, and the `where` of a line."""

from __future__ import annotations

from collections.abc import Iterator

from tutor.trace.records import Begin, End, Mark, Record, Wire


class Sessions:
    """Sessions of one text input, numbered from 1; a line arriving outside a session opens one."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.count = 0
        self.open = False
        self.number = 0                 # current line number, for `where`
        self.tls = False

    @property
    def sid(self) -> str:
        return f"{self.name}#{self.count}"

    def where(self) -> str:
        return f"{self.name}:{self.number}"

    def begin(self, label: str = "") -> Iterator[Record]:
        """End the open session (if any) and start the next."""
        yield from self.end()
        self.count += 1
        self.open = True
        self.tls = False
        yield Begin(self.sid, label or f"{self.name} session {self.count}", self.source)

    def end(self) -> Iterator[Record]:
        if self.open:
            self.open = False
            yield End(self.sid)

    def wire(self, direction: str, data: bytes, t: float | None = None, secret: bool = False) -> Iterator[Record]:
        if not self.open:
            yield from self.begin()
        yield Wire(self.sid, direction, data, self.where(), t, self.tls, secret)

    def mark(self, key: str, **params) -> Iterator[Record]:
        if not self.open:
            yield from self.begin()
        yield Mark(self.sid, key, self.where(), params)

    def note(self, text: str, source: str = "") -> Iterator[Record]:
        """A note recorded with the capture (already in words)."""
        if not self.open:
            yield from self.begin()
        yield Mark(self.sid, "trace.mark.recorded", self.where(), {"source": source}, text)

    def tls_started(self, said: str = "") -> Iterator[Record]:
        yield from self.mark("trace.mark.tls-started", said=said)
        self.tls = True
