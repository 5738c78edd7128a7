"""Builds small pcap / pcapng captures for the tracer tests: TCP conversations over IPv4 or IPv6, on the
link types the tracer reads (Ethernet, SLL, SLL2, null, raw), packets in any order, files cut anywhere."""

from __future__ import annotations

import ipaddress
import struct

SYN, FIN, ACK, PSH = 0x02, 0x01, 0x10, 0x08
CLIENT = ("192.0.2.10", 40001)
SERVER = ("192.0.2.25", 25)


def _ip(address: str) -> bytes:
    return ipaddress.ip_address(address).packed


def tcp(sport: int, dport: int, seq: int, flags: int, payload: bytes = b"", ack: int = 0) -> bytes:
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def ipv4(src: str, dst: str, segment: bytes) -> bytes:
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(segment), 1, 0x4000, 64, 6, 0, _ip(src), _ip(dst))
    return header + segment


def ipv6(src: str, dst: str, segment: bytes) -> bytes:
    return struct.pack(">IHBB16s16s", 6 << 28, len(segment), 6, 64, _ip(src), _ip(dst)) + segment


def link(linktype: int, packet: bytes) -> bytes:
    """Wrap an IP packet in the link header of `linktype`."""
    v6 = packet[0] >> 4 == 6
    ethertype = 0x86DD if v6 else 0x0800
    if linktype == 1:
        return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + struct.pack(">H", ethertype) + packet
    if linktype == 113:
        return struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, ethertype) + packet
    if linktype == 276:
        return struct.pack(">HHIHBB8s", ethertype, 0, 1, 772, 0, 6, b"\0" * 8) + packet
    if linktype == 0:
        return struct.pack("<I", 30 if v6 else 2) + packet
    if linktype == 101:
        return packet
    raise ValueError(linktype)


def conversation(lines: list[tuple[str, bytes]], client=CLIENT, server=SERVER, v6: bool = False,
                 handshake: bool = True, close: bool = True) -> list[bytes]:
    """IP packets for a TCP connection carrying `lines` ("C" or "S", bytes incl. CRLF), one segment each."""
    make = ipv6 if v6 else ipv4
    seq = {"C": 1000, "S": 5000}
    ends = {"C": (client, server), "S": (server, client)}
    out = []

    def send(side: str, flags: int, payload: bytes = b"") -> None:
        (src, sport), (dst, dport) = ends[side]
        out.append(make(src, dst, tcp(sport, dport, seq[side], flags, payload)))
        seq[side] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    if handshake:
        send("C", SYN)
        send("S", SYN | ACK)
    for side, payload in lines:
        send(side, ACK | PSH, payload)
    if close:
        send("C", FIN | ACK)
        send("S", FIN | ACK)
    return out


def pcap(packets: list[bytes], linktype: int = 1, nanoseconds: bool = False, big_endian: bool = False) -> bytes:
    """A libpcap file; each packet already carries its link header."""
    order = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    for number, packet in enumerate(packets):
        out.append(struct.pack(order + "IIII", 1700000000 + number, 0, len(packet), len(packet)) + packet)
    return b"".join(out)


def _block(kind: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def pcapng(packets: list[bytes], linktype: int = 1, tsresol: int | None = 9) -> bytes:
    """A pcapng file: SHB, one IDB (with if_tsresol), an EPB per packet."""
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = b""
    if tsresol is not None:
        options = struct.pack("<HH", 9, 1) + bytes([tsresol]) + b"\0\0\0" + struct.pack("<HH", 0, 0)
    idb = _block(1, struct.pack("<HHI", linktype, 0, 262144) + options)
    out = [shb, idb]
    for number, packet in enumerate(packets):
        stamp = (1700000000 + number) * 10**(tsresol or 6)
        out.append(_block(6, struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(packet), len(packet))
                          + packet))
    return b"".join(out)


def wrap(packets: list[bytes], linktype: int) -> list[bytes]:
    return [link(linktype, p) for p in packets]
