"""pcap / pcapng captures to records: TCP streams reassembled in order, SMTP found by content anywhere in a
flow on any port (tutor.trace.sniff: replies, commands, a TLS handshake), IPv4 and IPv6 (fragments put back
together); after an accepted STARTTLS the rest of a stream is ciphertext and only counted (RFC 3207 §4.2).

A capture may cut packets short (snap length): a line cut that way is handed on marked `cut` (its start is
still read; the observer masks it by role), and the stream goes on at the right offset. Memory is bounded:
at most MAX_FLOWS open flows; past it the least recently active flow is reported early and, if it carries on
later, read again as a continuation (so a later AUTH exchange is not lost).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from tutor.protocol.framing import AUTH_LINE_LIMIT
from tutor.trace import netpkt, sniff, tls_keys
from tutor.trace.ipfrag import MAX_DATAGRAMS, Fragment, Reassembler
from tutor.trace.pcapfile import Secrets, is_capture, packets
from tutor.trace.records import Bad, Begin, End, Mark, Record, Wire
from tutor.trace.source import Source
from tutor.trace.tcpflow import GAP, Half
from tutor.trace.tls_flow import TlsFlow
from tutor.trace.tls_keys import KeyLog

__all__ = ["is_capture", "read"]

MAX_FLOWS = 10_000              # open flows kept at once; the least recently active is reported beyond that
MAX_IGNORED = 100_000
MAX_EVICTED = 200_000           # evicted flows remembered (a few dozen bytes each) to read their continuation
UNDECIDED_HELD = 4 * 1024       # bytes kept (the latest) while a flow shows nothing of SMTP yet, to read once it does
UNDECIDED_SCAN = 64 * 1024      # bytes looked at for SMTP in a flow before it is ignored as something else
LINE_LIMIT = AUTH_LINE_LIMIT * 8    # lenient: a capture may hold long lines; the observer judges them


def _endpoint(ip: bytes, port: int) -> str:
    address = ipaddress.ip_address(ip)
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


class _Flow:
    """One TCP connection; `server` is the endpoint found to be the server (None while undecided)."""

    __slots__ = ("sid", "halves", "server", "readers", "starttls", "encrypted", "packet", "t", "ends", "undecided",
                 "held", "scanned", "part", "tls")

    def __init__(self, sid: str, server: tuple | None = None, part: int = 1) -> None:
        self.sid = sid
        self.halves: dict[tuple, Half] = {}
        self.server = server
        self.readers = {"C": bytearray(), "S": bytearray()}
        self.starttls = False
        self.encrypted = 0
        self.packet = 0
        self.t = 0.0
        self.ends = 0
        self.undecided: list[tuple[tuple, bytes | None]] = []   # (sender, chunk) seen before the flow was known
        self.held = 0
        self.scanned = 0
        self.part = part
        self.tls: TlsFlow | None = None                         # --keylog: the TLS reader of this flow


class _Reader:
    """The state of reading one capture file."""

    def __init__(self, src: Source, keylog: KeyLog | None = None) -> None:
        self.name = src.name
        self.keylog = keylog
        self.flows: dict[tuple, _Flow] = {}
        self.ignored: set[tuple] = set()
        self.evicted: dict[tuple, tuple] = {}      # key -> (server, next part number): to read a continuation
        self.count = 0
        self.out: list[Record] = []          # records made by the last packet, handed out by read()

    def where(self, flow: _Flow) -> str:
        return f"{self.name}#{flow.packet}"

    def segment(self, number: int, t: float, seg: netpkt.Segment) -> None:
        src_ip, dst_ip, sport, dport, seq, flags, payload, missing = seg
        src, dst = (src_ip, sport), (dst_ip, dport)
        key = (src, dst) if src < dst else (dst, src)
        flows = self.flows
        flow = flows.get(key)
        if flow is None:
            if key in self.ignored or not (payload or missing or flags & netpkt.SYN):
                return
            flow = flows[key] = self._new_flow(key)
            self._evict()
        elif flow is not flows[next(reversed(flows))]:
            flows[key] = flows.pop(key)             # most recently active last: evicted last
        flow.packet, flow.t = number, t
        half = flow.halves.get(src)
        if half is None:
            half = flow.halves[src] = Half()
        if flags & netpkt.SYN:
            half.syn(seq)
            return
        if payload or missing or flags & netpkt.FIN:    # a FIN ahead of the data: bytes were lost
            for chunk in half.add(seq, payload, missing):
                self._data(key, flow, src, dst, chunk)
        if flags & netpkt.RST or (flags & netpkt.FIN and not half.fin and self._fin(flow, half)):
            self.close(key)

    def _fin(self, flow: _Flow, half: Half) -> bool:
        half.fin = True
        flow.ends += 1
        return flow.ends >= 2

    def _new_flow(self, key: tuple) -> _Flow:
        self.count += 1
        server, part = self.evicted.pop(key, (None, 1))
        flow = _Flow(f"{self.name}#tcp{self.count}", server, part)
        self.flows[key] = flow
        if server is not None:                      # a flow reported early carries on: a continuation
            self._begin(key, flow)
            self.out.append(Mark(flow.sid, "trace.mark.continued", "", {"part": part}))
        return flow

    def _evict(self) -> None:
        if len(self.flows) > MAX_FLOWS:
            self.close(next(iter(self.flows)), evicted=True)
        if len(self.ignored) > MAX_IGNORED:
            self.ignored.clear()
        if len(self.evicted) > MAX_EVICTED:
            del self.evicted[next(iter(self.evicted))]

    # ---- bytes in order, to lines -------------------------------------------------------------------
    def _data(self, key: tuple, flow: _Flow, src: tuple, dst: tuple, chunk: bytes | None) -> None:
        if flow.server is None:
            if not self._classify(key, flow, src, dst, chunk):
                return
            held, flow.undecided = flow.undecided, []
            for sender, part in held:               # what came before the flow was known, read now
                self._data(key, flow, sender, key[0] if sender == key[1] else key[1], part)
        if flow.encrypted:
            flow.encrypted += len(chunk or b"")
            if self.keylog is not None:
                self._decrypt(flow, src, chunk)
            return
        direction = "S" if src == flow.server else "C"
        buffer = flow.readers[direction]
        if flow.starttls and direction == "C" and chunk and not buffer and sniff.tls_side(chunk):
            flow.encrypted = 1 + len(chunk)           # a ClientHello after STARTTLS: the 220 was not captured
            self.out.append(Mark(flow.sid, "trace.mark.encrypted", self.where(flow)))
            if self.keylog is not None:
                self._decrypt(flow, src, chunk)
            return
        if chunk is GAP:
            self._gap(flow, direction, buffer)
            return
        if b"\n" not in chunk:                    # only the new bytes are searched: linear in the stream
            buffer += chunk
            self._check_long(flow, direction, buffer)
            return
        if not buffer and chunk[-1] == 10:          # the common case: whole lines, nothing held from before
            self._lines(flow, direction, chunk)
            return
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start:end - 1 if end > start and buffer[end - 1] == 13 else end])
            start = end + 1
            self._line(flow, direction, line)
            if flow.encrypted:
                return
        del buffer[:start]
        self._check_long(flow, direction, buffer)

    def _lines(self, flow: _Flow, direction: str, chunk: bytes) -> None:
        """A chunk of whole lines (it ends with LF), each handed on without its CR LF (or bare LF)."""
        for line in chunk[:-1].split(b"\n"):
            self._line(flow, direction, line[:-1] if line[-1:] == b"\r" else line)
            if flow.encrypted:
                return

    def _decrypt(self, flow: _Flow, src: tuple, chunk: bytes | None) -> None:
        """--keylog: ciphertext to the TLS reader (tutor.trace.tls_flow), which hands on the lines inside."""
        if flow.tls is None:
            assert self.keylog is not None, "only called with keys"
            flow.tls = TlsFlow(self.keylog, flow.sid, smtp_known=flow.starttls)
        self.out.extend(flow.tls.feed("S" if src == flow.server else "C", chunk, self.where(flow), flow.t))

    def _gap(self, flow: _Flow, direction: str, buffer: bytearray) -> None:
        """Bytes never captured: a line cut short is handed on marked cut (its start is still read); a gap
        between lines is marked."""
        if buffer:
            self.out.append(Wire(flow.sid, direction, bytes(buffer), self.where(flow), flow.t, cut=True))
            buffer.clear()
        else:
            self.out.append(Mark(flow.sid, "trace.mark.gap", self.where(flow), {"side": direction}))

    def _check_long(self, flow: _Flow, direction: str, buffer: bytearray) -> None:
        if len(buffer) > LINE_LIMIT:                # RFC 5321 §4.5.3.1 limits lines; do not buffer without end
            self.out.append(Mark(flow.sid, "trace.mark.long-line", self.where(flow),
                                 {"length": len(buffer), "side": direction}))
            buffer.clear()

    def _classify(self, key: tuple, flow: _Flow, src: tuple, dst: tuple, chunk: bytes | None) -> bool:
        """SMTP by content anywhere in the flow; implicit TLS by a handshake record at the start of a direction.
        Until something shows, the latest bytes are held (UNDECIDED_HELD); past UNDECIDED_SCAN it is ignored."""
        if chunk is not GAP:
            at_start = flow.halves[src].offset == len(chunk)
            tls = sniff.tls_side(chunk) if at_start and not flow.undecided else None
            if tls is None and at_start and not flow.undecided and sniff.tls_record(chunk):
                tls = sniff.SERVER if src[1] < dst[1] else sniff.CLIENT   # no hello: the lower port serves
            side = tls or sniff.smtp_side(chunk)
            if side is not None:
                flow.server = src if side == sniff.SERVER else dst
                flow.encrypted = 1 if tls else 0
                self._begin(key, flow)
                if tls:
                    self.out.append(Mark(flow.sid, "trace.mark.implicit-tls", self.where(flow),
                                         {"port": flow.server[1]}))
                return True
        flow.undecided.append((src, chunk))
        flow.held += len(chunk or b"")
        flow.scanned += len(chunk or b"")
        while flow.held > UNDECIDED_HELD and len(flow.undecided) > 1:     # keep the latest bytes only
            flow.held -= len(flow.undecided.pop(0)[1] or b"")
        if flow.scanned > UNDECIDED_SCAN:
            del self.flows[key]
            self.ignored.add(key)
        return False

    def _begin(self, key: tuple, flow: _Flow) -> None:
        part = f" (continued, part {flow.part})" if flow.part > 1 else ""
        assert flow.server is not None, "a session begins once its server side is known"
        self.out.append(Begin(flow.sid, f"{self.name}: {_endpoint(*self._client(flow, key))} → "
                                        f"{_endpoint(*flow.server)}{part}", "pcap"))

    @staticmethod
    def _client(flow: _Flow, key: tuple) -> tuple:
        return key[0] if key[1] == flow.server else key[1]

    def _line(self, flow: _Flow, direction: str, data: bytes) -> None:
        where = self.where(flow)
        self.out.append(Wire(flow.sid, direction, data, where, flow.t))
        if direction == "C":
            flow.starttls = data[:8].upper() == b"STARTTLS" and len(data.strip()) == 8
        elif flow.starttls and data[:3] == b"220" and data[3:4] != b"-":
            flow.encrypted = 1                     # RFC 3207: the TLS handshake starts right after this line
            self.out.append(Mark(flow.sid, "trace.mark.encrypted", where))
        elif data[3:4] != b"-":
            flow.starttls = False

    # ---- the end of a flow --------------------------------------------------------------------------
    def close(self, key: tuple, evicted: bool = False) -> None:
        flow = self.flows.pop(key, None)
        if flow is None or flow.server is None:
            return
        for src, half in flow.halves.items():
            for chunk in half.flush():
                self._data(key, flow, src, key[0] if src == key[1] else key[1], chunk)
        if evicted:
            self.evicted[key] = (flow.server, flow.part + 1)
            self.out.append(Mark(flow.sid, "trace.mark.evicted", self.where(flow), {"limit": MAX_FLOWS}))
        for direction, buffer in flow.readers.items():
            if buffer and not flow.encrypted:
                self.out.append(Wire(flow.sid, direction, bytes(buffer), self.where(flow), flow.t, cut=True))
                self.out.append(Mark(flow.sid, "trace.mark.incomplete", self.where(flow), {"side": direction}))
        if flow.tls is not None:
            self.out.extend(flow.tls.finish(self.where(flow), flow.encrypted - 1))
        elif flow.encrypted > 1:
            self.out.append(Mark(flow.sid, "trace.mark.encrypted-bytes", self.where(flow),
                                 {"octets": flow.encrypted - 1}))
        self.out.append(End(flow.sid))


def read(src: Source, keylog: KeyLog | None = None) -> Iterator[Record]:
    """Records for every SMTP session in a capture; a bad part of the file is reported with a Bad record.
    With a key log (tutor.trace.tls_keys), TLS sessions it has keys for are decrypted and read like clear ones."""
    reader = _Reader(src, keylog)
    out = reader.out
    number = 0
    segment, fragments = netpkt.segment, Reassembler()
    for packet in packets(src):
        if type(packet) is not tuple:                   # a Bad part of the file, or TLS keys
            if isinstance(packet, Secrets):             # TLS keys embedded in a pcapng: used as with --keylog
                reader.keylog, bad = tls_keys.embedded(reader.keylog, packet, src.name)
                yield from ([bad] if bad else [])
            elif isinstance(packet, Bad):
                yield packet
            continue
        number += 1
        seg = segment(packet[1], packet[2], packet[3])
        if seg is None:
            continue
        if isinstance(seg, Fragment):
            whole = fragments.add(seg)
            if whole is None or (seg := netpkt.tcp_in(*whole)) is None:
                continue
        reader.segment(number, packet[0], seg)
        if out:
            yield from out
            out.clear()
    for key in list(reader.flows):
        reader.close(key)
    yield from out
    lost = fragments.dropped + fragments.pending
    if lost:
        yield Bad(src.name, f"{src.name}: {lost} fragmented IP datagrams could not be put back together "
                            f"(fragments missing, or more than {MAX_DATAGRAMS} pending at once); their bytes are "
                            f"reported as gaps")
