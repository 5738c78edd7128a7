"""Compressed inputs (`.pcap.gz`, `.log.xz`, `.bz2`...) read as a stream with the standard library, found by
their magic number (not their name), with a bound on what they may expand to (a decompression bomb stops with
one line, after what was read so far has been reported)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import BinaryIO

from tutor.errors import InputError

MAX_EXPANDED = 16 * 1024 ** 3        # 16 GiB out of one compressed input
MAX_RATIO = 500                      # past 64 MiB out, more than this many bytes out per byte in is a bomb
_RATIO_FROM = 64 * 1024 ** 2
_STEP = 256 * 1024
KINDS = {b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz", b"BZh": "bzip2"}


def kind_of(head: bytes) -> str | None:
    return next((kind for magic, kind in KINDS.items() if head.startswith(magic)), None)


def _decompressor(kind: str):
    if kind == "gzip":
        return zlib.decompressobj(wbits=47)
    if kind == "xz":
        import lzma  # imported only when needed: startup stays quick
        return lzma.LZMADecompressor()
    import bz2
    return bz2.BZ2Decompressor()


class Decompressed:
    """A read(size) file over a compressed one (several gzip / bzip2 members or xz streams one after another)."""

    def __init__(self, name: str, kind: str, first: bytes, handle: BinaryIO,
                 on_truncated: Callable[[str], None] | None = None) -> None:
        self.name, self.kind, self._handle = name, kind, handle
        self._on_truncated = on_truncated
        self._raw = first                        # compressed bytes not yet fed
        self._engine = _decompressor(kind)
        self._errors: tuple = (OSError, EOFError, ValueError, zlib.error)
        if kind == "xz":
            import lzma
            self._errors += (lzma.LZMAError,)
        self._out = bytearray()
        self._in_total = 0
        self._out_total = 0
        self._done = False

    def read(self, size: int) -> bytes:
        while len(self._out) < size and not self._done:
            self._step()
        data = bytes(self._out[:size])
        del self._out[:size]
        return data

    def _step(self) -> None:
        engine = self._engine
        if self.kind != "gzip" and not engine.eof and not engine.needs_input:
            data = b""                            # output still waiting inside the engine
        elif self._raw:
            data, self._raw = self._raw, b""
        else:
            data = self._handle.read(_STEP) or b""
            self._in_total += len(data)
            if not data:
                self._done = True
                if not engine.eof and self._on_truncated is not None:
                    self._on_truncated(f"{self.name}: the {self.kind} data ends early (a cut file?) after "
                                       f"{self._out_total} bytes out; read what was there")
                return
        try:
            out = engine.decompress(data, _STEP)
        except self._errors as exc:
            raise InputError(f"{self.name}: corrupt {self.kind} data after {self._out_total} bytes out: {exc}") \
                from None
        self._raw = self._rest(engine)
        self._count(len(out))
        self._out += out

    def _rest(self, engine) -> bytes:
        """Input the engine has not used yet; a new engine when one member or stream ends and more follows
        (trailing NUL padding, as xz and tape tools write, is not a stream)."""
        if self.kind == "gzip" and not engine.eof:
            return engine.unconsumed_tail
        if not engine.eof:
            return b""
        rest = engine.unused_data
        if rest.strip(b"\0"):
            self._engine = _decompressor(self.kind)
            return rest
        return b""

    def _count(self, produced: int) -> None:
        self._out_total += produced
        if self._out_total > MAX_EXPANDED or (
                self._out_total > _RATIO_FROM and self._out_total > MAX_RATIO * max(1, self._in_total)):
            raise InputError(f"{self.name}: {self.kind} data expands past {self._out_total} bytes "
                             f"(from {self._in_total}): stopped, too large to be a capture")
