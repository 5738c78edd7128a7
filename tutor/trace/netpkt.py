"""Link layer, IPv4 / IPv6 and TCP headers of one captured packet, down to a TCP segment.

Fragments come out as ipfrag.Fragment for tutor.trace.ipfrag to put together. An IP length of 0 (a TSO /
GSO packet captured before the NIC split it, or an IPv6 jumbogram) means "as long as the packet on the wire".

Link types: Ethernet (1, with 802.1Q tags), BSD loopback/null (0) and OpenBSD loop (108), raw IP (101,
and 228/229), Linux cooked captures SLL (113) and SLL2 (276).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from tutor.trace.ipfrag import Fragment

_ETHERTYPE_IP = {0x0800: 4, 0x86DD: 6}
_IPV6_EXTENSIONS = {0, 43, 60}
TCP = 6
FIN, SYN, RST = 0x01, 0x02, 0x04
_CONTROL = FIN | SYN | RST
_IPV4 = struct.Struct(">BxHHHxB")
_TCP = struct.Struct(">HHIIH")
# Ethernet, an IPv4 header of 20 bytes and TCP, read at once (the common case): ethertype; version and IHL;
# total length; flags and fragment offset; protocol; addresses; ports; sequence number; data offset and flags.
_ETHER_IPV4_TCP = struct.Struct(">12xHBxH2xHxB2x4s4sHHI4xH")


class Segment(NamedTuple):
    """A TCP segment; `missing` counts payload bytes the IP header announced but the capture cut off."""

    src: bytes
    dst: bytes
    sport: int
    dport: int
    seq: int
    flags: int
    payload: bytes
    missing: int


def _network(linktype: int, data: bytes) -> tuple[int, int] | None:
    """(offset of the IP header, IP version) or None for other link types and protocols."""
    if linktype == 1:
        offset, ethertype = 14, int.from_bytes(data[12:14], "big")
        while ethertype in (0x8100, 0x88A8) and len(data) >= offset + 4:
            ethertype, offset = int.from_bytes(data[offset + 2:offset + 4], "big"), offset + 4
        version = _ETHERTYPE_IP.get(ethertype)
        return (offset, version) if version else None
    if linktype == 113:
        version = _ETHERTYPE_IP.get(int.from_bytes(data[14:16], "big"))
        return (16, version) if version else None
    if linktype == 276:
        version = _ETHERTYPE_IP.get(int.from_bytes(data[0:2], "big"))
        return (20, version) if version else None
    ip_at = {0: 4, 108: 4, 101: 0, 228: 0, 229: 0, 12: 0, 14: 0}.get(linktype)
    if ip_at is None or len(data) <= ip_at:
        return None
    return ip_at, data[ip_at] >> 4


def segment(linktype: int, data: bytes, wire: int = 0) -> Segment | Fragment | None:
    """The TCP segment (or IP fragment of one) in a packet, or None (not TCP over IP, a bare ACK, or too short
    to read). `wire` is the packet's length on the wire (the capture record's original length)."""
    if linktype == 1 and len(data) >= 54:
        ethertype, first, total, frag, proto, src, dst, sport, dport, seq, off_flags = _ETHER_IPV4_TCP.unpack_from(data)
        if ethertype == 0x0800 and first == 0x45 and proto == TCP and not frag & 0x3FFF:    # the common case
            end = 14 + total if total else max(wire, len(data))      # as _ipv4 and _tcp read it, at once
            start = 34 + (off_flags >> 12) * 4
            if end <= start and not off_flags & _CONTROL:    # a bare ACK
                return None
            return Segment(src, dst, sport, dport, seq, off_flags & 0x3F, data[start:end],
                           max(0, end - max(start, len(data))))
    wire = max(wire, len(data))
    if linktype == 1 and data[12:14] == b"\x08\x00":       # Ethernet, IPv4
        return _ipv4(data, 14, wire)
    found = _network(linktype, data)
    if found is None:
        return None
    offset, version = found
    if version == 4:
        return _ipv4(data, offset, wire)
    if version == 6:
        return _ipv6(data, offset, wire)
    return None


def _ipv4(data: bytes, offset: int, wire: int) -> Segment | Fragment | None:
    if len(data) < offset + 20:
        return None
    first, total, ident, frag, proto = _IPV4.unpack_from(data, offset)
    ihl = (first & 0x0F) * 4
    if proto != TCP or ihl < 20:
        return None
    end = offset + total if total else wire              # 0: TSO, the length is the packet's
    src, dst = data[offset + 12:offset + 16], data[offset + 16:offset + 20]
    if frag & 0x3FFF:                                    # MF or a fragment offset (RFC 791 §3.1)
        body = data[offset + ihl:end]
        return Fragment((4, src, dst, ident), src, dst, (frag & 0x1FFF) * 8, bool(frag & 0x2000), body,
                        max(0, end - max(offset + ihl, len(data))))
    return _tcp(data, offset + ihl, end, src, dst)


def _ipv6(data: bytes, offset: int, wire: int) -> Segment | Fragment | None:
    if len(data) < offset + 40:
        return None
    length, nxt = struct.unpack_from(">HB", data, offset + 4)
    end = offset + 40 + length if length else wire       # 0: a jumbogram or TSO, as long as the packet
    src, dst = data[offset + 8:offset + 24], data[offset + 24:offset + 40]
    pos = offset + 40
    while nxt != TCP:
        if nxt in _IPV6_EXTENSIONS and len(data) >= pos + 2:
            nxt, pos = data[pos], pos + (data[pos + 1] + 1) * 8
        elif nxt == 44 and len(data) >= pos + 8:          # fragment header (RFC 8200 §4.5)
            nxt, field, ident = data[pos], struct.unpack_from(">H", data, pos + 2)[0], data[pos + 4:pos + 8]
            pos += 8
            if field & 0xFFF9 and nxt == TCP:
                return Fragment((6, src, dst, ident), src, dst, field & 0xFFF8, bool(field & 1), data[pos:end],
                                max(0, end - max(pos, len(data))))
            if field & 0xFFF9:
                return None
        else:
            return None
    return _tcp(data, pos, end, src, dst)


def tcp_in(src: bytes, dst: bytes, datagram: bytes, missing: int) -> Segment | None:
    """The TCP segment of a datagram put back together from fragments."""
    return _tcp(datagram, 0, len(datagram) + missing, src, dst)


def _tcp(data: bytes, pos: int, end: int, src: bytes, dst: bytes) -> Segment | None:
    if len(data) < pos + 20:
        return None
    sport, dport, seq, _, off_flags = _TCP.unpack_from(data, pos)
    start = pos + (off_flags >> 12) * 4
    if end <= start and not off_flags & _CONTROL:        # a bare ACK: nothing for the tracer
        return None
    payload = data[start:end]
    return Segment(src, dst, sport, dport, seq, off_flags & 0x3F, payload, max(0, end - max(start, len(data))))
