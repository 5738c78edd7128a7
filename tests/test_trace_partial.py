"""Issue 12 §1: never miss what is there. Real tcpdump captures of partial sessions (made by
scripts/make_trace_fixtures.py --only partial against `smtp-tutor serve --seed 7`, swaks with PLAIN tim, LOGIN
tim, LOGIN demo/wrong, CRAM-MD5 tim; see that script) and small captures built here byte by byte."""

import base64
import bz2
import lzma
import struct
from pathlib import Path

import pytest
import trace_pcapgen as gen

from tutor.cli import main
from tutor.trace import pcap
from tutor.trace.pipeline import trace_bytes

DATA = Path(__file__).parent / "data" / "trace"
TIM_PLAIN = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"          # RFC 4616 §4's example: tim / tanstaaftanstaaf
SECRET_B64 = ["dGFuc3RhYWZ0YW5zdGFhZg==", "d3Jvbmc=", TIM_PLAIN[:16]]


def attempts(reports):
    return [(a.mechanism, a.user, a.result, a.password) for r in reports for a in r.attempts]


def marks(report):
    return [n.key for r in report.rows for n in r.notes if n.key.startswith("trace.mark.")]


def read(name):
    return trace_bytes((DATA / name).read_bytes(), name)


def trace(capsys, *argv):
    code = main(["trace", "--color", "never", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# ---- real captures ---------------------------------------------------------------------------------------
def test_snaplen_96_reads_every_whole_line_and_the_start_of_cut_ones():
    reports = read("snaplen96_serve.pcap")
    # the 235 lines are cut to "235 2.7.0 Authentication succe": still a success; the PLAIN line is cut inside
    # the password: the user name is read, the password is not (and is said to be cut)
    assert attempts(reports) == [("PLAIN", "tim", "success", None), ("LOGIN", "tim", "success", "tanstaaftanstaaf"),
                                 ("LOGIN", "demo", "failure", "wrong"), ("CRAM-MD5", "tim", "success", None)]
    assert reports[0].attempts[0].cut
    cut_rows = [r for r in reports[0].rows if any(n.key == "trace.note.cut-line" for n in r.notes)]
    assert [r.text[:3] for r in cut_rows] == ["220", "250", "AUT", "235", "221"]


def test_snaplen_96_masks_the_cut_credential_lines(capsys):
    code, out, _ = trace(capsys, str(DATA / "snaplen96_serve.pcap"))
    assert code == 0 and not [s for s in SECRET_B64 if s in out]
    code, summary, _ = trace(capsys, "--summary", str(DATA / "snaplen96_serve.pcap"))
    assert "PLAIN tim success password sent in clear, cut short by the capture" in summary


@pytest.mark.parametrize("name", ["oneway_serve.pcap", "oneway_serve.pcap.gz"])
def test_one_way_capture_reads_the_client_lines_by_their_place(name):
    reports = read(name)
    assert attempts(reports) == [("PLAIN", "tim", "unanswered", "tanstaaftanstaaf"),
                                 ("LOGIN", "tim", "unanswered", "tanstaaftanstaaf"),
                                 ("LOGIN", "demo", "unanswered", "wrong"), ("CRAM-MD5", "tim", "unanswered", None)]
    assert all("trace.mark.server-missing" in marks(r) for r in reports)


def test_one_way_capture_output_is_masked(capsys):
    code, out, _ = trace(capsys, str(DATA / "oneway_serve.pcap"))
    assert code == 0 and not [s for s in SECRET_B64 if s in out]


def test_capture_started_after_ehlo_says_so_and_reads_the_auth():
    (report,) = read("midsession_serve.pcap")
    assert attempts([report]) == [("CRAM-MD5", "demo", "success", None)]
    assert report.attempts[0].crackable
    assert marks(report)[0] == "trace.mark.starts-after-ehlo"


def test_implicit_tls_on_an_odd_port_is_encrypted_with_its_size(capsys):
    (report,) = read("tls_odd_port_serve.pcap")
    assert report.encrypted and report.encrypted_octets > 1000 and report.label.endswith(":12532")
    _, out, _ = trace(capsys, "--summary", str(DATA / "tls_odd_port_serve.pcap"))
    assert f"implicit TLS: encrypted, {report.encrypted_octets} bytes" in out


@pytest.mark.parametrize("compress", [lzma.compress, bz2.compress], ids=["xz", "bz2"])
def test_compressed_captures(compress):
    plain = trace_bytes((DATA / "snaplen96_serve.pcap").read_bytes(), "x")
    packed = trace_bytes(compress((DATA / "snaplen96_serve.pcap").read_bytes()), "x")
    assert attempts(packed) == attempts(plain) and len(packed) == 4


def test_a_cut_compressed_file_is_said_and_what_was_there_is_read():
    data = (DATA / "oneway_serve.pcap.gz").read_bytes()
    bad = []
    reports = trace_bytes(data[:len(data) // 2], "cut.gz", on_bad=bad.append)
    assert attempts(reports)[0] == ("PLAIN", "tim", "unanswered", "tanstaaftanstaaf")
    assert any("gzip data ends early" in b.message for b in bad)


# ---- built here ------------------------------------------------------------------------------------------
def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


LOGIN_TAIL = [("S", b"334 UGFzc3dvcmQ6\r\n"), ("C", b64(b"sesame") + b"\r\n"), ("S", b"235 2.7.0 ok\r\n"),
              ("C", b"QUIT\r\n"), ("S", b"221 bye\r\n")]


def run(lines, **kw):
    return trace_bytes(gen.pcap(gen.wrap(gen.conversation(lines, **kw), 1)), "cap")


def test_capture_starting_inside_auth_login_infers_the_mechanism():
    (report,) = run(LOGIN_TAIL, handshake=False)
    assert attempts([report]) == [("LOGIN", "", "success", "sesame")]
    assert marks(report)[0] == "trace.mark.starts-in-auth"
    assert next(r for r in report.rows if r.direction == "C").secret


def test_direction_from_content_on_high_ports_without_handshake():
    client, server = ("192.0.2.10", 50001), ("192.0.2.25", 40025)       # the "server" has no well-known port
    lines = [("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n"), ("S", b"235 2.7.0 ok\r\n")]
    (report,) = run(lines, client=client, server=server, handshake=False)
    assert attempts([report]) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]
    assert report.label.endswith("192.0.2.10:50001 → 192.0.2.25:40025")


def test_first_reply_only_then_lines():
    lines = [("S", b"235 2.7.0 Authentication successful\r\n"), ("C", b"MAIL FROM:<a@b>\r\n"), ("S", b"250 ok\r\n")]
    (report,) = run(lines, handshake=False)
    assert [(a.mechanism, a.result) for a in report.attempts] == [("", "success")]


@pytest.mark.parametrize("line", [b"AUTH PLAIN " + b64(b"\0tim\0secret1").rstrip(b"="),
                                  b"AUTH PLAIN " + b64(b"\0tim\0secret1")[:-3] + b"!!!"])
def test_a_credential_that_does_not_decode_is_still_masked(line, capsys, tmp_path):
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"), ("C", line + b"\r\n"),
             ("S", b"501 5.5.2 bad base64\r\n")]
    path = tmp_path / "bad.pcap"
    path.write_bytes(gen.pcap(gen.wrap(gen.conversation(lines), 1)))
    _, out, _ = trace(capsys, str(path))
    assert line[11:].decode() not in out and "hidden: carries a password" in out
    _, revealed, _ = trace(capsys, "--reveal", str(path))
    assert line[11:].decode() in revealed


def test_login_password_that_does_not_decode_is_masked_by_its_place():
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH LOGIN\r\n"), ("C", b"AUTH LOGIN\r\n"),
             ("S", b"334 VXNlcm5hbWU6\r\n"), ("C", b"dGlt\r\n"), ("S", b"334 UGFzc3dvcmQ6\r\n"),
             ("C", b"c2VjcmV0MQ\r\n"), ("S", b"501 bad\r\n")]             # unpadded base64 of "secret1"
    (report,) = run(lines)
    rows = {r.text: r.secret for r in report.rows if r.direction == "C"}
    assert rows["c2VjcmV0MQ"] is True and rows["dGlt"] is False


def _ipv4_fragments(packet: bytes, split: int) -> list[bytes]:
    """An IPv4 packet cut into two fragments at `split` bytes of its payload (a multiple of 8)."""
    header, body = bytearray(packet[:20]), packet[20:]
    first, second = bytearray(header), bytearray(header)
    struct.pack_into(">H", first, 2, 20 + split)
    struct.pack_into(">H", first, 6, 0x2000)                          # MF
    struct.pack_into(">H", second, 2, 20 + len(body) - split)
    struct.pack_into(">H", second, 6, split // 8)
    return [bytes(first) + body[:split], bytes(second) + body[split:]]


def test_ipv4_fragments_are_put_back_together_in_any_order():
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
             ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n"), ("S", b"235 ok\r\n")]
    packets = gen.conversation(lines)
    auth = packets[5]
    packets[5:6] = list(reversed(_ipv4_fragments(auth, 24)))
    reports = trace_bytes(gen.pcap(gen.wrap(packets, 1)), "frag")
    assert attempts(reports) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]


def test_ipv6_fragments_are_put_back_together():
    client, server = ("2001:db8::10", 40001), ("2001:db8::25", 25)
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
             ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n"), ("S", b"235 ok\r\n")]
    packets = gen.conversation(lines, client, server, v6=True)
    auth = packets[5]
    body = auth[40:]
    split = 16

    def fragment(offset: int, more: bool, part: bytes) -> bytes:
        head = bytearray(auth[:40])
        head[6] = 44                                                  # next header: fragment
        struct.pack_into(">H", head, 4, 8 + len(part))
        return bytes(head) + struct.pack(">BBHI", 6, 0, offset | more, 0x1234) + part

    packets[5:6] = [fragment(split, False, body[split:]), fragment(0, True, body[:split])]
    reports = trace_bytes(gen.pcap(gen.wrap(packets, 1)), "frag6")
    assert attempts(reports) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]


