"""The TCP transport against tiny scripted servers on loopback: refused, closed mid-reply, reset, slow, IPv6."""

import socket
import struct
import time

import pytest
from loopback import Scripted, ipv6_loopback
from peers import WAIT

from tutor.errors import InputError, TransportError
from tutor.session import Session
from tutor.transport import tcp
from tutor.transport.base import ReadTimeout, Transport

GREETING = b"220 test.example ESMTP\r\n"


def greet_and_echo_ehlo(conn, server):
    conn.sendall(GREETING)
    server.read_line(conn)
    conn.sendall(b"250-test.example\r\n250 AUTH PLAIN\r\n")
    server.read_line(conn)   # QUIT, or nothing once the client closed
    conn.sendall(b"221 bye\r\n")


def test_a_plain_session_over_loopback():
    with Scripted(greet_and_echo_ehlo) as server:
        transport = tcp.connect("127.0.0.1", server.port, timeout=WAIT)
        assert isinstance(transport, Transport)
        assert transport.description == f"smtp://127.0.0.1:{server.port}"
        assert transport.loopback and not transport.cleartext_exposed and not transport.is_simulator
        session = Session(transport, timeout=WAIT)
        items = session.open() + session.send(b"EHLO me")
        assert [i.text for i in items if i.kind == "S"] == ["220 test.example ESMTP", "250-test.example",
                                                            "250 AUTH PLAIN"]
        assert session.client.capabilities.auth_mechanisms == ("PLAIN",)
        session.send(b"QUIT")
        assert session.closed
    assert bytes(server.received) == b"EHLO me\r\nQUIT\r\n"


def test_refused_port_is_one_line():
    with socket.socket() as bound:   # bound but not listening: the kernel answers with RST
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        with pytest.raises(TransportError) as info:
            tcp.connect("127.0.0.1", port, timeout=WAIT)
    assert str(info.value).startswith(f"connection refused by 127.0.0.1:{port}")
    assert "\n" not in str(info.value)


def test_dns_failure_is_one_line():
    with pytest.raises(TransportError) as info:
        tcp.connect("no-such-host.invalid", 25, timeout=WAIT)   # RFC 6761 §6.4: never resolves
    assert str(info.value).startswith("cannot resolve no-such-host.invalid")


@pytest.mark.parametrize("kwargs, words", [
    ({"port": 0}, "bad port"), ({"port": 70000}, "bad port"), ({"timeout": 0}, "bad timeout"),
    ({"starttls": True, "tls": True}, "choose one"), ({"cafile": "/no/such/ca.pem"}, "cannot use CA file"),
])
def test_bad_arguments_are_input_errors(kwargs, words):
    options = {"port": 25, **kwargs}
    with pytest.raises(InputError, match=words):
        tcp.connect("127.0.0.1", options.pop("port"), **options)


def test_server_closing_mid_reply_ends_the_session_cleanly():
    def handler(conn, server):
        conn.sendall(GREETING)
        server.read_line(conn)
        conn.sendall(b"250-test.example\r\n250-PIPELINING\r\n")   # ... and never the last line

    with Scripted(handler) as server:
        session = Session(tcp.connect("127.0.0.1", server.port, timeout=WAIT), timeout=WAIT)
        session.open()
        items = session.send(b"EHLO me")
        assert session.closed
        assert any(i.kind == "note" and "closed" in i.text for i in items)
        assert session.transport.receive(0) == b""
        kinds = [(e.direction, e.data) for e in session.transcript.entries if e.direction in "CS"]
        assert ("C", b"EHLO me") in kinds   # the transcript keeps what happened


