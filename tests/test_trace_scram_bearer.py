"""The tracer on SCRAM and OAuth exchanges: RFC 5802 / 7677 / 7628 and Google's XOAUTH2 example as C:/S:
transcripts, and captures made here (gsasl and curl against `serve`, tests/data/trace). What a sniffer learns:
for SCRAM an offline attack on the salted password, slowed by PBKDF2; for bearer tokens a replayable token."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.trace import crack, crack_scram, render
from tutor.trace.findings import findings, leak
from tutor.trace.pipeline import trace_bytes

DATA = Path(__file__).parent / "data" / "trace"
ENV = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
GREETING = "S: 220 smtp.example.com ESMTP\nC: EHLO client.example.com\nS: 250-smtp.example.com\n" \
           "S: 250 AUTH SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def scram_session(mechanism, first, server_first, final, server_final, end="S: 235 2.7.0 Authentication successful"):
    return (GREETING + f"C: AUTH {mechanism} {b64(first)}\nS: 334 {b64(server_first)}\nC: {b64(final)}\n"
            f"S: 334 {b64(server_final)}\nC: \n{end}\n")


RFC5802 = scram_session("SCRAM-SHA-1", "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                        "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")
RFC7677 = scram_session("SCRAM-SHA-256", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
GOOGLE = (GREETING + "C: AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNS"
          "bGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==\n"
          "S: 334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5j"
          "b20vIn0=\n"
          "C: \nS: 535 5.7.8 Username and Password not accepted\n")
RFC7628 = (GREETING + "C: AUTH OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQz"
           "AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB\nS: 235 2.7.0 ok\n")


def one(text: str | bytes, fmt: str | None = "rfc"):
    (report,) = trace_bytes(text.encode() if isinstance(text, str) else text, "example", fmt)
    return report


def finding_keys(report):
    return [note.key.removeprefix("trace.finding.") for note in findings(report)]


@pytest.mark.parametrize("text,mechanism,hash_", [(RFC5802, "SCRAM-SHA-1", "SHA-1"),
                                                   (RFC7677, "SCRAM-SHA-256", "SHA-256")])
def test_rfc_scram_exchanges_say_what_a_sniffer_learns(text, mechanism, hash_):
    report = one(text)
    (attempt,) = report.attempts
    assert (attempt.mechanism, attempt.user, attempt.result, attempt.password) == (mechanism, "user", "success", None)
    (offline,) = [n for n in findings(report) if n.key == "trace.finding.scram-offline"]
    assert offline.params["iterations"] == 4096 and offline.params["hash"] == hash_
    assert "4096 PBKDF2" in offline.text() and "CRAM-MD5" in offline.text()
    assert "scram-mutual" in finding_keys(report)
    assert leak(attempt) == "scram-offline"
    assert not any(row.secret for row in report.rows)            # nothing in SCRAM is password-equivalent


def test_the_rows_name_salt_and_iterations():
    report = one(RFC7677)
    notes = " ".join(n.text() for row in report.rows for n in row.notes)
    assert "salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 PBKDF2 iterations" in notes
    assert "user 'user' in clear" in notes


@pytest.mark.parametrize("text", [RFC5802, RFC7677])
def test_password_confirms_a_scram_proof(text):
    report = one(text)
    attempt = report.attempts[0]
    crack.apply(attempt, "not-pencil")
    assert attempt.cracked is None and "cram-not-found" in finding_keys(report)
    crack.apply(attempt, "pencil")
    assert attempt.cracked == "pencil" and leak(attempt) == "scram-cracked"
    assert "scram-cracked" in finding_keys(report)


def test_a_scram_word_list_is_bounded_by_a_work_budget(tmp_path, monkeypatch):
    words = tmp_path / "words.txt"
    words.write_text("".join(f"guess{n}\n" for n in range(10)) + "pencil\n", encoding="utf-8")
    monkeypatch.setattr(crack_scram, "BUDGET", 4096 * 5)        # five guesses at i=4096
    report = one(RFC7677)
    crack.apply(report.attempts[0], wordlist_path=str(words))
    assert (report.attempts[0].crack_tried, report.attempts[0].crack_skipped) == (5, 6)
    assert report.attempts[0].cracked is None and "scram-bounded" in finding_keys(report)
    monkeypatch.setattr(crack_scram, "BUDGET", 4096 * 20)
    report = one(RFC7677)
    crack.apply(report.attempts[0], wordlist_path=str(words))
    assert report.attempts[0].cracked == "pencil" and report.attempts[0].crack_tried == 11


def test_low_iteration_counts_are_flagged():
    server_first = b64("r=abcdef,s=QSXCR+Q6sek8bf92,i=1024")
    text = GREETING + f"C: AUTH SCRAM-SHA-256 {b64('n,,n=tim,r=abc')}\nS: 334 {server_first}\n"
    notes = [n.key for row in one(text).rows for n in row.notes]
    assert "trace.problem.scram-low-iterations" in notes


def test_googles_xoauth2_example_gives_a_replayable_token_and_the_json_error():
    report = one(GOOGLE)
    (attempt,) = report.attempts
    assert (attempt.user, attempt.result, attempt.token) == ("someuser@example.com", "failure",
                                                            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
    notes = [n.key for row in report.rows for n in row.notes]
    assert "trace.note.oauth-error" in notes
    (token,) = [n for n in findings(report) if n.key == "trace.finding.token-clear"]
    assert token.secret and "ya29" not in render.note_text(token, reveal=False)
    assert "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg" in render.note_text(token, reveal=True)
    auth_row = next(row for row in report.rows if row.text.startswith("AUTH XOAUTH2"))
    assert auth_row.secret and render.row_text(auth_row, reveal=False).startswith("AUTH XOAUTH2 ****")


def test_rfc7628_oauthbearer_example():
    report = one(RFC7628)
    (attempt,) = report.attempts
    assert (attempt.mechanism, attempt.user, attempt.token) == (
        "OAUTHBEARER", "user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==")
    assert leak(attempt) == "token" and "token-clear" in finding_keys(report)


def test_gsasl_scram_capture_made_against_serve():
    report = one((DATA / "gsasl_scram_sha1_serve.txt").read_bytes(), None)
    (attempt,) = report.attempts
    assert (attempt.mechanism, attempt.user, attempt.result) == ("SCRAM-SHA-1", "tim", "success")
    assert {"scram-offline", "scram-mutual"} <= set(finding_keys(report))
    crack.apply(attempt, "tanstaaftanstaaf")
    assert attempt.cracked == "tanstaaftanstaaf"


@pytest.mark.parametrize("name,mechanism", [
    ("curl_oauthbearer_serve.txt", "OAUTHBEARER"),
    # curl 7.88 asked for AUTH=XOAUTH2 still sends OAUTHBEARER when the server offers both (curl issue #10259)
    ("curl_xoauth2_option_sends_oauthbearer_serve.txt", "OAUTHBEARER")])
def test_curl_bearer_captures_made_against_serve(name, mechanism):
    report = one((DATA / name).read_bytes(), None)
    (attempt,) = report.attempts
    assert (attempt.mechanism, attempt.user, attempt.result) == (mechanism, "tim", "success")
    assert attempt.token.startswith("lab-") and "token-clear" in finding_keys(report)


def test_cli_masks_the_scram_password_unless_revealed(tmp_path):
    capture = tmp_path / "rfc7677.txt"
    capture.write_text(RFC7677, encoding="utf-8")
    run = [sys.executable, "-m", "tutor", "trace", str(capture), "--summary", "--password", "pencil"]
    masked = subprocess.run(run, capture_output=True, text=True, env=ENV, timeout=60)
    shown = subprocess.run(run + ["--reveal"], capture_output=True, text=True, env=ENV, timeout=60)
    assert masked.returncode == 0 and "pencil" not in masked.stdout.replace("--password pencil", "")
    assert "SCRAM password confirmed: pencil" in shown.stdout