def test_tso_packets_with_ip_total_length_0():
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
             ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n"), ("S", b"235 ok\r\n")]
    packets = [p[:2] + b"\0\0" + p[4:] for p in gen.conversation(lines)]   # as captured before segmentation
    assert attempts(trace_bytes(gen.pcap(gen.wrap(packets, 1)), "tso")) == [("PLAIN", "tim", "success",
                                                                              "tanstaaftanstaaf")]


def test_one_way_starttls_is_encrypted_after_the_client_hello():
    lines = [("C", b"EHLO x\r\n"), ("C", b"STARTTLS\r\n"), ("C", b"\x16\x03\x01\x00\x40\x01" + b"\x00" * 63),
             ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n")]
    (report,) = run(lines)
    assert report.encrypted and not report.attempts


def test_past_the_flow_limit_no_auth_exchange_is_lost(monkeypatch):
    monkeypatch.setattr(pcap, "MAX_FLOWS", 20)
    count = 50
    sessions = []
    for n in range(count):
        user = f"user{n}".encode()
        lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
                 ("C", b"AUTH PLAIN " + b64(b"\0" + user + b"\0pw") + b"\r\n"), ("S", b"235 ok\r\n"),
                 ("C", b"QUIT\r\n"), ("S", b"221 bye\r\n")]
        sessions.append(gen.conversation(lines, ("192.0.2.10", 20000 + n)))
    # every connection opens and says EHLO first; only then does each log in
    packets = [p for s in sessions for p in s[:5]] + [p for s in sessions for p in s[5:]]
    reports = trace_bytes(gen.pcap(gen.wrap(packets, 1)), "many")
    found = sorted((a.user, a.password, a.result) for r in reports for a in r.attempts)
    assert found == sorted((f"user{n}", "pw", "success") for n in range(count))
    continued = [r for r in reports if "(continued, part 2)" in r.label]
    assert continued and all("trace.mark.continued" in marks(r) for r in continued)
    early = [r for r in reports if r.evicted]
    assert len(early) == len(continued) and all(not r.attempts for r in early)


