"""TCP reassembly for one direction of a flow: bytes in sequence order, retransmissions trimmed,
out-of-order segments held back (bounded), a gap reported when bytes never came."""

from __future__ import annotations

GAP = None                      # in the output: bytes are missing here
PENDING_LIMIT = 256 * 1024      # out-of-order bytes held per direction before giving up on a gap
_MOD = 1 << 32


def _distance(seq: int, base: int) -> int:
    """Signed distance from base to seq in 32-bit sequence space."""
    return (seq - base + (1 << 31)) % _MOD - (1 << 31)


class Half:
    """One direction of a TCP connection."""

    __slots__ = ("next", "pending", "pending_bytes", "fin")

    def __init__(self) -> None:
        self.next: int | None = None
        self.pending: dict[int, tuple[bytes, int]] = {}
        self.pending_bytes = 0
        self.fin = False

    def syn(self, seq: int) -> None:
        self.next = (seq + 1) % _MOD

    def add(self, seq: int, payload: bytes, missing: int = 0) -> list[bytes | None]:
        """The bytes that are now in order (GAP where some are lost for good)."""
        if self.next is None:
            self.next = seq                       # the capture started mid-connection
        if not self.pending and seq == self.next:  # the common case: in order
            self.next = (seq + len(payload) + missing) % _MOD
            return [payload, GAP] if missing else [payload]
        out: list[bytes | None] = []
        if _distance(seq, self.next) > 0:
            if seq not in self.pending:
                self.pending[seq] = (payload, missing)
                self.pending_bytes += len(payload)
            if self.pending_bytes > PENDING_LIMIT:
                out.append(GAP)
                self.next = min(self.pending, key=lambda s: _distance(s, self.next))
        else:
            self._take(seq, payload, missing, out)
        self._drain(out)
        return out

    def flush(self) -> list[bytes | None]:
        """At the end of the flow: whatever is still held, with a gap before it."""
        out: list[bytes | None] = []
        if self.pending:
            out.append(GAP)
            self.next = min(self.pending, key=lambda s: _distance(s, self.next))
            self._drain(out)
        return out

    def _take(self, seq: int, payload: bytes, missing: int, out: list) -> None:
        behind = -_distance(seq, self.next)       # bytes already delivered (retransmission overlap)
        if behind >= len(payload) + missing:
            return
        if behind < len(payload):
            out.append(payload[behind:])
        if missing:
            out.append(GAP)
        self.next = (seq + len(payload) + missing) % _MOD

    def _drain(self, out: list) -> None:
        while self.pending:
            ready = [s for s in self.pending if _distance(s, self.next) <= 0]
            if not ready:
                return
            for seq in sorted(ready, key=lambda s: _distance(s, self.next)):
                payload, missing = self.pending.pop(seq)
                self.pending_bytes -= len(payload)
                self._take(seq, payload, missing, out)
