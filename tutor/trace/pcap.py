"""pcap / pcapng captures to records: TCP streams reassembled in order, SMTP found by content on any port
(a 220 banner from one side or EHLO/HELO from the other), IPv4 and IPv6; after an accepted STARTTLS the rest
of a stream is ciphertext and only counted (RFC 3207 §4.2)."""

from __future__ import annotations

import ipaddress
import re
from typing import Iterator

from tutor.protocol.framing import AUTH_LINE_LIMIT
from tutor.trace import netpkt
from tutor.trace.pcapfile import is_capture, packets
from tutor.trace.records import Bad, Begin, End, Mark, Record, Wire
from tutor.trace.source import Source
from tutor.trace.tcpflow import GAP, Half

__all__ = ["is_capture", "read"]

MAX_FLOWS = 10_000              # open flows kept at once; the oldest is reported and dropped beyond that
MAX_IGNORED = 100_000
LINE_LIMIT = AUTH_LINE_LIMIT * 8    # lenient: a capture may hold long lines; the observer judges them
_BANNER = re.compile(rb"^(?:220|421|554)[ -]")
_HELLO = re.compile(rb"^(?:EHLO|HELO|LHLO)(?: |\r?\n)", re.IGNORECASE)
_TLS_RECORD = re.compile(rb"^\x16\x03[\x00-\x04]")
_IMPLICIT_TLS_PORTS = {465}
_CONTROL = netpkt.FIN | netpkt.RST | netpkt.SYN


def _endpoint(ip: bytes, port: int) -> str:
    address = ipaddress.ip_address(ip)
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


class _Flow:
    """One TCP connection; `server` is the endpoint that sent the banner (or did not send EHLO)."""

    __slots__ = ("sid", "halves", "server", "readers", "starttls", "encrypted", "packet", "t", "ends")

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.halves: dict[tuple, Half] = {}
        self.server: tuple | None = None
        self.readers = {"C": bytearray(), "S": bytearray()}
        self.starttls = False
        self.encrypted = 0
        self.packet = 0
        self.t = 0.0
        self.ends = 0


class _Reader:
    """The state of reading one capture file."""

    def __init__(self, src: Source) -> None:
        self.name = src.name
        self.flows: dict[tuple, _Flow] = {}
        self.ignored: set[tuple] = set()
        self.count = 0
        self.out: list[Record] = []          # records made by the last packet, handed out by read()

    def where(self, flow: _Flow) -> str:
        return f"{self.name}#{flow.packet}"

    def segment(self, number: int, t: float, seg: netpkt.Segment) -> None:
        src, dst = (seg.src, seg.sport), (seg.dst, seg.dport)
        key = (src, dst) if src < dst else (dst, src)
        flow = self.flows.get(key)
        if flow is None:
            if key in self.ignored or not (seg.payload or seg.flags & netpkt.SYN):
                return
            flow = self._new_flow(key)
            self._evict()
        flow.packet, flow.t = number, t
        half = flow.halves.get(src)
        if half is None:
            half = flow.halves[src] = Half()
        if seg.flags & netpkt.SYN:
            half.syn(seg.seq)
            return
        if seg.payload or seg.missing:
            for chunk in half.add(seg.seq, seg.payload, seg.missing):
                self._data(key, flow, src, dst, chunk)
        if seg.flags & netpkt.RST or (seg.flags & netpkt.FIN and not half.fin and self._fin(flow, half)):
            self.close(key)

    def _fin(self, flow: _Flow, half: Half) -> bool:
        half.fin = True
        flow.ends += 1
        return flow.ends >= 2

    def _new_flow(self, key: tuple) -> _Flow:
        self.count += 1
        flow = _Flow(f"{self.name}#tcp{self.count}")
        self.flows[key] = flow
        return flow

    def _evict(self) -> None:
        if len(self.flows) > MAX_FLOWS:
            oldest = next(iter(self.flows))
            self.close(oldest, evicted=True)
        if len(self.ignored) > MAX_IGNORED:
            self.ignored.clear()

    def _data(self, key: tuple, flow: _Flow, src: tuple, dst: tuple, chunk: bytes | None) -> None:
        if flow.server is None:
            if chunk is GAP or not self._classify(key, flow, src, dst, chunk):
                return
            self.out.append(Begin(flow.sid, f"{self.name}: {_endpoint(*self._client(flow, key))} → "
                                  f"{_endpoint(*flow.server)}", "pcap"))
            if flow.encrypted:
                self.out.append(Mark(flow.sid, "trace.mark.implicit-tls", self.where(flow)))
                return
        if flow.encrypted:
            flow.encrypted += len(chunk or b"")
            return
        direction = "S" if src == flow.server else "C"
        buffer = flow.readers[direction]
        if chunk is GAP:
            buffer.clear()
            self.out.append(Mark(flow.sid, "trace.mark.gap", self.where(flow), {"side": direction}))
            return
        if b"\n" not in chunk:                    # only the new bytes are searched: linear in the stream
            buffer += chunk
            self._check_long(flow, direction, buffer)
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

    def _check_long(self, flow: _Flow, direction: str, buffer: bytearray) -> None:
        if len(buffer) > LINE_LIMIT:                # RFC 5321 §4.5.3.1 limits lines; do not buffer without end
            self.out.append(Mark(flow.sid, "trace.mark.long-line", self.where(flow),
                                 {"length": len(buffer), "side": direction}))
            buffer.clear()

    def _classify(self, key: tuple, flow: _Flow, src: tuple, dst: tuple, chunk: bytes) -> bool:
        """SMTP by content: a banner from the server, or EHLO/HELO from the client; implicit TLS on 465."""
        if _BANNER.match(chunk):
            flow.server = src
        elif _HELLO.match(chunk):
            flow.server = dst
        elif _TLS_RECORD.match(chunk) and (dst[1] in _IMPLICIT_TLS_PORTS or src[1] in _IMPLICIT_TLS_PORTS):
            flow.server = dst if dst[1] in _IMPLICIT_TLS_PORTS else src
            flow.encrypted = 1
        else:
            del self.flows[key]
            self.ignored.add(key)
            return False
        return True

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

    def close(self, key: tuple, evicted: bool = False) -> None:
        flow = self.flows.pop(key, None)
        if flow is None or flow.server is None:
            return
        for src, half in flow.halves.items():
            for chunk in half.flush():
                self._data(key, flow, src, key[0] if src == key[1] else key[1], chunk)
        if evicted:
            self.out.append(Mark(flow.sid, "trace.mark.evicted", self.where(flow), {"limit": MAX_FLOWS}))
        for direction, buffer in flow.readers.items():
            if buffer and not flow.encrypted:
                self.out.append(Mark(flow.sid, "trace.mark.incomplete", self.where(flow), {"side": direction}))
        if flow.encrypted > 1:
            self.out.append(Mark(flow.sid, "trace.mark.encrypted-bytes", self.where(flow), {"octets": flow.encrypted - 1}))
        self.out.append(End(flow.sid))


def read(src: Source) -> Iterator[Record]:
    """Records for every SMTP session in a capture; a bad part of the file ends it with a Bad record."""
    reader = _Reader(src)
    out = reader.out
    number = 0
    segment = netpkt.segment
    for packet in packets(src):
        if isinstance(packet, Bad):
            yield packet
            continue
        number += 1
        seg = segment(packet[1], packet[2])
        if seg is None:
            continue
        reader.segment(number, packet[0], seg)
        if out:
            yield from out
            out.clear()
    for key in list(reader.flows):
        reader.close(key)
    yield from out