def test_a_reset_is_a_transport_error_not_a_hang():
    def handler(conn, server):
        conn.sendall(GREETING)
        server.events["go"].wait(WAIT)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # close = RST

    with Scripted(handler) as server:
        transport = tcp.connect("127.0.0.1", server.port, timeout=WAIT)
        assert transport.receive(WAIT) == GREETING
        server.events["go"].set()
        server.events["done"].wait(WAIT)
        with pytest.raises(TransportError) as info:
            for _ in range(3):   # the RST may come after a first empty read on some kernels
                transport.send(b"NOOP\r\n")
                time.sleep(0.05)
                transport.receive(1.0)
        assert "closed the connection" in str(info.value)


def test_a_silent_server_gives_read_timeout_quickly():
    def handler(conn, server):
        server.events["go"].wait(WAIT)   # accept, say nothing

    with Scripted(handler) as server:
        transport = tcp.connect("127.0.0.1", server.port, timeout=WAIT)
        started = time.monotonic()
        with pytest.raises(ReadTimeout):
            transport.receive(0.2)
        with pytest.raises(ReadTimeout):
            transport.receive(0)
        assert time.monotonic() - started < 2
        session = Session(transport, timeout=0.2)
        items = session.open()
        assert [i for i in items if "No reply within 0.2 s" in i.text]
        assert not session.closed   # the REPL stays usable
        transport.close()


def test_a_slow_multiline_reply_is_collected_whole():
    def handler(conn, server):
        conn.sendall(GREETING)
        server.read_line(conn)
        conn.sendall(b"250-test.example\r\n250-PIPE")
        time.sleep(0.3)
        conn.sendall(b"LINING\r\n250 AUTH LOGIN\r\n")
        server.events["go"].wait(WAIT)

    with Scripted(handler) as server:
        session = Session(tcp.connect("127.0.0.1", server.port, timeout=WAIT), timeout=WAIT)
        session.open()
        items = session.send(b"EHLO me")
        assert [i.text for i in items if i.kind == "S"] == ["250-test.example", "250-PIPELINING", "250 AUTH LOGIN"]
        session.close()


def test_send_after_close_is_a_transport_error():
    with Scripted(greet_and_echo_ehlo) as server:
        transport = tcp.connect("127.0.0.1", server.port, timeout=WAIT)
        transport.close()
        transport.close()   # twice is harmless
        with pytest.raises(TransportError, match="closed"):
            transport.send(b"EHLO x\r\n")
        assert transport.receive(0) == b""


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
def test_ipv6_loopback():
    with Scripted(greet_and_echo_ehlo, host="::1") as server:
        transport = tcp.connect("[::1]", server.port, timeout=WAIT)
        assert transport.description == f"smtp://[::1]:{server.port}" and transport.loopback
        assert transport.peer == "::1"
        assert transport.receive(WAIT) == GREETING
        transport.close()


def test_ctrl_c_while_connecting_leaves_no_socket_open(monkeypatch):
    made = []

    class Interrupted(socket.socket):
        def connect(self, address):
            made.append(self)
            raise KeyboardInterrupt

    monkeypatch.setattr(tcp.socket, "socket", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        tcp.connect("127.0.0.1", 25, timeout=WAIT)
    assert made and all(s._closed for s in made)


def test_connect_timeout_is_bounded(monkeypatch):
    class Slow(socket.socket):
        def connect(self, address):
            raise TimeoutError("timed out")

    monkeypatch.setattr(tcp.socket, "socket", Slow)
    with pytest.raises(TransportError, match=r"no answer from 127\.0\.0\.1:25 within 0\.5 s"):
        tcp.connect("127.0.0.1", 25, timeout=0.5)


def test_a_dns_lookup_that_never_answers_is_bounded(monkeypatch):
    import socket as socket_module
    import time as time_module

    from tutor.errors import TransportError
    from tutor.transport import tcp

    monkeypatch.setattr(socket_module, "getaddrinfo", lambda *a, **k: time_module.sleep(30))
    started = time_module.monotonic()
    with pytest.raises(TransportError, match=r"no answer from DNS within 0\.3 s"):
        tcp.connect("mail.example.org", 587, timeout=0.3)
    assert time_module.monotonic() - started < 5
