"""The same batch-mode client tests against aiosmtpd, a second, independent server run in-process on port 0:
PLAIN, LOGIN (aiosmtpd's `User Name\\0` prompt) and CRAM-MD5 over clear text, STARTTLS and implicit TLS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading

import pytest
from live_client import (
    MECHANISMS,
    MODES,
    assert_logged_in_and_sent,
    login_lines,
    message_lines,
    run_client,
    tls_flags,
    unique,
)
from loopback import make_certs

pytestmark = [pytest.mark.interop, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:   # a test dependency (pip install -e '.[test]'): under CI its absence is an error
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("aiosmtpd is not installed (pip install -e '.[test]')", allow_module_level=True)

ACCOUNTS = {"tim": "tanstaaftanstaaf", "alice": "wonderland"}
USER = "tim"


class Handler:
    """Keeps delivered envelopes; CRAM-MD5 as a handler mechanism (aiosmtpd has PLAIN and LOGIN built in)."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        return "250 2.0.0 OK: queued"

    async def auth_CRAM__MD5(self, server, args):
        challenge = f"<{os.urandom(8).hex()}@aiosmtpd.test>".encode()
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=True)   # `*` or bad base64: aiosmtpd already said 501
        user, _, digest = answer.decode("utf-8", "replace").partition(" ")
        secret = ACCOUNTS.get(user, "").encode()
        expected = hmac.new(secret, challenge, hashlib.md5).hexdigest()
        ok = user in ACCOUNTS and hmac.compare_digest(expected, digest)
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and \
        ACCOUNTS.get(auth_data.login.decode()) == auth_data.password.decode()
    return AuthResult(success=ok, handled=False)


class PortZeroController(Controller):
    """aiosmtpd's Controller on port 0: learn the real port before it connects to itself."""

    def _create_server(self):
        coro = super()._create_server()

        async def bound():
            server = await coro
            self.port = server.sockets[0].getsockname()[1]
            return server
        return bound()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    certs = make_certs(tmp_path_factory.mktemp("certs"))
    context = certs.server_context("good")
    handler = Handler()
    common = {"hostname": "127.0.0.1", "port": 0, "authenticator": authenticator, "auth_required": True,
                  "server_hostname": "aiosmtpd.test", "ready_timeout": 10}
    controllers = {
        "plain": PortZeroController(handler, auth_require_tls=False, **common),
        "starttls": PortZeroController(handler, tls_context=context, require_starttls=True, **common),
        # aiosmtpd does not know implicit TLS is TLS (aio-libs/aiosmtpd#281): AUTH must be allowed "without" it
        "tls": PortZeroController(handler, ssl_context=context, auth_require_tls=False, **common),
    }
    for controller in controllers.values():
        controller.start()
    try:
        yield {mode: c.port for mode, c in controllers.items()}, handler, str(certs.ca)
    finally:
        for controller in controllers.values():
            controller.stop()


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("mode", MODES)
def test_login_and_send(servers, mode, mechanism):
    ports, handler, ca = servers
    rcpt, token = unique(mode, mechanism)
    lines = login_lines(mode, mechanism, USER, ACCOUNTS[USER]) + message_lines(USER, rcpt, token)
    done = run_client(f"127.0.0.1:{ports[mode]}", tls_flags(mode, ca), lines)
    assert_logged_in_and_sent(done, ACCOUNTS[USER])
    assert "aiosmtpd.test" in done.stdout
    with handler.lock:
        mine = [e for e in handler.envelopes if e.rcpt_tos == [rcpt]]
    assert len(mine) == 1 and token.encode() in mine[0].original_content


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("mode", MODES)
def test_wrong_password_gets_535(servers, mode, mechanism):
    ports, _, ca = servers
    done = run_client(f"127.0.0.1:{ports[mode]}", tls_flags(mode, ca),
                      login_lines(mode, mechanism, USER, "not-the-password") + ["QUIT"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "S: 535 5.7.8 Authentication credentials invalid" in done.stdout
    assert "not-the-password" not in done.stdout


def test_the_certificate_is_rejected_without_cafile(servers):
    ports, _, _ = servers
    done = run_client(f"127.0.0.1:{ports['tls']}", ["--tls"], ["EHLO laptop.example", "QUIT"])
    errors = [line for line in done.stdout.splitlines() if line.startswith("!  ")]
    assert done.returncode == 1 and len(errors) == 1
    assert "comes from a CA this computer does not trust" in errors[0]


def test_auth_before_starttls_is_refused_by_the_server(servers):
    ports, _, ca = servers
    done = run_client(f"127.0.0.1:{ports['starttls']}", ["--cafile", ca],
                      ["EHLO laptop.example", f":auth PLAIN {USER} {ACCOUNTS[USER]}", "QUIT"])
    assert "S: 530 " in done.stdout and "S: 235" not in done.stdout


def test_login_prompt_is_decoded(servers):
    ports, _, _ = servers
    done = run_client(f"127.0.0.1:{ports['plain']}", [], login_lines("plain", "LOGIN", USER, ACCOUNTS[USER]))
    assert "S: 334 VXNlciBOYW1lAA==" in done.stdout and "S: 235" in done.stdout
    assert base64.b64encode(ACCOUNTS[USER].encode()).decode() not in done.stdout
