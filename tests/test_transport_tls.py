"""TLS on loopback: verification (CA file, self-signed, wrong host, expired), --insecure, STARTTLS injection."""

import socket
import ssl
import time

import pytest
from loopback import Scripted, make_certs
from peers import WAIT, wait_until

from tutor.errors import TransportError
from tutor.session import Session
from tutor.transport import tcp, tls

GREETING = b"220 test.example ESMTP\r\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


def implicit(context: ssl.SSLContext, greet: bool = True):
    """A handler: TLS from the first byte, then the greeting."""
    def handler(conn, server):
        try:
            with context.wrap_socket(conn, server_side=True) as wrapped:
                if greet:
                    wrapped.sendall(GREETING)
                    server.read_line(wrapped)
        except (ssl.SSLError, OSError):
            pass   # the client refused our certificate: that is the test
    return handler


def starttls(context: ssl.SSLContext, injected: bytes = b"", late: bytes = b""):
    """A handler: greeting, 220 to STARTTLS (+ `injected` in the same write, + `late` in another), handshake."""
    def handler(conn, server):
        conn.sendall(GREETING)
        server.read_line(conn)
        conn.sendall(b"220 2.0.0 go ahead\r\n" + injected)
        if late:
            server.events["go"].wait(WAIT)
            conn.sendall(late)
            server.events["sent"].set()
        with context.wrap_socket(conn, server_side=True) as wrapped:
            line = server.read_line(wrapped)
            wrapped.sendall(b"250-test.example\r\n250 AUTH PLAIN\r\n" if line.startswith(b"EHLO") else b"500 what\r\n")
            server.read_line(wrapped)
    return handler


def test_implicit_tls_verified_with_cafile(certs):
    with Scripted(implicit(certs.server_context("good"))) as server:
        transport = tcp.connect("127.0.0.1", server.port, tls=True, cafile=str(certs.ca), timeout=WAIT)
        info = transport.tls_info
        assert transport.description == f"smtps://127.0.0.1:{server.port}"
        assert info.verified and info.version in ("TLSv1.2", "TLSv1.3") and info.cipher
        assert info.subject == "CN=localhost" and info.issuer == "CN=Tutor Test CA, O=smtp-auth-tutor tests"
        assert info.not_after.endswith(" UTC")
        assert "certificate verified" in info.summary() and "subject CN=localhost" in info.summary()
        session = Session(transport, timeout=WAIT)
        items = session.open()
        assert session.client.tls and session.tls_info is info
        assert "TLS is up from the first byte" in items[0].text and "RFC 8314" in items[0].text
        assert all(e.tls for e in session.transcript.entries if e.direction == "S")
        transport.close()


def test_the_der_reader_agrees_with_getpeercert(certs):
    with Scripted(implicit(certs.server_context("good"))) as server:
        transport = tcp.connect("localhost", server.port, tls=True, cafile=str(certs.ca), timeout=WAIT)
        decoded = transport._sock.getpeercert()
        expected = ssl.cert_time_to_seconds(decoded["notAfter"])
        shown = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expected))
        assert transport.tls_info.not_after == shown
        assert transport.tls_info.subject == ", ".join(f"CN={v}" for ((k, v),) in decoded["subject"])
        transport.close()


@pytest.mark.parametrize("which, cafile, words", [
    ("self_signed", False,
     "is self-signed, so nothing vouches for it; if this is your lab server, trust it with --cafile"),
    ("good", False, "comes from a CA this computer does not trust"),
    ("wrong_host", True, "the certificate is not valid for the name 127.0.0.1"),
    ("expired", True, "the certificate of 127.0.0.1 has expired"),
])
def test_verification_failures_are_one_line(certs, which, cafile, words):
    with Scripted(implicit(certs.server_context(which), greet=False)) as server:
        with pytest.raises(TransportError) as info:
            tcp.connect("127.0.0.1", server.port, tls=True, cafile=str(certs.ca) if cafile else None, timeout=WAIT)
    message = str(info.value)
    assert message.startswith(f"TLS with 127.0.0.1:{server.port} failed: ") and words in message
    assert "\n" not in message and "--insecure" in message


def test_a_self_signed_certificate_can_be_trusted_with_cafile(certs):
    with Scripted(implicit(certs.server_context("self_signed"))) as server:
        transport = tcp.connect("127.0.0.1", server.port, tls=True, cafile=str(certs.self_signed[0]), timeout=WAIT)
        assert transport.tls_info.verified
        assert "issued by itself (self-signed)" in transport.tls_info.summary()
        transport.close()


