"""msmtp and gsasl (GNU SASL) log in to `smtp-tutor serve` with SCRAM-SHA-1 and SCRAM-SHA-256 (and msmtp with
XOAUTH2 / OAUTHBEARER and a lab token); both refuse the impostor profile by its v=; serve's log traced back."""

import re
import subprocess

import peers
import pytest
from peers import WAIT, ServerThread, lab_tls, need

from tutor.sasl import tokens
from tutor.trace import crack
from tutor.trace.findings import findings
from tutor.trace.pipeline import trace_bytes

pytestmark = pytest.mark.interop
MECHANISMS = ["SCRAM-SHA-1", "SCRAM-SHA-256"]
EX_NOPERM = 77      # msmtp: authentication failed (sysexits.h)


def gsasl(port: int, mechanism: str, password: str = "tanstaaftanstaaf",
          user: str = "tim") -> subprocess.CompletedProcess:
    command = [need("gsasl"), "--smtp", "--connect", f"127.0.0.1:{port}", "--no-starttls", "--mechanism", mechanism,
               "--authentication-id", user, "--password", password, "--quiet"]
    return subprocess.run(command, capture_output=True, timeout=WAIT * 3, check=False, stdin=subprocess.DEVNULL)


def msmtp(port: int, tmp_path, auth: str, **options) -> subprocess.CompletedProcess:
    return peers.msmtp(port, tmp_path, auth, subject="interop scram", body="hello", **options)


def output(done: subprocess.CompletedProcess) -> str:
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def transcript(log: list[str]) -> bytes:
    """serve's log (`[session 1] C: line`) as a C:/S: transcript; the server's notes left out."""
    wire = [m.group(1) for m in (re.match(r"\[session \d+\] ([CS]: .*)$", line) for line in log) if m]
    return ("\n".join(wire) + "\n").encode("utf-8")


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_gsasl_logs_in_with_scram(mechanism):
    with ServerThread() as server:
        done = gsasl(server.port, mechanism)
    assert done.returncode == 0, output(done)
    assert any(line.endswith("S: 235 2.7.0 Authentication successful") for line in server.log)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_gsasl_wrong_password_gets_535(mechanism):
    with ServerThread() as server:
        done = gsasl(server.port, mechanism, password="wrong")
    assert done.returncode != 0
    assert any(line.endswith("S: 535 5.7.8 Authentication credentials invalid") for line in server.log)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_gsasl_refuses_the_impostor_by_its_server_signature(mechanism):
    """An independent client checks v= (RFC 5802 §5) and refuses the server that says yes to anything."""
    with ServerThread("impostor") as server:
        done = gsasl(server.port, mechanism)
    assert done.returncode != 0, output(done)
    assert not any(line.endswith("S: 235 2.7.0 Authentication successful") for line in server.log)


@pytest.mark.parametrize("auth", ["scram-sha-1", "scram-sha-256"])
def test_msmtp_logs_in_with_scram_and_sends(auth, tmp_path):
    with ServerThread() as server:
        done = msmtp(server.port, tmp_path, auth)
    assert done.returncode == 0, output(done)
    assert f"--> AUTH {auth.upper()}" in output(done)
    assert "<-- 235 2.7.0 Authentication successful" in output(done)
    (message,) = server.sink.messages
    assert message.user == "tim" and message.data.endswith(b"hello\r\n")


@pytest.mark.parametrize("auth", ["scram-sha-1", "scram-sha-256"])
def test_msmtp_scram_wrong_password(auth, tmp_path):
    with ServerThread() as server:
        done = msmtp(server.port, tmp_path, auth, password="wrong")
    assert done.returncode == EX_NOPERM, output(done)
    assert "<-- 535 5.7.8 Authentication credentials invalid" in output(done)


def test_msmtp_refuses_the_impostor(tmp_path):
    with ServerThread("impostor") as server:
        done = msmtp(server.port, tmp_path, "scram-sha-256")
    assert done.returncode != 0 and "<-- 235" not in output(done)
    assert server.sink.messages == []


def test_msmtp_scram_over_starttls(tmp_path):
    tls = lab_tls(tmp_path / "tls")[0]
    with ServerThread("strict", tls=tls) as server:
        done = msmtp(server.port, tmp_path, "scram-sha-256", tls_lines="tls on\ntls_starttls on\ntls_certcheck off\n")
    assert done.returncode == 0, output(done)
    assert b" with ESMTPSA " in server.sink.messages[0].received


@pytest.mark.parametrize("auth", ["xoauth2", "oauthbearer"])
def test_msmtp_bearer_with_a_lab_token(auth, tmp_path):
    with ServerThread() as server:
        done = msmtp(server.port, tmp_path, auth, password=tokens.issue("tim"))
    assert done.returncode == 0, output(done)
    assert server.sink.messages[0].user == "tim"
    assert not any(tokens.issue("tim") in line for line in server.log)   # serve's log masks bearer tokens


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_serves_log_of_a_gsasl_login_traces_back(mechanism):
    with ServerThread() as server:
        assert gsasl(server.port, mechanism).returncode == 0
    (report,) = trace_bytes(transcript(server.log), "serve.log", "rfc")
    (attempt,) = report.attempts
    assert (attempt.mechanism, attempt.user, attempt.result) == (mechanism, "tim", "success")
    keys = [note.key for note in findings(report)]
    assert "trace.finding.scram-offline" in keys and "trace.finding.scram-mutual" in keys
    crack.apply(attempt, "tanstaaftanstaaf")
    assert attempt.cracked == "tanstaaftanstaaf"


def test_msmtp_xoauth2_on_the_gmail_like_profile_over_starttls(tmp_path):
    tls = lab_tls(tmp_path / "tls")[0]
    with ServerThread("oauth-tls", tls=tls) as server:
        done = msmtp(server.port, tmp_path, "xoauth2", password=tokens.issue("tim"),
                     tls_lines="tls on\ntls_starttls on\ntls_certcheck off\n")
    assert done.returncode == 0, output(done)
    assert "<-- 235 2.7.0 Accepted" in output(done)
    assert b" with ESMTPSA " in server.sink.messages[0].received
