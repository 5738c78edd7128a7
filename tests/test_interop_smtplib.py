"""Python's smtplib against `serve` over loopback: PLAIN, LOGIN, CRAM-MD5, a message, 535, STARTTLS, SMTPS."""

import smtplib
import ssl

import pytest
from peers import WAIT, ServerThread, lab_tls

pytestmark = pytest.mark.interop
MESSAGE = "From: tim@example.org\r\nTo: a@example.net\r\nSubject: interop\r\n\r\nhello from smtplib\r\n"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return lab_tls(tmp_path_factory.mktemp("tls"))[0]


def insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE   # self-signed lab certificate
    return context


def login(client: smtplib.SMTP, mechanism: str, user: str, password: str):
    client.ehlo()
    client.user, client.password = user, password
    method = getattr(client, "auth_" + mechanism.lower().replace("-", "_"))
    return client.auth(mechanism, method, initial_response_ok=mechanism != "LOGIN")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_smtplib_logs_in_and_sends(mechanism):
    with ServerThread() as server, smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT) as client:
        assert login(client, mechanism, "tim", "tanstaaftanstaaf") == (235, b"2.7.0 Authentication successful")
        assert client.sendmail("tim@example.org", ["a@example.net"], MESSAGE) == {}
    (message,) = server.sink.messages
    assert message.user == "tim" and message.rcpts == ("a@example.net",)
    assert message.data.endswith(b"hello from smtplib\r\n")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_smtplib_wrong_password_gets_535(mechanism):
    with ServerThread() as server, smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            login(client, mechanism, "tim", "wrong")
    assert info.value.smtp_code == 535 and info.value.smtp_error == b"5.7.8 Authentication credentials invalid"


def test_smtplib_login_helper_picks_a_mechanism():
    with ServerThread() as server, smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT) as client:
        assert client.login("demo", "demo")[0] == 235


def test_smtplib_starttls_then_login(tls):
    with ServerThread("strict", tls=tls) as server, smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        assert client.starttls(context=insecure())[0] == 220
        client.ehlo()
        assert client.esmtp_features["auth"].split()[:3] == ["PLAIN", "LOGIN", "CRAM-MD5"]
        assert client.login("tim", "tanstaaftanstaaf")[0] == 235
        client.sendmail("tim@example.org", ["a@example.net"], MESSAGE)
    assert b" with ESMTPSA " in server.sink.messages[0].received


def test_smtplib_implicit_tls(tls):
    with ServerThread(tls=tls, implicit=True) as server:
        with smtplib.SMTP_SSL("127.0.0.1", server.implicit_port, timeout=WAIT, context=insecure()) as client:
            assert client.login("tim", "tanstaaftanstaaf")[0] == 235
