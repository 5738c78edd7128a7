"""msmtp against `serve` over loopback: each mechanism it supports, a wrong password, STARTTLS."""

import pytest
from peers import ServerThread, lab_tls, msmtp

pytestmark = pytest.mark.interop
EX_NOPERM = 77   # msmtp's exit status when authentication fails (sysexits.h)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return lab_tls(tmp_path_factory.mktemp("tls"))[0]


@pytest.mark.parametrize("auth", ["plain", "login", "cram-md5"])
def test_msmtp_logs_in_and_sends(auth, tmp_path):
    with ServerThread() as server:
        done = msmtp(server.port, tmp_path, auth)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 0, output
    assert "<-- 235 2.7.0 Authentication successful" in output
    (message,) = server.sink.messages
    assert message.user == "tim" and message.data.endswith(b"hello from msmtp\r\n")


@pytest.mark.parametrize("auth", ["plain", "login", "cram-md5"])
def test_msmtp_wrong_password_gets_535(auth, tmp_path):
    with ServerThread() as server:
        done = msmtp(server.port, tmp_path, auth, password="wrong")
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == EX_NOPERM, output
    assert "<-- 535 5.7.8 Authentication credentials invalid" in output


def test_msmtp_starttls(tls, tmp_path):
    with ServerThread("strict", tls=tls) as server:
        done = msmtp(server.port, tmp_path, "plain", tls_lines="tls on\ntls_starttls on\ntls_certcheck off\n")
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 0, output
    assert b" with ESMTPSA " in server.sink.messages[0].received
