"""pcap / pcapng captures built here byte by byte: link types, IPv4/IPv6, reassembly, STARTTLS, bad files."""

import pytest
import trace_pcapgen as gen

from tutor.trace.pipeline import trace_bytes

PLAIN = [("S", b"220 mx.example ESMTP\r\n"), ("C", b"EHLO laptop\r\n"),
         ("S", b"250-mx.example\r\n250 AUTH PLAIN LOGIN\r\n"),
         ("C", b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"),     # RFC 4616 vector: tim / tanstaaftanstaaf
         ("S", b"235 2.7.0 Authentication successful\r\n"), ("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")]
LOGIN = [("S", b"220 mx.example ESMTP\r\n"), ("C", b"EHLO laptop\r\n"), ("S", b"250 AUTH LOGIN\r\n"),
         ("C", b"AUTH LOGIN\r\n"), ("S", b"334 VXNlcm5hbWU6\r\n"), ("C", b"ZGVtbw==\r\n"),
         ("S", b"334 UGFzc3dvcmQ6\r\n"), ("C", b"ZGVtbw==\r\n"), ("S", b"535 5.7.8 nope\r\n")]


def run(data: bytes, bad: list | None = None):
    return trace_bytes(data, "cap", on_bad=(bad.append if bad is not None else None))


def logins(reports):
    return [(a.mechanism, a.user, a.password, a.result) for r in reports for a in r.attempts]


@pytest.mark.parametrize("linktype", [1, 113, 276, 0, 101])
@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_link_types_and_ip_versions(linktype, v6):
    client, server = (("2001:db8::10", 40001), ("2001:db8::25", 2525)) if v6 else (gen.CLIENT, ("192.0.2.25", 2525))
    packets = gen.wrap(gen.conversation(PLAIN, client, server, v6=v6), linktype)
    reports = run(gen.pcap(packets, linktype))
    assert logins(reports) == [("PLAIN", "tim", "tanstaaftanstaaf", "success")]
    expected = "[2001:db8::10]:40001 → [2001:db8::25]:2525" if v6 else "192.0.2.10:40001 → 192.0.2.25:2525"
    assert reports[0].label.endswith(expected)


@pytest.mark.parametrize("tsresol", [None, 6, 9])
def test_pcapng(tsresol):
    reports = run(gen.pcapng(gen.wrap(gen.conversation(LOGIN), 1), 1, tsresol))
    assert logins(reports) == [("LOGIN", "demo", "demo", "failure")]
    assert reports[0].rows[0].t == pytest.approx(1700000002.0)      # third packet: after SYN, SYN-ACK


@pytest.mark.parametrize("nanoseconds,big_endian", [(True, False), (False, True)])
def test_pcap_variants(nanoseconds, big_endian):
    data = gen.pcap(gen.wrap(gen.conversation(PLAIN), 1), 1, nanoseconds, big_endian)
    assert logins(run(data)) == [("PLAIN", "tim", "tanstaaftanstaaf", "success")]


def test_out_of_order_and_retransmitted_segments_are_put_back_in_order():
    packets = gen.conversation(LOGIN)
    # packets: SYN, SYN-ACK, then one per line; swap two client lines' neighbours and resend one
    reordered = packets[:4] + [packets[5], packets[4]] + packets[6:8] + [packets[7], packets[6]] + packets[8:]
    reordered.insert(3, packets[3])                                   # a retransmission of the EHLO segment
    reports = run(gen.pcap(gen.wrap(reordered, 1)))
    assert logins(reports) == [("LOGIN", "demo", "demo", "failure")]


def test_split_line_across_segments_and_overlapping_retransmission():
    lines = list(PLAIN)
    lines[3] = ("C", b"AUTH PLAIN AHRpbQB0Y")
    lines.insert(4, ("C", b"W5zdGFhZnRhbnN0YWFm\r\n"))
    packets = gen.conversation(lines)
    # resend both halves as one segment: overlaps what was already delivered
    first, second = packets[5], packets[6]
    merged = first[:40] + first[40:] + second[40:]
    merged = merged[:2] + (len(merged)).to_bytes(2, "big") + merged[4:]
    reports = run(gen.pcap(gen.wrap(packets[:7] + [merged] + packets[7:], 1)))
    assert logins(reports) == [("PLAIN", "tim", "tanstaaftanstaaf", "success")]


def test_capture_started_mid_connection_without_handshake():
    reports = run(gen.pcap(gen.wrap(gen.conversation(PLAIN, handshake=False, close=False), 1)))
    assert logins(reports) == [("PLAIN", "tim", "tanstaaftanstaaf", "success")]


def test_concurrent_sessions_are_kept_apart():
    one = gen.conversation(PLAIN, ("192.0.2.10", 40001))
    two = gen.conversation(LOGIN, ("192.0.2.11", 40002))
    mixed = [p for pair in zip(one, two, strict=False) for p in pair] + one[len(two):] + two[len(one):]
    reports = run(gen.pcap(gen.wrap(mixed, 1)))
    assert sorted(logins(reports)) == [("LOGIN", "demo", "demo", "failure"),
                                       ("PLAIN", "tim", "tanstaaftanstaaf", "success")]


def test_non_smtp_flows_are_ignored_and_smtp_is_found_on_any_port():
    http = gen.conversation([("C", b"GET / HTTP/1.1\r\n\r\n"), ("S", b"HTTP/1.1 200 OK\r\n\r\n")],
                            ("192.0.2.10", 40100), ("192.0.2.80", 25))
    smtp = gen.conversation(PLAIN, ("192.0.2.10", 40101), ("192.0.2.26", 8025))
    reports = run(gen.pcap(gen.wrap(http + smtp, 1)))
    assert len(reports) == 1 and reports[0].label.endswith("192.0.2.26:8025")


def test_after_starttls_the_rest_is_encrypted():
    lines = [("S", b"220 mx ESMTP\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250-mx\r\n250 STARTTLS\r\n"),
             ("C", b"STARTTLS\r\n"), ("S", b"220 2.0.0 Ready to start TLS\r\n"),
             ("C", b"\x16\x03\x01\x00\x05hello"), ("C", b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n")]
    report = run(gen.pcap(gen.wrap(gen.conversation(lines), 1)))[0]
    assert report.encrypted and report.starttls and report.attempts == []
    keys = [n.key for r in report.rows for n in r.notes]
    assert "trace.mark.encrypted" in keys and "trace.mark.encrypted-bytes" in keys
    assert not any("AUTH" in r.text for r in report.rows)


def test_lost_segment_is_reported_as_a_gap():
    packets = gen.conversation(LOGIN)
    del packets[6]                                                    # the client's `AUTH LOGIN` never captured
    report = run(gen.pcap(gen.wrap(packets, 1)))[0]
    assert "trace.mark.gap" in [n.key for r in report.rows for n in r.notes]


def test_truncated_file_reports_the_bad_part_and_keeps_what_was_read():
    first = gen.wrap(gen.conversation(PLAIN, ("192.0.2.10", 40001)), 1)
    second = gen.wrap(gen.conversation(LOGIN, ("192.0.2.11", 40002)), 1)
    data = gen.pcap(first + second)
    bad = []
    reports = run(data[:-30], bad)
    assert logins(reports)[0] == ("PLAIN", "tim", "tanstaaftanstaaf", "success")
    assert len(bad) == 1 and "truncated" in bad[0].message and f"record {len(first + second)}" in bad[0].message


def test_corrupt_record_length():
    data = bytearray(gen.pcap(gen.wrap(gen.conversation(PLAIN), 1)))
    data[24 + 8:24 + 12] = (10**8).to_bytes(4, "little")             # first record claims 100 MB
    bad = []
    assert run(bytes(data), bad) == []
    assert "corrupt packet record 1 at offset 24" in bad[0].message


def test_truncated_pcapng():
    data = gen.pcapng(gen.wrap(gen.conversation(PLAIN), 1))
    bad = []
    run(data[:-7], bad)
    assert "ends inside a pcapng block" in bad[0].message


def test_vlan_tagged_ethernet():
    packets = [p[:12] + b"\x81\x00\x00\x07" + p[12:] for p in gen.wrap(gen.conversation(PLAIN), 1)]
    assert logins(run(gen.pcap(packets, 1))) == [("PLAIN", "tim", "tanstaaftanstaaf", "success")]


def test_ethernet_padding_is_not_payload():
    packets = [p + b"\0" * 6 for p in gen.wrap(gen.conversation(PLAIN), 1)]
    assert logins(run(gen.pcap(packets, 1))) == [("PLAIN", "tim", "tanstaaftanstaaf", "success")]


def test_implicit_tls_on_465_is_reported_as_encrypted_throughout():
    hello = b"\x16\x03\x01\x00\x40" + b"\x01" * 64
    packets = gen.conversation([("C", hello), ("S", b"\x16\x03\x03\x00\x30" + b"\x02" * 48),
                                ("C", b"\x17\x03\x03\x00\x20" + b"x" * 32)], server=("192.0.2.25", 465))
    (report,) = run(gen.pcap(gen.wrap(packets, 1)))
    assert report.encrypted and not report.starttls and not report.attempts
    marks = [n.key for r in report.rows for n in r.notes]
    assert marks == ["trace.mark.implicit-tls", "trace.mark.encrypted-bytes"]
