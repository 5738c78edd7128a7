"""TCP reassembly for one direction of a flow: bytes in sequence order, retransmissions trimmed,
out-of-order segments held back (bounded), a gap reported when bytes never came.

Linear: held segments sit in a heap keyed by their offset in the stream (sequence numbers unwrapped), so each
segment is pushed and popped once; every held segment counts toward the bound, payload or not.
"""

from __future__ import annotations

import heapq

GAP = None                      # in the output: bytes are missing here
PENDING_LIMIT = 256 * 1024      # out-of-order bytes held per direction before giving up on a gap
SEGMENT_COST = 64               # what holding one segment costs against PENDING_LIMIT besides its payload
_MOD = 1 << 32


def _distance(seq: int, base: int) -> int:
    """Signed distance from base to seq in 32-bit sequence space."""
    return (seq - base + (1 << 31)) % _MOD - (1 << 31)


class Half:
    """One direction of a TCP connection; `offset` is how many stream bytes were delivered or lost so far."""

    __slots__ = ("_order", "fin", "lost", "next", "offset", "pending", "pending_bytes")

    def __init__(self) -> None:
        self.next: int | None = None            # the next sequence number expected
        self.offset = 0                         # the stream offset of `next`
        self.pending: list[tuple[int, int, bytes, int]] = []    # heap of (offset, arrival, payload, missing)
        self.pending_bytes = 0
        self.fin = False
        self.lost = 0                           # bytes reported as GAP (never captured)
        self._order = 0

    def syn(self, seq: int) -> None:
        self.next = (seq + 1) % _MOD

    def add(self, seq: int, payload: bytes, missing: int = 0) -> list[bytes | None]:
        """The bytes that are now in order (GAP where some are lost for good)."""
        if self.next is None:
            self.next = seq                       # the capture started mid-connection
        if seq == self.next and not self.pending:     # the common case: in order (both are below 2**32)
            count = len(payload) + missing
            self.offset += count
            self.next = (seq + count) % _MOD
            if not missing:
                return [payload]
            self.lost += missing
            return [payload, GAP]
        ahead = _distance(seq, self.next)
        out: list[bytes | None] = []
        if ahead > 0:
            self._order += 1
            heapq.heappush(self.pending, (self.offset + ahead, self._order, payload, missing))
            self.pending_bytes += len(payload) + SEGMENT_COST
            if self.pending_bytes > PENDING_LIMIT:
                self._skip_to_pending(out)
        else:
            self._take(self.offset + ahead, payload, missing, out)
        self._drain(out)
        return out

    def flush(self) -> list[bytes | None]:
        """At the end of the flow: whatever is still held, with a gap before it."""
        out: list[bytes | None] = []
        if self.pending:
            self._skip_to_pending(out)
            self._drain(out)
        return out

    def _skip_to_pending(self, out: list) -> None:
        """Give up on the bytes before the first held segment: they were never captured."""
        start = self.pending[0][0]
        if start > self.offset:
            out.append(GAP)
            self._advance(start - self.offset, start - self.offset)

    def _advance(self, count: int, lost: int = 0) -> None:
        self.offset += count
        assert self.next is not None, "a flow advances only after its first segment set `next`"
        self.next = (self.next + count) % _MOD
        self.lost += lost

    def _take(self, start: int, payload: bytes, missing: int, out: list) -> None:
        behind = self.offset - start              # bytes already delivered (retransmission overlap)
        if behind >= len(payload) + missing:
            return
        if behind < len(payload):
            out.append(payload[behind:])
        if missing:
            out.append(GAP)
        self._advance(len(payload) + missing - behind, min(missing, len(payload) + missing - behind))

    def _drain(self, out: list) -> None:
        pending = self.pending
        while pending and pending[0][0] <= self.offset:
            start, _, payload, missing = heapq.heappop(pending)
            self.pending_bytes -= len(payload) + SEGMENT_COST
            self._take(start, payload, missing, out)
