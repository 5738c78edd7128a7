"""Client debug transcripts made by running the real programs against `smtp-tutor serve` (tests/data/clients/
README.md says how): the tracer recovers user, mechanism and result, finds the passwords the tool wrote down,
masks them by role, and takes what a tool hid as hidden (never as a password)."""

from pathlib import Path

import pytest

from tutor.trace import render
from tutor.trace.importers.detect import detect
from tutor.trace.pipeline import trace_bytes

DATA = Path(__file__).parent / "data" / "clients"
OK, BAD = "tanstaaftanstaaf", "wrongpassword"    # what make.sh gave the tools (lab account tim)

# file, format, [(mechanism, user, result, password recovered, redacted by the tool)]
CASES = [
    ("msmtp_debug_serve.txt", "msmtp", [("PLAIN", "tim", "success", OK, False), ("LOGIN", "tim", "failure", BAD, False),
                                        ("CRAM-MD5", "demo", "success", None, False)]),
    ("gsasl_verbose_serve.txt", "gsasl", [("PLAIN", "tim", "success", OK, False),
                                          ("LOGIN", "tim", "failure", BAD, False),
                                          ("CRAM-MD5", "demo", "success", None, False)]),
    ("perl_netsmtp_debug_serve.txt", "netsmtp", [("PLAIN", "tim", "success", OK, False),
                                                 ("LOGIN", "tim", "failure", BAD, False)]),
    # SMTPDebug 2 hides user and password alike ("[credentials hidden]"): the user is not in the file
    ("phpmailer_debug2_serve.txt", "phpmailer", [("PLAIN", "", "success", None, True),
                                                 ("LOGIN", "", "failure", None, True),
                                                 ("CRAM-MD5", "", "success", None, True)]),
    ("phpmailer_debug4_serve.txt", "phpmailer", [("LOGIN", "tim", "success", OK, False)]),
    # nodemailer base64-encodes "/* secret */" in place of the secret; the user stays visible
    ("nodemailer_logger_serve.txt", "nodemailer", [("PLAIN", "tim", "success", None, True),
                                                   ("LOGIN", "tim", "failure", None, True),
                                                   ("CRAM-MD5", "demo", "success", None, True)]),
    # mail.debug alone suppresses the exchange (only its outcome is said); mail.debug.auth=true shows it
    ("jakarta_mail_debug_serve.txt", "jakarta", [("PLAIN", "tim", "success", None, True),
                                                 ("LOGIN", "tim", "failure", None, True),
                                                 ("LOGIN", "tim", "success", OK, False)]),
    # neomutt tries LOGIN itself, then again through gsasl: two failures in one connection
    ("neomutt_debug5_serve.txt", "neomutt", [("PLAIN", "tim", "success", OK, False),
                                             ("LOGIN", "tim", "failure", BAD, False),
                                             ("LOGIN", "tim", "failure", BAD, False)]),
    ("mutt_debug5_serve.txt", "mutt", [("PLAIN", "tim", "success", OK, False), ("LOGIN", "tim", "failure", BAD, False),
                                       ("CRAM-MD5", "tim", "success", None, False)]),
    # hand-made from nsSmtpProtocol's log format (README.md): AUTH PLAIN is hidden whole, so its mechanism too
    ("thunderbird_mozlog_handmade.txt", "thunderbird", [("", "", "success", None, True),
                                                        ("LOGIN", "", "failure", None, True)]),
    # hand-made, Thunderbird's JavaScript SmtpClient: it says the mechanism before the hidden AUTH PLAIN
    ("thunderbird_smtpclient_handmade.txt", "thunderbird", [("PLAIN", "", "success", None, True),
                                                            ("LOGIN", "", "failure", None, True)]),
]


def attempts(reports):
    return [(a.mechanism, a.user, a.result, a.password, a.redacted) for r in reports for a in r.attempts]