def test_insecure_connects_and_says_so_but_still_shows_the_certificate(certs):
    with Scripted(implicit(certs.server_context("expired"))) as server:
        transport = tcp.connect("127.0.0.1", server.port, tls=True, insecure=True, timeout=WAIT)
        info = transport.tls_info
        assert transport.insecure and not info.verified
        assert "NOT verified" in info.summary()
        assert info.subject == "CN=localhost" and info.not_after == "2020-01-02 00:00 UTC"
        transport.close()


def test_tls_to_a_plain_port_explains_starttls():
    def handler(conn, server):
        conn.sendall(GREETING)
        server.read_line(conn)

    with Scripted(handler) as server:
        with pytest.raises(TransportError, match="did not answer in TLS; is this a STARTTLS port"):
            tcp.connect("127.0.0.1", server.port, tls=True, timeout=WAIT)


def test_a_server_that_closes_during_the_handshake():
    with Scripted(lambda conn, server: None) as server:
        with pytest.raises(TransportError, match="closed the connection during the TLS handshake"):
            tcp.connect("127.0.0.1", server.port, tls=True, timeout=WAIT)


def test_a_stalled_handshake_times_out():
    with Scripted(lambda conn, server: server.events["go"].wait(WAIT)) as server:
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"did not finish the TLS handshake within 0\.3 s"):
            tcp.connect("127.0.0.1", server.port, tls=True, timeout=0.3)
        assert time.monotonic() - started < 3


def test_starttls_upgrade_and_injection_in_the_same_segment_is_discarded(certs):
    injected = b"250-INJECTED\r\n250 AUTH NONE\r\n"
    with Scripted(starttls(certs.server_context("good"), injected)) as server:
        session = Session(tcp.connect("127.0.0.1", server.port, starttls=True, cafile=str(certs.ca),
                                      timeout=WAIT), timeout=WAIT)
        session.open()
        items = session.send(b"STARTTLS")
        texts = [i.text for i in items]
        assert any("TLS is up" in t and "RFC 3207 §4.2" in t for t in texts)
        assert any(f"{len(injected)} octets that arrived before the handshake" in t for t in texts)
        assert not any("INJECTED" in t for t in texts)
        items = session.send(b"EHLO me")
        assert [i.text for i in items if i.kind == "S"] == ["250-test.example", "250 AUTH PLAIN"]
        assert session.client.capabilities.auth_mechanisms == ("PLAIN",)
        session.close()


def _waiting(transport, most: int) -> int:
    """How many bytes (up to `most`) wait unread in the transport's socket, without reading them."""
    try:
        return len(transport._sock.recv(most, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return 0


def test_starttls_injection_still_waiting_in_the_socket_is_discarded(certs):
    late = b"250 AUTH INJECTED\r\n"
    with Scripted(starttls(certs.server_context("good"), late=late)) as server:
        transport = tcp.connect("127.0.0.1", server.port, cafile=str(certs.ca), timeout=WAIT)
        assert transport.receive(WAIT) == GREETING
        transport.send(b"STARTTLS\r\n")
        assert transport.receive(WAIT) == b"220 2.0.0 go ahead\r\n"
        server.events["go"].set()
        assert server.events["sent"].wait(WAIT)
        wait_until(lambda: _waiting(transport, len(late)) == len(late), "the late reply in our socket buffer")
        info = transport.start_tls()
        assert info.discarded == len(late) and info.verified
        transport.send(b"EHLO me\r\n")
        assert transport.receive(WAIT).startswith(b"250-test.example")
        with pytest.raises(TransportError, match="already on"):
            transport.start_tls()
        transport.close()


def test_a_failed_starttls_handshake_loses_the_connection_with_one_line(certs):
    with Scripted(starttls(certs.server_context("good"))) as server:
        session = Session(tcp.connect("127.0.0.1", server.port, timeout=WAIT), timeout=WAIT)   # no --cafile
        session.open()
        items = session.send(b"STARTTLS")
        errors = [i.text for i in items if i.kind == "error"]
        assert errors == ["The TLS handshake failed: the certificate of 127.0.0.1 comes from a CA this computer "
                          "does not trust (unable to get local issuer certificate); give that CA with --cafile "
                          "FILE, or skip the check with --insecure (lab servers only)"]
        assert session.closed


def test_ctrl_c_during_the_handshake_closes_the_socket():
    class Wrapped:
        closed = False

        def settimeout(self, t):
            pass

        def do_handshake(self):
            raise KeyboardInterrupt

        def close(self):
            self.closed = True

    wrapped = Wrapped()

    class Context:
        def wrap_socket(self, sock, **kwargs):
            return wrapped

    with pytest.raises(KeyboardInterrupt):
        tls.handshake(object(), Context(), "localhost", 1.0)
    assert wrapped.closed


def test_cert_facts_of_garbage_is_empty():
    assert tls.cert_facts(b"") == {} and tls.cert_facts(b"\x30\x82\xff\xff") == {}
