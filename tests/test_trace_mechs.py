"""The tracer on DIGEST-MD5, NTLM and GSSAPI exchanges: decode, findings, --password/--wordlist, exports.

The DIGEST-MD5 session is RFC 2831 §4's example exchange (user chris, password secret) in an SMTP dialogue.
"""

from __future__ import annotations

import base64

from tutor.trace import crack, findings, render
from tutor.trace.pipeline import trace_bytes

B = lambda data: base64.b64encode(data).decode()    # noqa: E731
CHALLENGE = b'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8'
RESPONSE = (b'charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,'
            b'cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",'
            b'response=d388dad90d4bbd760a152321f2143af7,qop=auth')
DIGEST_SESSION = (f"S: 220 mail.example ESMTP\nC: EHLO laptop.example\nS: 250-mail.example\nS: 250 AUTH DIGEST-MD5\n"
                  f"C: AUTH DIGEST-MD5\nS: 334 {B(CHALLENGE)}\nC: {B(RESPONSE)}\n"
                  f"S: 334 {B(b'rspauth=ea40f60335c427b5527b84dbabcdfffd')}\nC: \nS: 235 2.7.0 ok\n").encode()


def traced(data: bytes):
    return trace_bytes(data, "t", "rfc")[0]


def test_digest_md5_fields_findings_and_john_line():
    report = traced(DIGEST_SESSION)
    attempt = report.attempts[0]
    assert (attempt.mechanism, attempt.user, attempt.result) == ("DIGEST-MD5", "chris", "success")
    assert attempt.password is None
    keys = [n.key for n in findings.findings(report)]
    assert "mechs.finding.digest-offline" in keys and "mechs.finding.digest-rspauth" in keys
    assert "Historic (RFC 6331)" in " ".join(n.text() for n in findings.findings(report))
    assert crack.hashcat_line(attempt) == ("$DIGEST-MD5$chris$elwood.innosoft.com$OA6MG9tEQGm2hh$"
                                           "imap/elwood.innosoft.com$OA6MHXh6VqTrRk$00000001$auth$"
                                           "d388dad90d4bbd760a152321f2143af7")
    summary = render.plain(render.summary(report, render.Options()))
    assert "DIGEST-MD5 chris success" in summary and "offline" in summary and "password in clear" not in summary


def test_digest_md5_password_and_wordlist(tmp_path):
    attempt = traced(DIGEST_SESSION).attempts[0]
    crack.apply(attempt, "nope")
    assert attempt.cracked is None and attempt.crack_tried == 1
    words = tmp_path / "words"
    words.write_bytes(b"a\r\nb\nsecret\nc\n")
    crack.apply(attempt, None, str(words))
    assert attempt.cracked == "secret" and attempt.crack_tried == 4


def test_digest_md5_password_verification_in_the_summary():
    report = traced(DIGEST_SESSION)
    crack.apply(report.attempts[0], "secret")
    assert "DIGEST-MD5 cracked: ********" in render.plain(render.summary(report, render.Options()))
    assert "secret" in render.plain(render.summary(report, render.Options(reveal=True)))


def test_a_hostile_digest_message_is_a_note_not_a_traceback():
    bad = DIGEST_SESSION.replace(B(RESPONSE).encode(), B(b'username="\x1b]0;PWNED\x07",nonce="open').encode())
    report = traced(bad)
    text = "\n".join(render.plain(line) for line in render.listing(report, render.Options()))
    assert "not a valid DIGEST-MD5 message" in text and "\x1b" not in text and "\x07" not in text


# --- NTLM: MS-NLMP §4.2.4's NTLMv2 exchange (user User, domain Domain, password Password) in AUTH NTLM ---
from test_sasl_ntlm import SERVER_CHALLENGE, V2_RESPONSE, authenticate, challenge  # noqa: E402

NEGOTIATE = bytes.fromhex("4e544c4d5353500001000000078208a2000000000000000000000000000000000000000000000000")[:32]
NTLM_AUTH = authenticate("User", "Domain", "COMPUTER", b"\x00" * 24, V2_RESPONSE)
NTLM_SESSION = (f"S: 220 exchange.example ESMTP\nC: EHLO laptop\nS: 250-exchange.example\nS: 250 AUTH NTLM LOGIN\n"
                f"C: AUTH NTLM {B(NEGOTIATE)}\nS: 334 {B(challenge(SERVER_CHALLENGE))}\nC: {B(NTLM_AUTH)}\n"
                f"S: 535 5.7.3 Authentication unsuccessful\n").encode()


