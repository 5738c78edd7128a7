"""tutor.trace.netpkt.segment on Ethernet/IPv4/TCP frames built by hand: the common case (headers read at once)
and the cases beside it (IP options, fragments, TSO length 0, a capture cut short, a bare ACK)."""

import struct

from tutor.trace.ipfrag import Fragment
from tutor.trace.netpkt import FIN, Segment, segment

CLIENT, SERVER = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 25])


def frame(payload: bytes = b"", flags: int = 0x18, total: int | None = None, options: bytes = b"",
          frag: int = 0x4000, tcp_options: bytes = b"") -> bytes:
    tcp = struct.pack(">HHIIBBHHH", 40000, 25, 1234, 99, (5 + len(tcp_options) // 4) << 4, flags, 65535, 0, 0)
    ihl = 5 + len(options) // 4
    length = 4 * ihl + len(tcp) + len(tcp_options) + len(payload) if total is None else total
    ip = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, length, 7, frag, 64, 6, 0, CLIENT, SERVER)
    return b"\0" * 12 + b"\x08\x00" + ip + options + tcp + tcp_options + payload


def test_a_segment_with_data():
    assert segment(1, frame(b"EHLO x\r\n")) == Segment(CLIENT, SERVER, 40000, 25, 1234, 0x18, b"EHLO x\r\n", 0)


def test_a_bare_ack_is_nothing_for_the_tracer_but_a_fin_is_kept():
    assert segment(1, frame(flags=0x10)) is None
    fin = segment(1, frame(flags=0x11))
    assert isinstance(fin, Segment) and fin.flags & FIN and fin.payload == b""


def test_ethernet_padding_and_tcp_options_are_not_payload():
    seg = segment(1, frame(b"QUIT\r\n", tcp_options=b"\x01\x01\x08\x0a" + b"\0" * 8) + b"\0" * 6)
    assert isinstance(seg, Segment) and seg.payload == b"QUIT\r\n" and seg.missing == 0


def test_ip_options_move_the_tcp_header():
    seg = segment(1, frame(b"NOOP\r\n", options=b"\x01\x01\x01\x00"))
    assert isinstance(seg, Segment) and (seg.sport, seg.payload) == (40000, b"NOOP\r\n")


def test_a_cut_capture_counts_the_missing_bytes_and_tso_takes_the_wire_length():
    data = frame(b"AUTH PLAIN AHRpbQB0aW0=\r\n")
    cut = segment(1, data[:60], wire=len(data))
    assert isinstance(cut, Segment) and (cut.payload, cut.missing) == (b"AUTH P", len(data) - 60)
    tso = segment(1, frame(b"250 ok\r\n", total=0), wire=len(frame(b"250 ok\r\n")) + 100)
    assert isinstance(tso, Segment) and (tso.payload, tso.missing) == (b"250 ok\r\n", 100)


def test_a_fragment_goes_to_reassembly():
    assert isinstance(segment(1, frame(b"x" * 16, frag=0x2000)), Fragment)
