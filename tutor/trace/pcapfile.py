"""pcap and pcapng files read as a stream of packets, in bounded memory; bad parts become Bad records.

pcap: the libpcap format (24-byte header, 16-byte record headers; micro- or nanosecond magic, either byte
order). pcapng: Section Header, Interface Description (link type, if_tsresol), Enhanced, Simple and the
obsolete Packet blocks, and a Decryption Secrets Block's TLS key log (handed on as Secrets, for tls_flow); other
blocks are skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from tutor.trace.records import Bad
from tutor.trace.source import Source

PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
              b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
MAX_PACKET = 512 * 1024           # larger than any snap length tcpdump uses: a bigger length means corruption
MAX_BLOCK = 16 * 1024 * 1024

# (timestamp, link type, captured bytes, original length) or a Bad record
Packet = tuple[float, int, bytes, int]
TLS_KEY_LOG = 0x544C534B          # a Decryption Secrets Block of secrets type "TLSK" holds an NSS key log


class Secrets(bytes):
    """An NSS key log embedded in a pcapng (Decryption Secrets Block, as `editcap --inject-secrets` writes)."""


def is_capture(head: bytes) -> bool:
    return head[:4] in PCAP_MAGIC or head[:4] == PCAPNG_SHB


def packets(src: Source) -> Iterator[Packet | Secrets | Bad]:
    """Every packet of a pcap or pcapng file. A corrupt block is skipped with one Bad (reading goes on); a
    truncated file or a record length that cannot be trusted ends the file with one Bad."""
    if not is_capture(src.head):
        return iter([Bad(src.name, f"{src.name}: not a pcap or pcapng file (no capture magic number at the start)")])
    return _pcapng(src) if src.head[:4] == PCAPNG_SHB else _pcap(src)     # handed out as is: no generator between


def _pcap(src: Source) -> Iterator[Packet | Secrets | Bad]:
    header = src.read(24)
    if len(header) < 24:
        yield Bad(src.name, f"{src.name}: truncated pcap file header ({len(header)} of 24 bytes)")
        return
    endian, scale = PCAP_MAGIC[header[:4]]
    linktype = struct.unpack(endian + "I", header[20:24])[0] & 0x0FFFFFFF   # upper bits: FCS length flags
    record = struct.Struct(endian + "IIII")
    buf, pos, base, count = b"", 0, 24, 0
    for chunk in src.chunks():
        buf, base, pos = buf[pos:] + chunk, base + pos, 0
        end = len(buf)
        while end - pos >= 16:
            sec, frac, incl, orig = record.unpack_from(buf, pos)
            if incl > MAX_PACKET:
                yield Bad(src.name, f"{src.name}: corrupt packet record {count + 1} at offset {base + pos} "
                                    f"(claims {incl} bytes); stopped reading there")
                return
            if end - pos - 16 < incl:
                break
            yield sec + frac * scale, linktype, buf[pos + 16:pos + 16 + incl], orig
            pos += 16 + incl
            count += 1
    if pos < len(buf):
        yield Bad(src.name, f"{src.name}: truncated: the file ends inside packet record {count + 1} "
                            f"(offset {base + pos}); read {count} packets")


def _tsresol(options: bytes, endian: str) -> float:
    """if_tsresol (option 9) of an Interface Description Block; microseconds by default (also when the
    options are cut short: a truncated option is ignored)."""
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack_from(endian + "HH", options, pos)
        if code == 0 or pos + 4 + length > len(options):
            break
        if code == 9 and length >= 1:
            value = options[pos + 4]
            return 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0 ** -value
        pos += 4 + (length + 3) // 4 * 4
    return 1e-6


def _pcapng(src: Source) -> Iterator[Packet | Secrets | Bad]:
    buf, pos, base, count = b"", 0, 0, 0
    endian = "<"
    interfaces: list[tuple[int, float]] = []
    for chunk in src.chunks():
        buf, base, pos = buf[pos:] + chunk, base + pos, 0
        while len(buf) - pos >= 12:
            if buf[pos:pos + 4] == PCAPNG_SHB:
                endian = "<" if buf[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                interfaces = []
            kind, length = struct.unpack_from(endian + "II", buf, pos)
            if length < 12 or length % 4 or length > MAX_BLOCK:
                yield Bad(src.name, f"{src.name}: corrupt pcapng block at offset {base + pos} (length {length}); "
                                    f"stopped reading there")
                return
            if len(buf) - pos < length:
                break
            body = buf[pos + 8:pos + length - 4]
            packet: Packet | Secrets | Bad | None
            try:
                packet = _block(kind, body, endian, interfaces)
            except (struct.error, IndexError, ValueError, OverflowError):
                packet = Bad(src.name, f"{src.name}: corrupt pcapng block of type {kind} at offset {base + pos}; "
                                       f"skipped")
            pos += length
            if isinstance(packet, Bad):
                yield packet
            elif packet is not None:
                count += 1
                yield packet
    if pos < len(buf):
        yield Bad(src.name, f"{src.name}: truncated: the file ends inside a pcapng block (offset {base + pos}); "
                            f"read {count} packets")


def _block(kind: int, body: bytes, endian: str, interfaces: list) -> Packet | Secrets | None:
    if kind == 1 and len(body) >= 8:                           # Interface Description Block
        linktype = struct.unpack_from(endian + "H", body, 0)[0]
        interfaces.append((linktype, _tsresol(body[8:], endian)))
    elif kind == 6 and len(body) >= 20:                        # Enhanced Packet Block
        iface, high, low, caplen, orig = struct.unpack_from(endian + "IIIII", body, 0)
        linktype, scale = interfaces[iface] if iface < len(interfaces) else (1, 1e-6)
        return ((high << 32) | low) * scale, linktype, body[20:20 + caplen], orig
    elif kind == 3 and len(body) >= 4:                         # Simple Packet Block
        orig = struct.unpack_from(endian + "I", body, 0)[0]
        linktype = interfaces[0][0] if interfaces else 1
        return 0.0, linktype, body[4:4 + orig], orig
    elif kind == 10 and len(body) >= 8:                        # Decryption Secrets Block (tutor.trace.tls_flow)
        secrets_type, size = struct.unpack_from(endian + "II", body, 0)
        return Secrets(body[8:8 + size]) if secrets_type == TLS_KEY_LOG else None
    elif kind == 2 and len(body) >= 20:                        # Packet Block (obsolete)
        iface, _, high, low, caplen, orig = struct.unpack_from(endian + "HHIIII", body, 0)
        linktype, scale = interfaces[iface] if iface < len(interfaces) else (1, 1e-6)
        return ((high << 32) | low) * scale, linktype, body[20:20 + caplen], orig
    return None
