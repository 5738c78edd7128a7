"""Link layer, IPv4 / IPv6 and TCP headers of one captured packet, down to a TCP segment.

Link types: Ethernet (1, with 802.1Q tags), BSD loopback/null (0) and OpenBSD loop (108), raw IP (101,
and 228/229), Linux cooked captures SLL (113) and SLL2 (276).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

_ETHERTYPE_IP = {0x0800: 4, 0x86DD: 6}
_IPV6_EXTENSIONS = {0, 43, 60}
TCP = 6
FIN, SYN, RST = 0x01, 0x02, 0x04
_CONTROL = FIN | SYN | RST
_IPV4 = struct.Struct(">BxHxxHxB")
_TCP = struct.Struct(">HHIIH")


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
    offset = {0: 4, 108: 4, 101: 0, 228: 0, 229: 0, 12: 0, 14: 0}.get(linktype)
    if offset is None or len(data) <= offset:
        return None
    return offset, data[offset] >> 4


def segment(linktype: int, data: bytes) -> Segment | None:
    """The TCP segment in a packet, or None (not TCP over IP, a fragment, a bare ACK, or too short to read)."""
    if linktype == 1 and data[12:14] == b"\x08\x00":       # the common case first: Ethernet, IPv4
        return _ipv4(data, 14)
    found = _network(linktype, data)
    if found is None:
        return None
    offset, version = found
    if version == 4:
        return _ipv4(data, offset)
    if version == 6:
        return _ipv6(data, offset)
    return None


def _ipv4(data: bytes, offset: int) -> Segment | None:
    if len(data) < offset + 20:
        return None
    first, total, frag, proto = _IPV4.unpack_from(data, offset)
    ihl = (first & 0x0F) * 4
    if proto != TCP or frag & 0x3FFF or ihl < 20:       # fragments (MF or offset) are not reassembled
        return None
    return _tcp(data, offset + ihl, offset + total, data[offset + 12:offset + 16], data[offset + 16:offset + 20])


def _ipv6(data: bytes, offset: int) -> Segment | None:
    if len(data) < offset + 40:
        return None
    length, nxt = struct.unpack_from(">HB", data, offset + 4)
    end = offset + 40 + length
    src, dst = data[offset + 8:offset + 24], data[offset + 24:offset + 40]
    pos = offset + 40
    while nxt != TCP:
        if nxt in _IPV6_EXTENSIONS and len(data) >= pos + 2:
            nxt, pos = data[pos], pos + (data[pos + 1] + 1) * 8
        elif nxt == 44 and len(data) >= pos + 8:          # fragment header: only unfragmented "atomic" ones
            if struct.unpack_from(">H", data, pos + 2)[0] & 0xFFF9:
                return None
            nxt, pos = data[pos], pos + 8
        else:
            return None
    return _tcp(data, pos, end, src, dst)


def _tcp(data: bytes, pos: int, end: int, src: bytes, dst: bytes) -> Segment | None:
    if len(data) < pos + 20:
        return None
    sport, dport, seq, _, off_flags = _TCP.unpack_from(data, pos)
    start = pos + (off_flags >> 12) * 4
    if end <= start and not off_flags & _CONTROL:        # a bare ACK: nothing for the tracer
        return None
    payload = data[start:end]
    return Segment(src, dst, sport, dport, seq, off_flags & 0x3F, payload, max(0, end - max(start, len(data))))
