"""Real tool output captured by scripts/make_trace_fixtures.py (swaks, curl, smtplib, openssl s_client, Postfix's
log, tcpdump) against the lab Postfix and `smtp-tutor serve`: the tracer must recover who logged in, how,
whether it worked and, for PLAIN/LOGIN, the password the tool was given."""

from pathlib import Path

import pytest

from tutor.trace.importers.detect import detect
from tutor.trace.pipeline import trace_bytes

DATA = Path(__file__).parent / "data" / "trace"

# file, format, [(mechanism, user, result, password or None, inside TLS)] -- the credentials and outcomes are
# the ones the fixture script gave the tools (lab users: tim/tanstaaftanstaaf, demo/demo, alice/wonderland).
CASES = [
    ("swaks_plain_lab.txt", "swaks", [("PLAIN", "demo", "success", "demo", False)]),
    ("swaks_login_bad_lab.txt", "swaks", [("LOGIN", "tim", "failure", "wrong", False)]),
    ("swaks_cram_lab.txt", "swaks", [("CRAM-MD5", "alice", "success", None, False)]),
    ("swaks_starttls_lab.txt", "swaks", [("LOGIN", "tim", "success", "tanstaaftanstaaf", True)]),
    ("swaks_login_sim.txt", "swaks", [("LOGIN", "tim", "success", "tanstaaftanstaaf", False)]),
    ("curl_login_lab.txt", "curl", [("LOGIN", "demo", "success", "demo", False)]),
    ("curl_plain_sim.txt", "curl", [("PLAIN", "demo", "success", "demo", False)]),
    ("smtplib_cram_lab.txt", "smtplib", [("CRAM-MD5", "alice", "success", None, False)]),
    ("smtplib_plain_bad_lab.txt", "smtplib", [("PLAIN", "tim", "failure", "not-the-password", False)]),
    ("smtplib_login_sim.txt", "smtplib", [("LOGIN", "demo", "success", "demo", False)]),
    ("openssl_starttls_lab.txt", "openssl", [("PLAIN", "alice", "success", "wonderland", True)]),
    ("openssl_quiet_tls_lab.txt", "openssl", [("LOGIN", "tim", "failure", "wrong", True)]),
]


def attempts(reports):
    return [(a.mechanism, a.user, a.result, a.password, a.tls) for r in reports for a in r.attempts]


@pytest.mark.parametrize("name,fmt,expected", CASES, ids=[c[0] for c in CASES])
def test_tool_output_recovers_the_login(name, fmt, expected):
    data = (DATA / name).read_bytes()
    assert detect(data[:65536], name) == fmt
    reports = trace_bytes(data, name)
    assert attempts(reports) == expected


def test_pcap_from_tcpdump_has_every_session_in_order_of_closing():
    reports = trace_bytes((DATA / "lab_auth.pcap").read_bytes(), "lab_auth.pcap")
    seen = [(a.mechanism, a.user, a.result, a.password) for r in reports for a in r.attempts]
    # the fixture script's lab sessions, in the order it ran them
    assert seen == [("PLAIN", "demo", "success", "demo"), ("LOGIN", "tim", "failure", "wrong"),
                    ("CRAM-MD5", "alice", "success", None), ("LOGIN", "demo", "success", "demo"),
                    ("CRAM-MD5", "alice", "success", None), ("PLAIN", "tim", "failure", "not-the-password")]
    encrypted = [r for r in reports if r.encrypted]
    assert len(encrypted) == 2 and all(r.starttls and not r.attempts for r in encrypted)
    assert all(":10587" in r.label for r in encrypted)


def test_pcap_cram_exchange_verifies_with_the_real_password():
    from tutor.trace import crack
    reports = trace_bytes((DATA / "lab_auth.pcap").read_bytes(), "lab_auth.pcap")
    cram = [a for r in reports for a in r.attempts if a.mechanism == "CRAM-MD5"]
    assert cram and all(crack.verify(a, b"wonderland") for a in cram)
    assert not any(crack.verify(a, b"wonderlanD") for a in cram)


def test_swaks_starttls_lines_after_tls_are_marked_tls():
    reports = trace_bytes((DATA / "swaks_starttls_lab.txt").read_bytes(), "x")
    rows = reports[0].rows
    auth = next(r for r in rows if r.text == "AUTH LOGIN")
    assert auth.tls and not rows[0].tls and reports[0].starttls


def test_postfix_log_from_the_lab():
    reports = trace_bytes((DATA / "postfix_lab.log").read_bytes(), "postfix_lab.log")
    seen = {(a.mechanism, a.user, a.result) for r in reports for a in r.attempts}
    assert ("LOGIN", "tim", "failure") in seen and ("LOGIN", "demo", "success") in seen
    assert all(r.attempts for r in reports)          # connections without AUTH are not reported


def test_linux_cooked_capture_of_ipv4_and_ipv6_sessions():
    """tcpdump -i any writes Linux cooked v2 (SLL2) frames; serve ran on 127.0.0.1 and on ::1."""
    data = (DATA / "serve_any_ipv4_ipv6.pcap").read_bytes()
    assert int.from_bytes(data[20:24], "little") == 276
    reports = trace_bytes(data, "any.pcap")
    seen = [(r.label.split(": ", 1)[1].startswith("["), a.mechanism, a.user, a.result, a.password)
            for r in reports for a in r.attempts]
    assert seen == [(False, "PLAIN", "tim", "success", "tanstaaftanstaaf"), (True, "LOGIN", "demo", "success", "demo"),
                    (True, "CRAM-MD5", "tim", "success", None)]
    from tutor.trace import crack
    assert crack.verify(reports[-1].attempts[0], b"tanstaaftanstaaf")
