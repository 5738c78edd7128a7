"""RFC and draft examples as C:/S: transcripts, and the published cracking vectors (PROTOCOL.md §2.1-2.5)."""

import pytest

from tutor.trace import crack, findings
from tutor.trace.pipeline import trace_bytes


def session(text: str):
    reports = trace_bytes(text.encode(), "example", "rfc")
    assert len(reports) == 1
    return reports[0]


GREETING = "S: 220 smtp.example.com ESMTP server ready\nC: EHLO jgm.example.com\nS: 250-smtp.example.com\n" \
           "S: 250 AUTH GSSAPI DIGEST-MD5 PLAIN CRAM-MD5 LOGIN\n"


def test_rfc4954_plain_with_initial_response():
    report = session(GREETING + "C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\nS: 235 2.7.0 Authentication successful\n")
    attempt = report.attempts[0]
    assert (attempt.mechanism, attempt.authzid, attempt.user, attempt.password, attempt.result) == \
        ("PLAIN", "test", "test", "1234", "success")


def test_rfc4954_plain_after_empty_challenge_keeps_the_trailing_space():
    report = session(GREETING + "C: AUTH PLAIN\nS: 334 \nC: dGVzdAB0ZXN0ADEyMzQ=\n"
                                "S: 235 2.7.0 Authentication successful\n")
    assert report.attempts[0].password == "1234"
    challenge = next(r for r in report.rows if r.text == "334 ")
    assert "an empty challenge" in challenge.notes[0].text()


def test_rfc4616_vector_decodes_to_tim():
    report = session(GREETING + "C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\nS: 235 2.7.0 ok\n")
    assert (report.attempts[0].user, report.attempts[0].password) == ("tim", "tanstaaftanstaaf")


RFC2195 = GREETING + ("C: AUTH CRAM-MD5\nS: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\n"
                      "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\nS: 235 2.7.0 Authentication successful\n")


def test_rfc2195_example_is_open_to_offline_attack_and_verifies():
    attempt = session(RFC2195).attempts[0]
    assert attempt.user == "tim" and attempt.challenge == b"<1896.697170952@postoffice.reston.mci.net>"
    assert attempt.challenge_problems == ()
    assert findings.leak(attempt) == "offline"
    assert crack.verify(attempt, b"tanstaaftanstaaf") and not crack.verify(attempt, b"tanstaaf")


def test_rfc2195_example_as_hashcat_line():
    attempt = session(RFC2195).attempts[0]
    assert crack.hashcat_line(attempt) == ("$cram_md5$PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
                                           "$dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")


def test_rfc4954_cram_example_user():
    report = session(GREETING + "C: AUTH CRAM-MD5\n"
                     "S: 334 PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=\n"
                     "C: cmpzMyBlYzNhNTlmZWQzOTVhYmExZWM2MzY3YzRmNGI0MWFjMA==\nS: 235 Authentication successful.\n")
    attempt = report.attempts[0]
    assert attempt.user == "rjs3" and attempt.challenge == b"<4192942341.12828472@sourcefour.andrew.cmu.edu>"


def test_draft_crammd5_joe_vector_verifies():
    report = session(GREETING + "C: AUTH CRAM-MD5\nS: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\n"
                     "C: am9lIDNkYmM4OGYwNjI0Nzc2YTczN2IzOTA5M2Y2ZWI2NDI3\nS: 235 2.7.0 ok\n")
    assert crack.verify(report.attempts[0], b"tanstaaftanstaaf")


def test_login_draft_example_with_nul_prompts():
    report = session(GREETING + "C: AUTH LOGIN\nS: 334 VXNlciBOYW1lAA==\nC: dGlt\nS: 334 UGFzc3dvcmQA\n"
                     "C: dGFuc3RhYWZ0YW5zdGFhZg==\nS: 235 Authentication successful.\n")
    attempt = report.attempts[0]
    assert (attempt.user, attempt.password, attempt.result) == ("tim", "tanstaaftanstaaf", "success")
    keys = [n.key for r in report.rows for n in r.notes]
    assert "identify.problem.draft-nul" in keys


def test_the_old_articles_glitchy_challenge_is_flagged_but_still_used():
    report = session(GREETING + "C: AUTH CRAM-MD5\n"
                     "S: 334 PDIzODkxLjEwMTU5ODM0OTNAcGlvbmVlci5ob3N0LXNlcnZlLm5ldApaAj4=\n")
    attempt = report.attempts[0]
    assert attempt.challenge == b"<23891.1015983493@pioneer.host-serve.net\nZ\x02>"
    assert "sasl.problem.cram.control-chars" in attempt.challenge_problems
    assert "trace.finding.cram-glitch" in [n.key for n in findings.findings(report)]
    assert attempt.result == "unanswered"


def test_cancel_with_star_gets_501():
    report = session(GREETING + "C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: *\nS: 501 5.7.0 Authentication aborted\n")
    assert report.attempts[0].result == "cancelled"


def test_invalid_base64_response_is_flagged():
    report = session(GREETING + "C: AUTH PLAIN\nS: 334 \nC: =AAA\nS: 501 5.5.2 Cannot decode response\n")
    row = next(r for r in report.rows if r.text == "=AAA")
    assert any(n.key == "trace.problem.bad-base64" for n in row.notes)
    assert report.attempts[0].result == "failure"


def test_google_xoauth2_example():
    report = session(GREETING + "C: AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRm"
                     "dDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==\nS: 235 2.7.0 Accepted\n")
    attempt = report.attempts[0]
    assert attempt.user == "someuser@example.com" and findings.leak(attempt) == "token"


def test_rfc5802_scram_user_is_in_clear():
    report = session(GREETING + "C: AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\n")
    assert report.attempts[0].user == "user" and report.attempts[0].password is None


HASHCAT = [
    ("$cram_md5$MTI=$dXNlciBiOGYwNjk5MTE0YjA1Nzg4OTIyM2RmMDg0ZjgyMjQ2Zg==", "user", "hashcat"),
    ("$cram_md5$PG5vLXJlcGx5QGhhc2hjYXQubmV0Pg==$dXNlciA0NGVhZmQyMmZlNzY2NzBmNmIyODc5MDgxYTdmNWY3MQ==", "user",
     "hashcat"),
    ("$cram_md5$PDE3ODkzLjEzMjA2NzkxMjNAdGVzc2VyYWN0LnN1c2FtLmluPg==$YWxpY2UgNjRiMmE0M2MxZjZlZDY4MDZhOTgwOTE0ZTIzZ"
     "Tc1ZjA=", "alice", "wonderland"),
]


@pytest.mark.parametrize("line,user,password", HASHCAT)
def test_published_cracking_vectors_found_by_wordlist(line, user, password, tmp_path):
    words = tmp_path / "words.txt"
    words.write_bytes(b"123456\r\npassword\nletmein\n" + password.encode() + b"\nzzz\n")
    reports = trace_bytes(line.encode() + b"\n", "hashes")
    attempt = reports[0].attempts[0]
    assert attempt.user == user and attempt.result == "unanswered"
    crack.apply(attempt, wordlist_path=str(words))
    assert attempt.cracked == password and attempt.crack_tried == 4
    assert crack.hashcat_line(attempt) == line


def test_hashcat_example_challenge_12_is_not_rfc2195_conformant():
    attempt = trace_bytes(HASHCAT[0][0].encode(), "h")[0].attempts[0]
    assert attempt.challenge == b"12"
    assert "sasl.problem.cram.no-open-angle" in attempt.challenge_problems
