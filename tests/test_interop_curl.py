"""curl against `serve` over loopback: PLAIN (with and without initial response), LOGIN, CRAM-MD5, 535, STARTTLS."""

import subprocess

import pytest
from peers import WAIT, ServerThread, lab_tls, need

pytestmark = pytest.mark.interop
CURLE_LOGIN_DENIED = 67


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return lab_tls(tmp_path_factory.mktemp("tls"))[0]


def curl(port: int, tmp_path, *extra: str, password: str = "tanstaaftanstaaf") -> subprocess.CompletedProcess:
    message = tmp_path / "message.txt"
    message.write_bytes(b"From: tim@example.org\r\nSubject: interop curl\r\n\r\nhello from curl\r\n")
    command = [need("curl"), "--silent", "--show-error", "--verbose", "--max-time", "10",
               "--url", f"smtp://127.0.0.1:{port}", "--mail-from", "tim@example.org", "--mail-rcpt", "a@example.net",
               "--upload-file", str(message), "--user", f"tim:{password}", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=WAIT * 3, check=False)


@pytest.mark.parametrize("options", [
    ["--login-options", "AUTH=PLAIN"],
    ["--login-options", "AUTH=PLAIN", "--sasl-ir"],
    ["--login-options", "AUTH=LOGIN"],
    ["--login-options", "AUTH=LOGIN", "--sasl-ir"],
    ["--login-options", "AUTH=CRAM-MD5"],
], ids=["plain", "plain-ir", "login", "login-ir", "cram-md5"])
def test_curl_logs_in_and_sends(options, tmp_path):
    with ServerThread() as server:
        done = curl(server.port, tmp_path, *options)
    assert done.returncode == 0, done.stderr
    assert "< 235 2.7.0 Authentication successful" in done.stderr
    (message,) = server.sink.messages
    assert message.user == "tim" and message.data.endswith(b"hello from curl\r\n")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_curl_wrong_password_gets_535(mechanism, tmp_path):
    with ServerThread() as server:
        done = curl(server.port, tmp_path, "--login-options", f"AUTH={mechanism}", password="wrong")
    assert done.returncode == CURLE_LOGIN_DENIED, done.stderr
    assert "< 535 5.7.8 Authentication credentials invalid" in done.stderr


def test_curl_starttls(tls, tmp_path):
    with ServerThread("strict", tls=tls) as server:
        done = curl(server.port, tmp_path, "--ssl-reqd", "--insecure", "--login-options", "AUTH=PLAIN")
    assert done.returncode == 0, done.stderr
    assert b" with ESMTPSA " in server.sink.messages[0].received