def test_ntlm_session_decoded_with_findings_and_hashcat_5600_line():
    report = traced(NTLM_SESSION)
    attempt = report.attempts[0]
    assert (attempt.mechanism, attempt.user, attempt.result, attempt.password) == ("NTLM", "User", "failure", None)
    text = "\n".join(render.plain(line) for line in render.listing(report, render.Options()))
    assert "NTLM authenticate" in text and "workstation COMPUTER" in text and "NTLMv2" in text
    assert "server challenge 0123456789abcdef" in text
    keys = [n.key for n in findings.findings(report)]
    assert {"mechs.finding.ntlm-offline", "mechs.finding.ntlm-relay"} <= set(keys)
    proof, blob = V2_RESPONSE[:16].hex(), V2_RESPONSE[16:].hex()
    assert crack.hashcat_line(attempt) == f"User::Domain:0123456789abcdef:{proof}:{blob}"
    summary = render.plain(render.summary(report, render.Options()))
    assert "NTLM User failure" in summary and "relay" in summary and "password in clear" not in summary


def test_ntlm_password_check():
    attempt = traced(NTLM_SESSION).attempts[0]
    crack.apply(attempt, "Password")
    assert attempt.cracked == "Password"


def test_ntlm_hostile_offsets_are_a_note_not_a_traceback():
    bad = NTLM_AUTH[:36] + bytes.fromhex("0800080000ffffff") + NTLM_AUTH[44:]
    report = traced(NTLM_SESSION.replace(B(NTLM_AUTH).encode(), B(bad).encode()))
    text = "\n".join(render.plain(line) for line in render.listing(report, render.Options()))
    assert "not a valid NTLM message" in text and "points outside the message" in text


# --- GSSAPI: a Kerberos AP-REQ built by tests/test_sasl_gssapi.token() ---
from test_sasl_gssapi import token  # noqa: E402

GSSAPI_SESSION = (f"S: 220 mail.example.org ESMTP\nC: EHLO laptop\nS: 250-mail.example.org\nS: 250 AUTH GSSAPI\n"
                  f"C: AUTH GSSAPI {B(token())}\nS: 334 {B(b'AP-REP-ish')}\nC: \nS: 334 {B(bytes(4))}\n"
                  f"C: {B(bytes(4))}\nS: 235 2.7.0 ok\n").encode()


def test_gssapi_clear_fields_and_what_cannot_be_seen():
    report = traced(GSSAPI_SESSION)
    attempt = report.attempts[0]
    assert (attempt.mechanism, attempt.result, attempt.password) == ("GSSAPI", "success", None)
    text = "\n".join(render.plain(line) for line in render.listing(report, render.Options()))
    assert "realm EXAMPLE.ORG; service principal smtp/mail.example.org" in text
    assert "aes256-cts-hmac-sha1-96" in text and "encrypted" in text
    assert "mechs.finding.gssapi-seen" in [n.key for n in findings.findings(report)]
    summary = render.plain(render.summary(report, render.Options()))
    assert "Kerberos ticket: no password on the wire" in summary and crack.hashcat_line(attempt) is None


# --- --summary --by user|ip: a brute-force triage tally (a pcap built by tests/trace_pcapgen.py) ---
import json  # noqa: E402

import trace_pcapgen as gen  # noqa: E402

from tutor.cli import main  # noqa: E402


def login_session(user: str, password: str, ok: bool) -> list[tuple[str, bytes]]:
    return [("S", b"220 mx ESMTP\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN LOGIN\r\n"),
            ("C", b"AUTH LOGIN\r\n"), ("S", b"334 VXNlcm5hbWU6\r\n"), ("C", B(user.encode()).encode() + b"\r\n"),
            ("S", b"334 UGFzc3dvcmQ6\r\n"), ("C", B(password.encode()).encode() + b"\r\n"),
            ("S", b"235 2.7.0 ok\r\n" if ok else b"535 5.7.8 no\r\n"), ("C", b"QUIT\r\n"), ("S", b"221 bye\r\n")]


def brute_force_capture(tmp_path):
    packets = []
    for port, (ip, user, ok) in enumerate([("198.51.100.7", "admin", False), ("198.51.100.7", "admin", False),
                                           ("198.51.100.7", "root", False), ("203.0.113.5", "tim", True),
                                           ("198.51.100.7", "admin", True)], 40100):
        packets += gen.conversation(login_session(user, "guess", ok), client=(ip, port))
    path = tmp_path / "brute.pcap"
    path.write_bytes(gen.pcap([gen.link(1, p) for p in packets]))
    return path


