"""Reading an input file (or standard input) in chunks: the head for format detection, then lines or bytes."""

from __future__ import annotations

import sys
from typing import BinaryIO, Iterator

from tutor.errors import InputError

HEAD = 64 * 1024
CHUNK = 1024 * 1024


class Source:
    """A named binary input with the first HEAD bytes kept for detection; read() and lines() go on from 0."""

    def __init__(self, name: str, handle: BinaryIO) -> None:
        self.name = name
        self._handle = handle
        self.head = self._read_raw(HEAD)
        self._buffer = self.head
        self.offset = 0                 # bytes handed out so far

    def _read_raw(self, size: int) -> bytes:
        try:
            return self._handle.read(size) or b""
        except OSError as exc:
            raise InputError(f"{self.name}: read error: {exc.strerror or exc}") from None

    def read(self, size: int) -> bytes:
        """Up to `size` bytes (fewer only at the end of the input)."""
        out = bytearray()
        if self._buffer:
            out += self._buffer[:size]
            self._buffer = self._buffer[size:]
        while len(out) < size:
            more = self._read_raw(size - len(out))
            if not more:
                break
            out += more
        self.offset += len(out)
        return bytes(out)

    def chunks(self) -> Iterator[bytes]:
        """The rest of the input in large chunks."""
        if self._buffer:
            data, self._buffer = self._buffer, b""
            self.offset += len(data)
            yield data
        while data := self._read_raw(CHUNK):
            self.offset += len(data)
            yield data

    def lines(self) -> Iterator[bytes]:
        """Lines without their line ending (LF or CRLF); a final line without LF is kept."""
        rest = b""
        for chunk in self.chunks():
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()
            for part in parts:
                yield part[:-1] if part.endswith(b"\r") else part
        if rest:
            yield rest[:-1] if rest.endswith(b"\r") else rest

    def close(self) -> None:
        if self._handle is not sys.stdin.buffer:
            self._handle.close()


def open_source(path: str) -> Source:
    """`-` is standard input; anything else a file. InputError (one line) when it cannot be opened."""
    if path == "-":
        return Source("<stdin>", sys.stdin.buffer)
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return Source(path, handle)
    except InputError:
        handle.close()
        raise
