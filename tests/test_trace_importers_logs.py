"""Server logs (tests/data/logs/README.md): real Postfix and Dovecot debug lines from this machine's lab, and
hand-made Exim, sendmail, saslauthd and Exchange logs in their documented formats."""

from pathlib import Path

from tutor.trace import findings, render
from tutor.trace.importers.detect import detect
from tutor.trace.pipeline import trace_bytes

DATA = Path(__file__).parent / "data" / "logs"


def traced(name: str, data: bytes | None = None):
    data = (DATA / name).read_bytes() if data is None else data
    return trace_bytes(data, name)


def attempts(reports):
    return [(a.mechanism, a.user, a.result, a.password) for r in reports for a in r.attempts]


def listing(reports, reveal=False):
    return "\n".join(render.plain(line) for r in reports for line in render.listing(r, render.Options(reveal=reveal)))


def test_dovecot_interleaved_requests_with_the_same_id_are_kept_apart():
    reports = traced("dovecot_debug_interleaved.log")
    # make/dovecot_auth.py: conn A LOGIN tim (id 1) around conn C PLAIN alice (id 1, wrong); then C LOGIN tim
    # (id 2, wrong) around A PLAIN demo (id 2)
    assert attempts(reports) == [("PLAIN", "alice", "failure", "not-wonderland"),
                                 ("LOGIN", "tim", "success", "tanstaaftanstaaf"),
                                 ("PLAIN", "demo", "success", "demo"), ("LOGIN", "tim", "failure", "hunter2")]
    assert len(reports) == 4 and all(len(r.attempts) == 1 for r in reports)     # one failure counted once


def test_dovecot_given_password_is_a_leak_and_masked():
    reports = traced("dovecot_debug_interleaved.log")
    assert {findings.leak(a) for r in reports for a in r.attempts} == {"in-log"}
    shown = listing(reports)
    for secret in ("not-wonderland", "hunter2", "tanstaaftanstaaf", "'wonderland'", "AGFsaWNlAG5vdC13b25kZXJsYW5k"):
        assert secret not in shown
    given = [row for r in reports for row in r.rows if "(given password:" in row.text]
    assert len(given) == 2 and all(row.secret and row.text[:row.keep].endswith("(given password: ") for row in given)
    assert "hunter2" in listing(reports, reveal=True)


def test_dovecot_verbose_passwords_without_debug_lines():
    """The same log with only its Info lines: what auth_verbose_passwords alone writes."""
    info = b"".join(line for line in (DATA / "dovecot_debug_interleaved.log").read_bytes().splitlines(True)
                    if b" auth: Info: " in line)
    reports = traced("dovecot.log", info)
    assert attempts(reports) == [("", "alice", "failure", "not-wonderland"), ("", "tim", "failure", "hunter2")]
    assert "hunter2" not in listing(reports)


def test_postfix_aborted_counters_and_sasl_method():
    reports = traced("postfix_lab_auth.log")
    assert attempts(reports) == [("LOGIN", "", "cancelled", None), ("", "", "success", None),
                                 ("LOGIN", "tim", "failure", None), ("CRAM-MD5", "demo", "success", None)]
    assert detect((DATA / "postfix_lab_auth.log").read_bytes(), "x") == "log"


def test_postfix_counters_add_only_what_no_line_told():
    log = (b"Dec 06 08:05:45 mx postfix/smtpd[7]: connect from x[192.0.2.1]\n"
           b"Dec 06 08:05:45 mx postfix/smtpd[7]: warning: x[192.0.2.1]: SASL PLAIN authentication failed: "
           b"authentication failure, sasl_username=(unavailable)\n"
           b"Dec 06 08:05:46 mx postfix/smtpd[7]: disconnect from x[192.0.2.1] ehlo=1 auth=1/3 quit=1 commands=3/5\n")
    reports = traced("mail.log", log)
    assert attempts(reports) == [("PLAIN", "", "failure", None), ("", "", "success", None), ("", "", "failure", None)]


def test_exim_main_log():
    assert attempts(traced("exim_main_handmade.log")) == [
        ("PLAIN", "tim", "success", None), ("LOGIN", "tim", "failure", None), ("CRAM-MD5", "alice", "failure", None),
        ("", "donna", "failure", None), ("CRAM-MD5", "demo", "success", None)]   # fixed_login: no mechanism name


def test_exim_debug_is_a_transcript_and_its_passwords_are_masked():
    reports = traced("exim_debug_handmade.txt")
    assert detect((DATA / "exim_debug_handmade.txt").read_bytes(), "x") == "exim-debug"
    assert attempts(reports) == [("PLAIN", "tim", "success", "tanstaaftanstaaf"),
                                 ("LOGIN", "tim", "failure", "wrongpassword")]
    assert reports[0].advertised == ("PLAIN", "LOGIN")
    shown = listing(reports)
    assert "tanstaaftanstaaf" not in shown and "d3JvbmdwYXNzd29yZA==" not in shown