def test_a_datagram_missing_a_fragment_is_counted_not_silently_lost():
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
             ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n"), ("S", b"235 ok\r\n")]
    packets = gen.conversation(lines)
    packets[5:6] = _ipv4_fragments(packets[5], 24)[:1]                # the second fragment never came
    bad = []
    (report,) = trace_bytes(gen.pcap(gen.wrap(packets, 1)), "frag", on_bad=bad.append)
    assert [b.message for b in bad] == ["frag: 1 fragmented IP datagrams could not be put back together "
                                        "(fragments missing, or more than 1024 pending at once); their bytes are "
                                        "reported as gaps"]
    assert "trace.mark.gap" in marks(report)


def test_capture_starting_inside_the_ehlo_reply_still_reads_the_offer():
    lines = [("S", b"250-mx.example\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"),
             ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n"), ("S", b"235 ok\r\n")]
    (report,) = run(lines, handshake=False)
    assert report.advertised == ("PLAIN", "LOGIN")
    assert attempts([report]) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]
    assert marks(report)[0] == "trace.mark.starts-mid-session"


def test_a_command_pipelined_after_auth_is_not_taken_for_a_missing_reply():
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n"),
             ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\nMAIL FROM:<tim@example.org>\r\n"),
             ("S", b"235 2.7.0 ok\r\n250 2.1.0 ok\r\n")]
    (report,) = run(lines)
    assert attempts([report]) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]
    assert "trace.mark.server-missing" not in marks(report)


