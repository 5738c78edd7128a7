"""IPv4 and IPv6 fragments put back together (RFC 791 §3.2, RFC 8200 §4.5), in bounded memory.

A datagram is kept until its last fragment and every byte before it have arrived; at most MAX_DATAGRAMS are
pending at once (the oldest is dropped and counted), each at most 65,535 bytes (RFC 791: the total length).
"""

from __future__ import annotations

from typing import NamedTuple

MAX_DATAGRAMS = 1024
MAX_SIZE = 65535


class Fragment(NamedTuple):
    """One fragment of a TCP datagram: `offset` in bytes, `more` when more fragments follow."""

    key: tuple                 # (version, source, destination, identification)
    src: bytes
    dst: bytes
    offset: int
    more: bool
    data: bytes
    missing: int               # bytes the capture cut from this fragment (snap length)


class Reassembler:
    """Fragments in, whole datagram payloads out; `dropped` counts datagrams given up (bounded memory)."""

    def __init__(self) -> None:
        self._pending: dict[tuple, dict] = {}
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Datagrams still waiting for fragments."""
        return len(self._pending)

    def add(self, frag: Fragment) -> tuple[bytes, bytes, bytes, int] | None:
        """(source, destination, TCP bytes, missing) once the datagram is complete, else None."""
        if frag.offset + len(frag.data) + frag.missing > MAX_SIZE:
            self.dropped += 1
            return None
        entry = self._pending.get(frag.key)
        if entry is None:
            entry = self._pending[frag.key] = {"parts": {}, "end": None, "cut": MAX_SIZE}
            if len(self._pending) > MAX_DATAGRAMS:
                del self._pending[next(iter(self._pending))]
                self.dropped += 1
        entry["parts"].setdefault(frag.offset, frag.data)
        if frag.missing:                          # the capture cut this fragment: what follows it is unknown
            entry["cut"] = min(entry["cut"], frag.offset + len(frag.data))
        if not frag.more:
            entry["end"] = frag.offset + len(frag.data) + frag.missing
        return self._complete(frag, entry)

    def _complete(self, frag: Fragment, entry: dict) -> tuple[bytes, bytes, bytes, int] | None:
        end = entry["end"]
        if end is None:
            return None
        data = bytearray()
        for offset in sorted(entry["parts"]):
            part = entry["parts"][offset]
            if offset > len(data):
                if offset < entry["cut"]:
                    return None                   # a hole: wait for the fragment that fills it
                break
            if offset + len(part) > len(data):
                data[offset:] = part
        known = min(end, entry["cut"])
        if len(data) < known:
            return None
        del self._pending[frag.key]
        return frag.src, frag.dst, bytes(data[:known]), end - known
