"""Observer mode: strict sequence checks from the legality table, pipelining, TLS, greetings not captured."""

from tutor.trace.pipeline import trace_bytes


def rows_and_keys(text: str):
    report = trace_bytes(text.encode(), "t", "rfc")[0]
    return report, {row.text: [n.key for n in row.notes] for row in report.rows}


def test_auth_before_ehlo_is_out_of_sequence():
    report, keys = rows_and_keys("S: 220 mx\nC: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\nS: 503 5.5.1 EHLO first\n")
    assert "trace.problem.sequence" in keys["AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"]
    assert "sequence.need-ehlo" in keys["AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"]
    assert report.attempts[0].result == "failure"


def test_pipelined_commands_are_judged_in_the_state_they_were_meant_for():
    _, keys = rows_and_keys("S: 220 mx\nC: EHLO x\nS: 250-mx\nS: 250 PIPELINING\nC: MAIL FROM:<a@example.org>\n"
                            "C: RCPT TO:<b@example.org>\nC: DATA\nS: 250 ok\nS: 250 ok\nS: 354 go\nC: Subject: x\n"
                            "C: \nC: hi\nC: .\nS: 250 queued\nC: QUIT\nS: 221 bye\n")
    assert not any("trace.problem.sequence" in k for k in keys.values())
    assert keys["."] == ["trace.note.message-end"]


def test_rcpt_without_mail_is_flagged():
    _, keys = rows_and_keys("S: 220 mx\nC: EHLO x\nS: 250 mx\nC: RCPT TO:<b@example.org>\nS: 503 need MAIL\n")
    assert "trace.problem.sequence" in keys["RCPT TO:<b@example.org>"]


def test_second_auth_after_success():
    _, keys = rows_and_keys("S: 220 mx\nC: EHLO x\nS: 250 AUTH PLAIN\nC: AUTH PLAIN AGEAYg==\nS: 235 ok\n"
                            "C: AUTH PLAIN AGMAZA==\nS: 503 5.5.1 already authenticated\n")
    assert "sequence.auth-twice" in keys["AUTH PLAIN AGMAZA=="]


def test_mechanism_not_offered_and_plaintext_offered_without_tls():
    _, keys = rows_and_keys("S: 220 mx\nC: EHLO x\nS: 250-mx\nS: 250 AUTH PLAIN\nC: AUTH LOGIN\nS: 504 5.5.4 no\n")
    assert "trace.problem.not-offered" in keys["AUTH LOGIN"]
    assert "trace.problem.plaintext-offered" in keys["250 AUTH PLAIN"]


def test_lines_after_starttls_without_a_tls_mark_are_taken_as_decrypted():
    report = trace_bytes(b"S: 220 mx\nC: EHLO x\nS: 250 STARTTLS\nC: STARTTLS\nS: 220 go\nC: EHLO x\n"
                         b"S: 250 AUTH PLAIN\nC: AUTH PLAIN AGEAYg==\nS: 235 ok\n", "t", "rfc")[0]
    assert report.attempts[0].tls and report.attempts[0].password == "b"
    assert "trace.mark.handshake-not-shown" in [n.key for r in report.rows for n in r.notes]


def test_capture_without_greeting():
    report = trace_bytes(b"C: EHLO x\nS: 250 AUTH PLAIN\nC: AUTH PLAIN AGEAYg==\nS: 235 ok\n", "t", "rfc")[0]
    assert report.attempts[0].result == "success"
    assert report.rows[0].notes[0].key == "trace.mark.no-greeting"


def test_malformed_reply_line():
    _, keys = rows_and_keys("S: 220 mx\nC: EHLO x\nS: hello there\n")
    assert keys["hello there"] == ["trace.problem.bad-reply"]


def test_reply_meanings_come_from_the_code_table():
    report = trace_bytes(b"S: 220 mx\nC: EHLO x\nS: 250 AUTH PLAIN\nC: AUTH PLAIN AGEAYg==\n"
                         b"S: 535 5.7.8 Authentication credentials invalid\n", "t", "rfc")[0]
    last = report.rows[-1].notes[0].text()
    assert last.startswith("535 5.7.8: Authentication credentials invalid (RFC 4954 §6")


def test_a_reply_whose_code_changes_midway_is_read_alike_with_and_without_the_listing():
    # RFC 5321 §4.2.1: each line of a multi-line reply begins with the reply code; a server that changes it midway
    # must not stop --summary (no listing: inner lines are read without rows) from reading the session
    text = ("S: 220 mx\nC: EHLO x\nS: 250-mx\nS: 251-AUTH PLAIN\nS: 251 SIZE 10\n"
            "C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\nS: 235 ok\nC: QUIT\nS: 221 bye\n")
    for keep_rows in (True, False):
        report = trace_bytes(text.encode(), "t", "rfc", keep_rows=keep_rows)[0]
        assert [(a.mechanism, a.user, a.result) for a in report.attempts] == [("PLAIN", "tim", "success")]
    _, keys = rows_and_keys(text)
    assert "trace.problem.bad-reply" in keys["251-AUTH PLAIN"]