def test_by_user_tally(tmp_path, capsys):
    assert main(["trace", "--by", "user", "--color", "never", str(brute_force_capture(tmp_path))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["AUTH attempts by user:", "  admin  2 failed, 1 succeeded", "  root  1 failed, 0 succeeded",
                   "  tim  0 failed, 1 succeeded"]


def test_by_ip_tally_with_summary_in_json(tmp_path, capsys):
    assert main(["trace", "--summary", "--by", "ip", "--format", "json", str(brute_force_capture(tmp_path))]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 6 and lines[-1] == {"by": "ip", "tally": [
        {"key": "198.51.100.7", "success": 1, "failure": 3, "other": 0, "users": ["admin", "root"]},
        {"key": "203.0.113.5", "success": 1, "failure": 0, "other": 0, "users": ["tim"]}]}


# --- redacted recordings: the user name survives, and no "password sent" for mechanisms that send none ---
from tutor.transcript import Entry, Recorder  # noqa: E402


def record(path, lines):
    with Recorder(path) as recorder:
        recorder.session("mx")
        for direction, data, secret in lines:
            recorder.add(Entry(direction, data, secret=secret))


def test_a_redacted_cram_md5_recording_keeps_the_user_and_claims_no_password(tmp_path, capsys):
    answer = b"tim b913a602c7eda7a495b4e6e7334d3890"           # RFC 2195 §2: the example exchange
    path = tmp_path / "cram.jsonl"
    record(path, [("S", b"220 mx", False), ("C", b"EHLO x", False), ("S", b"250 AUTH CRAM-MD5", False),
                  ("C", b"AUTH CRAM-MD5", False),
                  ("S", b"334 " + B(b"<1896.697170952@postoffice.reston.mci.net>").encode(), False),
                  ("C", B(answer).encode(), True), ("S", b"235 ok", False)])
    text = path.read_text()
    assert '"user": "tim"' in text and B(answer) not in text and "b913a602" not in text
    assert main(["trace", "--summary", "--color", "never", str(path)]) == 0
    out = capsys.readouterr().out
    assert "CRAM-MD5 tim success" in out and "password sent" not in out and "no password was sent" in out


def test_a_redacted_plain_recording_keeps_the_user_and_says_the_password_was_sent(tmp_path, capsys):
    path = tmp_path / "plain.jsonl"
    record(path, [("S", b"220 mx", False), ("C", b"EHLO x", False), ("S", b"250 AUTH PLAIN", False),
                  ("C", b"AUTH PLAIN " + B(b"\x00tim\x00tanstaaftanstaaf").encode(), True), ("S", b"235 ok", False)])
    assert "tanstaaf" not in path.read_text() and '"user": "tim"' in path.read_text()
    assert main(["trace", "--summary", "--color", "never", str(path)]) == 0
    out = capsys.readouterr().out
    assert "PLAIN tim success password sent, not in this record (redacted)" in out


# --- a real DIGEST-MD5 client: gsasl against tests/data/mechs/digest_loopback.py ---
# Fixture tests/data/mechs/gsasl-digest-md5.txt was made by running (gsasl 2.x, Debian package):
#   python tests/data/mechs/digest_loopback.py PORTFILE tests/data/mechs/gsasl-digest-md5.txt &
#   gsasl --smtp --no-starttls --mechanism DIGEST-MD5 -a tim -p tanstaaftanstaaf --realm mx.lab.example \
#         --service smtp --hostname mx.lab.example --quiet 127.0.0.1 $(cat PORTFILE) </dev/null
# gsasl computed the response and accepted the server's rspauth (it went on to 235 and QUIT).
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

DATA = Path(__file__).parent / "data" / "mechs"


def test_gsasl_fixture_password_check_rspauth_and_john_line(capsys):
    fixture = str(DATA / "gsasl-digest-md5.txt")
    assert main(["trace", "--password", "tanstaaftanstaaf", "--color", "never", fixture]) == 0
    out = capsys.readouterr().out
    assert "DIGEST-MD5 as 'tim': success" in out and "confirmed against the DIGEST-MD5 response: ********" in out
    assert "rspauth checked against the password: it matches" in out
    assert main(["trace", "--hashcat", fixture]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("$DIGEST-MD5$tim$mx.lab.example$OA6MG9tEQGm2hh$smtp/mx.lab.example$")
    from test_sasl_digest_md5 import john

    from tutor.sasl import digest_md5
    assert digest_md5.matches(john(line), b"tanstaaftanstaaf")


def test_gsasl_live_against_the_digest_server(tmp_path):
    if shutil.which("gsasl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("gsasl is required under CI")
        pytest.skip("gsasl not installed")
    port_file, transcript = tmp_path / "port", tmp_path / "session.txt"
    server = subprocess.Popen([sys.executable, str(DATA / "digest_loopback.py"), str(port_file), str(transcript)])
    try:
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        result = subprocess.run(["gsasl", "--smtp", "--no-starttls", "--mechanism", "DIGEST-MD5", "-a", "tim",
                                 "-p", "tanstaaftanstaaf", "--realm", "mx.lab.example", "--service", "smtp",
                                 "--hostname", "mx.lab.example", "--quality-of-protection=qop-auth", "--quiet",
                                 "127.0.0.1", port_file.read_text()], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=20)
        server.wait(timeout=20)
    finally:
        server.kill()
    assert result.returncode == 0, result.stderr
    report = traced(transcript.read_bytes())
    attempt = report.attempts[0]
    assert (attempt.mechanism, attempt.user, attempt.result) == ("DIGEST-MD5", "tim", "success")
    crack.apply(attempt, "tanstaaftanstaaf")
    assert attempt.cracked == "tanstaaftanstaaf" and attempt.exchange["rspauth_ok"] is True


# --- a real NTLM client: swaks (Authen::NTLM 1.09, Debian libauthen-ntlm-perl) against ntlm_loopback.py ---
# Fixture tests/data/mechs/swaks-ntlm.txt was made by running:
#   python tests/data/mechs/ntlm_loopback.py PORTFILE tests/data/mechs/swaks-ntlm.txt &
#   swaks --server 127.0.0.1 --port $(cat PORTFILE) --auth NTLM --auth-user tim --auth-password tanstaaftanstaaf \
#         --auth-extra domain=LAB --quit-after AUTH --helo laptop.lab.example
# Authen::NTLM answers with an NTLMv1 response (24 bytes), so the export is a hashcat -m 5500 line.
SWAKS_NTLM = DATA / "swaks-ntlm.txt"


def test_swaks_ntlm_fixture_decoded_and_exported(capsys):
    report = traced(SWAKS_NTLM.read_bytes())
    attempt = report.attempts[0]
    assert (attempt.mechanism, attempt.user, attempt.result) == ("NTLM", "tim", "failure")
    assert attempt.exchange["authenticate"] == {"user": "tim", "domain": "LAB", "workstation": "tim",
                                                "version": "NTLMv1"}
    assert main(["trace", "--hashcat", str(SWAKS_NTLM)]) == 0
    user, empty, domain, lm, nt, srv = capsys.readouterr().out.strip().split(":")
    assert (user, empty, domain, srv) == ("tim", "", "LAB", "0123456789abcdef")
    assert len(lm) == 48 and len(nt) == 48 and lm != nt          # hashcat 5500: lm (<=48 hex), nt (48 hex)


def test_swaks_ntlm_live(tmp_path):
    if shutil.which("swaks") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("swaks is required under CI")
        pytest.skip("swaks not installed")
    port_file, transcript = tmp_path / "port", tmp_path / "session.txt"
    server = subprocess.Popen([sys.executable, str(DATA / "ntlm_loopback.py"), str(port_file), str(transcript)])
    try:
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        result = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", port_file.read_text(), "--auth", "NTLM",
                                 "--auth-user", "tim", "--auth-password", "tanstaaftanstaaf", "--auth-extra",
                                 "domain=LAB", "--quit-after", "AUTH", "--helo", "laptop.lab.example"],
                                capture_output=True, timeout=20)
        server.wait(timeout=20)
    finally:
        server.kill()
    if b"Authen::NTLM" in result.stdout + result.stderr and os.environ.get("CI") != "true":
        pytest.skip("swaks lacks Authen::NTLM (apt-get install libauthen-ntlm-perl)")
    attempt = traced(transcript.read_bytes()).attempts[0]
    assert (attempt.mechanism, attempt.user, attempt.exchange["authenticate"]["domain"]) == ("NTLM", "tim", "LAB")
    assert crack.hashcat_line(attempt).startswith("tim::LAB:")


# --- hostile input: mutated DIGEST-MD5 / NTLM / GSSAPI payloads through the whole tracer (seeded, bounded) ---
import random  # noqa: E402


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        if op < 0.5 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif op < 0.75:
            del out[rng.randrange(len(out) + 1):]
        else:
            at = rng.randrange(len(out) + 1)
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(out)


@pytest.mark.parametrize("mechanism, server, client", [
    ("DIGEST-MD5", CHALLENGE, RESPONSE),
    ("NTLM", challenge(SERVER_CHALLENGE), NTLM_AUTH),
    ("GSSAPI", b"", token()),
])
def test_mutated_payloads_never_raise_nor_print_raw_control_bytes(mechanism, server, client):
    rng = random.Random(2026)
    for _ in range(150):
        session = (f"S: 220 mx\nC: EHLO x\nS: 250 AUTH {mechanism}\nC: AUTH {mechanism}\n"
                   f"S: 334 {B(mutate(rng, server))}\nC: {B(mutate(rng, client))}\nS: 535 5.7.8 no\n").encode()
        report = traced(session)
        text = "\n".join(render.plain(line) for line in render.listing(report, render.Options(reveal=True)))
        text += render.plain(render.summary(report, render.Options(reveal=True)))
        assert not any((ord(c) < 32 and c != "\n") or ord(c) == 127 for c in text)
        crack.apply(report.attempts[0], "x")
        crack.hashcat_line(report.attempts[0])