def test_sendmail_and_saslauthd():
    assert attempts(traced("sendmail_handmade.log")) == [
        ("PLAIN", "tim", "success", None), ("LOGIN", "tim", "failure", None), ("CRAM-MD5", "", "failure", None)]
    assert attempts(traced("saslauthd_handmade.log")) == [("", "tim", "success", None), ("", "tim", "failure", None)]


def test_exchange_protocol_log_sessions_interleaved_and_redacted():
    reports = traced("exchange_smtpreceive_handmade.log")
    assert detect((DATA / "exchange_smtpreceive_handmade.log").read_bytes(), "x") == "exchange"
    assert attempts(reports) == [("LOGIN", "", "failure", None), ("LOGIN", "CONTOSO\\tim", "success", None)]
    assert all(a.redacted for r in reports for a in r.attempts)
    assert "198.51.100.7:41000" in reports[0].label


def test_saslauthd_debug_output_from_the_real_daemon():
    reports = traced("saslauthd_d_sasldb.log")
    assert attempts(reports) == [("", "tim", "failure", None), ("", "tim", "failure", None)]


def test_dovecot_sha1_of_given_password_is_not_a_password():
    line = (b"Dec 06 07:58:00 auth: Info: passwd-file(tim,127.0.0.1): Password mismatch "
            b"(SHA1 of given password: 4b1c2a)\n")
    reports = traced("dovecot.log", line)
    assert attempts(reports) == [("", "tim", "failure", None)]
    assert {findings.leak(a) for r in reports for a in r.attempts} == {"nothing"}


def test_dovecot_through_rsyslog_with_its_tab_escapes():
    """rsyslog writes a tab as #011 and adds host and program: the same requests are read."""
    real = (DATA / "dovecot_debug_interleaved.log").read_bytes().splitlines(keepends=True)
    syslog = b"".join(line[:15] + b" mx dovecot: " + line[16:].replace(b"\t", b"#011") for line in real)
    assert b"#011" in syslog and b"\t" not in syslog
    assert attempts(traced("maillog", syslog)) == attempts(traced("dovecot_debug_interleaved.log"))


def test_a_failure_told_by_dovecot_and_postfix_is_one_exchange():
    reports = traced("mail_combined_lab.log")
    assert attempts(reports) == attempts(traced("postfix_lab_auth.log"))      # not a fifth, Dovecot-only one
    failed = next(r for r in reports if any(a.result == "failure" for a in r.attempts))
    assert any("passwd-file(tim,127.0.0.1): Password mismatch" in row.text for row in failed.rows)


def test_without_postfix_failure_line_the_counters_take_dovecots_failure():
    lines = (DATA / "mail_combined_lab.log").read_bytes().splitlines(keepends=True)
    without = b"".join(line for line in lines if b"SASL LOGIN authentication failed" not in line)
    assert attempts(traced("mail.log", without)) == [("LOGIN", "", "cancelled", None), ("", "", "success", None),
                                                     ("", "tim", "failure", None),
                                                     ("CRAM-MD5", "demo", "success", None)]


def test_a_dovecot_failure_no_postfix_line_claims_is_still_reported():
    lines = (DATA / "mail_combined_lab.log").read_bytes().splitlines(keepends=True)
    other_ip = b"".join(line.replace(b"tim,127.0.0.1", b"tim,192.0.2.7") for line in lines)
    found = attempts(traced("mail.log", other_ip))
    assert found.count(("", "tim", "failure", None)) == 1 and ("LOGIN", "tim", "failure", None) in found
    assert len(found) == 5


def test_real_postfix_driven_dovecot_requests_with_the_same_id_open_at_once():
    assert attempts(traced("dovecot_debug_lab.log")) == [
        ("PLAIN", "alice", "failure", "not-wonderland"), ("LOGIN", "tim", "success", "tanstaaftanstaaf"),
        ("LOGIN", "tim", "failure", "hunter2")]
    assert attempts(traced("postfix_debug_lab.log")) == [
        ("", "", "success", None), ("PLAIN", "alice", "failure", None), ("LOGIN", "tim", "failure", None)]


def test_postfix_and_debug_dovecot_in_one_mail_log_are_one_exchange_each():
    reports = traced("mail_debug_combined_lab.log")
    # three exchanges, as the client made them: in Postfix's sessions, with Dovecot's mechanism and passwords
    assert [[(a.mechanism, a.user, a.result, a.password) for a in r.attempts] for r in reports] == [
        [("LOGIN", "tim", "success", "tanstaaftanstaaf")],
        [("PLAIN", "alice", "failure", "not-wonderland"), ("LOGIN", "tim", "failure", "hunter2")]]
    assert all("smtpd[" in r.label for r in reports)
    shown = listing(reports)
    assert "hunter2" not in shown and "not-wonderland" not in shown and "tanstaaftanstaaf" not in shown


def test_exchange_send_log_has_exchange_as_the_client():
    reports = traced("exchange_smtpsend_handmade.log")
    assert attempts(reports) == [("LOGIN", "", "failure", None)]
    rows = reports[0].rows
    shown = ("EHLO EX01.contoso.test", "220 relay.example.test ESMTP")
    assert [r.direction for r in rows if r.text in shown] == ["S", "C"]
