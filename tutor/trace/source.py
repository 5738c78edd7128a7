"""Reading an input file (or standard input) in chunks: the head for format detection, then lines or bytes.

Text is read line by line in bounded memory: a line longer than MAX_LINE, or a run of lines that are binary
garbage (a corrupt or spliced paste), is skipped with one `Bad` record handed to `on_bad`; the lines around
it keep their real line numbers.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from tutor.errors import InputError
from tutor.trace import compressed
from tutor.trace.records import Bad

HEAD = 64 * 1024
CHUNK = 1024 * 1024
MAX_LINE = 1024 * 1024          # no transcript or log line is this long (SMTP's own limit is 12,288 octets)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")   # tab, CR, LF, FF, VT and ESC are text


def is_garbage(line: bytes) -> bool:
    """Binary data rather than text: a NUL, or more than one control byte in 20 (Latin-1 logs stay text)."""
    if not _CONTROL.search(line):
        return False
    if b"\0" in line:
        return True
    controls = len(_CONTROL.findall(line))
    return controls >= 2 and controls * 20 > len(line)


class Source:
    """A named binary input with the first HEAD bytes kept for detection; read() and lines() go on from 0."""

    def __init__(self, name: str, handle: BinaryIO) -> None:
        self.name = name
        self._on_bad: Callable[[Bad], None] | None = None
        self._early: list[Bad] = []                 # told before anyone listened (while reading the head)
        self._handle: BinaryIO | compressed.Decompressed = handle
        self._closing = handle
        self._live = not _seekable(handle)         # a pipe or a followed file: data comes as it is written
        self.head = self._read_head()
        self.compressed = compressed.kind_of(self.head)
        if self.compressed:                         # read through it: the head is the decompressed start
            self._handle = compressed.Decompressed(name, self.compressed, self.head, handle,
                                                   self._bad_whole)
            self.head = self._read_raw(HEAD)
        self._buffer = self.head
        self.offset = 0                 # bytes handed out so far

    @property
    def on_bad(self) -> Callable[[Bad], None] | None:
        """Told about skipped parts of the input (garbage lines, a cut compressed file)."""
        return self._on_bad

    @on_bad.setter
    def on_bad(self, listener: Callable[[Bad], None] | None) -> None:
        self._on_bad = listener
        while listener is not None and self._early:
            listener(self._early.pop(0))

    def _read_raw(self, size: int) -> bytes:
        try:
            return self._handle.read(size) or b""
        except OSError as exc:
            raise InputError(f"{self.name}: read error: {exc.strerror or exc}") from None

    def _read_some(self, size: int) -> bytes:
        """Up to `size` bytes, as soon as there are some: a live input is not held back until `size` arrive."""
        read1 = getattr(self._handle, "read1", None)
        if read1 is None:
            return self._read_raw(size)
        try:
            return read1(size) or b""
        except OSError as exc:
            raise InputError(f"{self.name}: read error: {exc.strerror or exc}") from None

    def _read_head(self) -> bytes:
        """The first HEAD bytes; from a live input, fewer once it pauses after a capture header or a whole line
        (`tcpdump -U -w - | smtp-tutor trace -` must not wait for 64 KiB of traffic)."""
        if not self._live:
            return self._read_raw(HEAD)
        head = bytearray()
        while len(head) < HEAD:
            want = HEAD - len(head)
            more = self._read_some(want)
            if not more:
                break
            head += more
            if len(more) < want and _enough_to_detect(head):
                break
        return bytes(head)

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
        while data := self._read_some(CHUNK):
            self.offset += len(data)
            yield data

    def lines(self) -> Iterator[bytes]:
        """Lines without their line ending (LF, CRLF, or CR CR LF as a terminal's copy has it)."""
        for _, line in self.numbered():
            yield line

    def numbered(self) -> Iterator[tuple[int, bytes]]:
        """(line number from 1, line) for every readable line; over-long lines and binary garbage are skipped
        and reported to `on_bad`, one report per run of bad lines."""
        rest, number, skipping = b"", 0, False
        run = [0, 0]                            # a run of garbage lines: its first line number, its bytes
        for chunk in self.chunks():
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()
            for part in parts:
                number += 1
                if skipping:                    # the end of an over-long line
                    skipping = False
                elif len(part) > MAX_LINE:
                    self._too_long(number)
                elif is_garbage(part):
                    run[0], run[1] = run[0] or number, run[1] + len(part) + 1
                else:
                    if run[0]:
                        self._garbage(run, number - 1)
                    yield number, part.rstrip(b"\r")
            if len(rest) > MAX_LINE:
                if not skipping:
                    self._too_long(number + 1)
                rest, skipping = b"", True
        if rest and not skipping:
            number += 1
            if is_garbage(rest):
                run[0], run[1] = run[0] or number, run[1] + len(rest)
                rest = b""
        if run[0]:
            self._garbage(run, number - 1 if rest else number)
        if rest and not skipping:
            yield number, rest.rstrip(b"\r")

    def _too_long(self, number: int) -> None:
        self._bad(number, f"a line longer than {MAX_LINE // 1024} KiB, not a transcript line; skipped")

    def _garbage(self, run: list[int], last: int) -> None:
        first, size = run
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        self._bad(first, f"{size} bytes of binary data ({where}), not text; skipped")
        run[0], run[1] = 0, 0

    def _bad_whole(self, text: str) -> None:
        if self._on_bad is None:
            self._early.append(Bad(self.name, text))
        else:
            self._on_bad(Bad(self.name, text))

    def _bad(self, number: int, text: str) -> None:
        if self.on_bad is not None:
            self.on_bad(Bad(f"{self.name}:{number}", f"{self.name}:{number}: {text}"))

    def close(self) -> None:
        if self._closing is not sys.stdin.buffer:
            self._closing.close()


def _seekable(handle) -> bool:
    try:
        return bool(handle.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _enough_to_detect(head: bytes | bytearray) -> bool:
    from tutor.trace.pcapfile import is_capture
    return (len(head) >= 24 and is_capture(bytes(head[:4]))) or b"\n" in head


def open_source(path: str, follow: bool = False) -> Source:
    """`-` is standard input; anything else a file, read as it grows with `follow` (tutor.trace.follow).
    InputError (one line) when it cannot be opened."""
    if path == "-":
        return Source("<stdin>", sys.stdin.buffer)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the Source owns it and closes it
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    reader: BinaryIO = handle
    if follow:
        from tutor.trace.follow import Follow
        reader = cast("BinaryIO", Follow(path, handle))   # the file-like part Source uses: read1, read, close
    try:
        return Source(path, reader)
    except InputError:
        reader.close()
        raise