@pytest.mark.parametrize("name,fmt,expected", CASES, ids=[c[0] for c in CASES])
def test_client_transcript_is_read_right(name, fmt, expected):
    data = (DATA / name).read_bytes()
    assert detect(data[:65536], name) == fmt
    assert attempts(trace_bytes(data, name)) == expected


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_passwords_are_masked_unless_revealed(name):
    reports = trace_bytes((DATA / name).read_bytes(), name)
    shown = "\n".join(render.plain(line) for r in reports for line in render.listing(r, render.Options()))
    for secret in (OK, BAD, "dGFuc3RhYWZ0YW5zdGFhZg==", "d3JvbmdwYXNzd29yZA==", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"):
        assert secret not in shown
    revealed = "\n".join(render.plain(line) for r in reports for line in render.listing(r, render.Options(reveal=True)))
    leaked = {a.password for r in reports for a in r.attempts} - {None}
    assert all(p in revealed for p in leaked)


def test_net_smtp_decoded_password_line_is_masked_but_the_user_line_is_not():
    reports = trace_bytes((DATA / "perl_netsmtp_debug_serve.txt").read_bytes(), "perl")
    decoded = [row for row in reports[1].rows if row.text.startswith("(decoded)")]
    assert [(row.text, row.secret) for row in decoded] == [
        ("(decoded) Username:", False), ("(decoded) tim", False), ("(decoded) Password:", False),
        ("(decoded) wrongpassword", True)]


def test_leaks_found_are_the_passwords_the_tools_wrote():
    reports = trace_bytes((DATA / "msmtp_debug_serve.txt").read_bytes(), "msmtp")
    keys = [[n.key for n in render.findings.findings(r)] for r in reports]
    assert "trace.finding.password-clear" in keys[0] and "trace.finding.password-clear" in keys[1]
    assert "trace.finding.cram-offline" in keys[2] and "trace.finding.password-clear" not in keys[2]


def test_redacted_tools_report_no_password_leak():
    for name in ("phpmailer_debug2_serve.txt", "nodemailer_logger_serve.txt"):
        reports = trace_bytes((DATA / name).read_bytes(), name)
        keys = {n.key for r in reports for n in render.findings.findings(r)}
        assert "trace.finding.password-clear" not in keys and "trace.finding.cram-offline" not in keys


def test_interleaved_nodemailer_connections_are_kept_apart():
    import re
    lines = (DATA / "nodemailer_logger_serve.txt").read_bytes().splitlines(keepends=True)
    ids = list(dict.fromkeys(m.group(0) for line in lines if (m := re.search(rb"\[[A-Za-z0-9_-]{6,}\]", line))))
    first = [line for line in lines if ids[0] in line]
    second = [line for line in lines if ids[1] in line]
    # alternate the two connections
    mixed = b"".join(line for pair in zip(first, second, strict=False) for line in pair)
    reports = trace_bytes(mixed, "mixed", fmt="nodemailer")
    assert sorted(attempts(reports)) == [("LOGIN", "tim", "failure", None, True),
                                         ("PLAIN", "tim", "success", None, True)]


def test_msmtp_starttls_lines_after_the_handshake_are_inside_tls():
    reports = trace_bytes((DATA / "msmtp_debug_starttls_serve.txt").read_bytes(), "msmtp")
    assert [(a.mechanism, a.user, a.result, a.password, a.tls) for r in reports for a in r.attempts] == [
        ("PLAIN", "tim", "success", OK, True)]
    rows = reports[0].rows
    assert reports[0].starttls and not next(r for r in rows if r.text == "STARTTLS").tls
    assert next(r for r in rows if r.text.startswith("AUTH PLAIN")).tls
    keys = {n.key for n in render.findings.findings(reports[0])}
    assert "trace.finding.password-in-record" in keys and "trace.finding.password-clear" not in keys


def test_gsasl_sessions_are_labelled_with_the_host_it_tried():
    reports = trace_bytes((DATA / "gsasl_verbose_serve.txt").read_bytes(), "gsasl")
    assert [r.label for r in reports] == [f"gsasl: gsasl connection to 127.0.0.1 ({n})" for n in (1, 2, 3)]
