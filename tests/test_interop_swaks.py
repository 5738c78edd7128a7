"""swaks against `serve` over loopback: each mechanism it supports, a wrong password, STARTTLS."""

import subprocess

import pytest
from peers import WAIT, ServerThread, lab_tls, need

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return lab_tls(tmp_path_factory.mktemp("tls"))[0]


def swaks(port: int, *extra: str, password: str = "tanstaaftanstaaf") -> subprocess.CompletedProcess:
    command = [need("swaks"), "--server", "127.0.0.1", "--port", str(port), "--from", "tim@example.org",
               "--to", "a@example.net", "--auth-user", "tim", "--auth-password", password,
               "--header", "Subject: interop swaks", "--body", "hello from swaks", "--timeout", "10", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=WAIT * 3, check=False)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_logs_in_and_sends(mechanism):
    with ServerThread() as server:
        done = swaks(server.port, "--auth", mechanism)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<-  235 2.7.0 Authentication successful" in done.stdout
    (message,) = server.sink.messages
    assert message.user == "tim" and b"hello from swaks" in message.data


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_wrong_password_gets_535(mechanism):
    with ServerThread() as server:
        done = swaks(server.port, "--auth", mechanism, password="wrong")
    assert done.returncode != 0
    assert "<** 535 5.7.8 Authentication credentials invalid" in done.stdout
    assert server.sink.messages == []


def test_swaks_starttls_on_the_strict_profile(tls):
    with ServerThread("strict", tls=tls) as server:
        done = swaks(server.port, "--auth", "PLAIN", "--tls")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<-  220 2.0.0 Ready to start TLS" in done.stdout and "TLS started" in done.stdout
    assert b" with ESMTPSA " in server.sink.messages[0].received


def test_swaks_against_the_legacy_server_sees_go_ahead():
    with ServerThread("legacy-2002") as server:
        done = swaks(server.port, "--auth", "LOGIN")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<-  235 Go Ahead" in done.stdout