def test_a_plain_message_that_does_not_parse_has_its_decoded_bytes_masked(capsys, tmp_path):
    lines = [("S", b"220 mx\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
             ("C", b"AUTH PLAIN " + b64(b"\0tim\0hunter2\0extra") + b"\r\n"), ("S", b"535 no\r\n")]
    path = tmp_path / "odd.pcap"
    path.write_bytes(gen.pcap(gen.wrap(gen.conversation(lines), 1)))
    _, out, _ = trace(capsys, str(path))
    assert "hunter2" not in out and "hidden: carries a password" in out
    _, revealed, _ = trace(capsys, "--reveal", str(path))
    assert "hunter2" in revealed


def test_a_long_flow_that_never_shows_smtp_is_ignored_and_smtp_after_a_long_message_is_found():
    noise = [("C", b"GET /big HTTP/1.1\r\n\r\n")] + [("S", b"z" * 1400 + b"\r\n")] * 60       # 84 KB, no SMTP
    http = gen.conversation(noise, ("192.0.2.10", 40100), ("192.0.2.80", 8080))
    body = [("C", b"line %d of a long message body\r\n" % n) for n in range(400)]            # ~12 KB of text
    tail = [("C", b".\r\n"), ("S", b"250 2.0.0 queued\r\n"), ("C", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\r\n"),
            ("S", b"235 ok\r\n")]
    smtp = gen.conversation(body + tail, ("192.0.2.11", 40101), ("192.0.2.25", 25), handshake=False)
    reports = trace_bytes(gen.pcap(gen.wrap(http + smtp, 1)), "mixed")
    assert [r.label.rsplit(" ", 1)[-1] for r in reports] == ["192.0.2.25:25"]
    assert attempts(reports) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]


def test_a_message_that_is_in_the_capture_is_not_called_hidden():
    text = (b"S: 220 x\nC: EHLO x\nS: 250 x\nC: MAIL FROM:<a@b>\nS: 250 ok\nC: RCPT TO:<c@d>\nS: 250 ok\nC: DATA\n"
            b"S: 354 go\nC: hi\nC: .\nS: 250 queued\nC: AUTH PLAIN " + TIM_PLAIN.encode() + b"\nS: 235 ok\n")
    (report,) = trace_bytes(text, "rfc")
    assert "trace.mark.message-hidden" not in marks(report)
    assert attempts([report]) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]


def test_a_capture_starting_inside_a_tls_connection_is_encrypted_throughout():
    records = [("S", b"\x17\x03\x03\x00\x20" + b"s" * 32), ("C", b"\x17\x03\x03\x00\x30" + b"c" * 48)]
    (report,) = run(records, server=("192.0.2.25", 4650), handshake=False)
    assert report.encrypted and report.encrypted_octets == 37 + 53 and not report.attempts
    assert report.label.endswith("192.0.2.10:40001 → 192.0.2.25:4650")
