"""The asyncio server behind `serve` on 127.0.0.1 port 0: sessions, STARTTLS, implicit TLS, limits, logging."""

import socket
import ssl
import time

import pytest
from peers import WAIT, ServerThread, lab_tls

TIM_PLAIN = b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
EVERY_MECHANISM = b"250 AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    context, _cert = lab_tls(tmp_path_factory.mktemp("tls"))
    return context


def client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE   # the lab certificate is self-signed
    return context


class Line:
    """A tiny blocking SMTP client over a socket; every read is bounded by WAIT."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(WAIT)
        self.buffer = b""

    @classmethod
    def connect(cls, port: int) -> "Line":
        return cls(socket.create_connection(("127.0.0.1", port), timeout=WAIT))

    def reply(self) -> list[bytes]:
        """One complete (possibly multi-line) reply."""
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                data = self.sock.recv(65536)
                if not data:
                    return lines
                self.buffer += data
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line)
            if line[3:4] != b"-":
                return lines

    def say(self, data: bytes) -> list[bytes]:
        self.sock.sendall(data + b"\r\n")
        return self.reply()

    def close(self) -> None:
        self.sock.close()


def test_a_session_over_tcp_with_transcript_and_masked_password():
    with ServerThread() as server:
        client = Line.connect(server.port)
        assert client.reply()[0].startswith(b"220 sim.smtp-tutor.test ESMTP")
        assert client.say(b"EHLO c.example")[-1] == EVERY_MECHANISM
        assert client.say(b"AUTH PLAIN " + TIM_PLAIN) == [b"235 2.7.0 Authentication successful"]
        assert client.say(b"QUIT") == [b"221 2.0.0 sim.smtp-tutor.test Bye"]
        assert client.sock.recv(10) == b""
        client.close()
    log = "\n".join(server.log)
    assert "[session 1] C: AUTH PLAIN *** (masked, use --show-secrets)" in log
    assert "[session 1] S: 235 2.7.0 Authentication successful" in log
    assert "tanstaaf" not in log and TIM_PLAIN.decode() not in log
    assert "[session 1]    " in log   # the server's notes


def test_the_log_shows_control_characters_escaped():
    with ServerThread() as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO \x1b[2Jevil\rhost")
        client.say(b"QUIT")
        client.close()
    log = "\n".join(server.log)
    assert "\x1b" not in log and "\r" not in log
    assert "C: EHLO \\x1b[2Jevil\\rhost" in log


def test_show_secrets_logs_the_password():
    with ServerThread(show_secrets=True) as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        client.say(b"AUTH PLAIN " + TIM_PLAIN)
        client.say(b"QUIT")
        client.close()
    assert f"C: AUTH PLAIN {TIM_PLAIN.decode()}" in "\n".join(server.log)


def test_starttls_upgrades_and_injected_cleartext_is_discarded(tls):
    with ServerThread(tls=tls) as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        client.sock.sendall(b"STARTTLS\r\nAUTH PLAIN " + TIM_PLAIN + b"\r\n")   # pipelined injection attempt
        assert client.reply() == [b"220 2.0.0 Ready to start TLS"]
        secure = Line(client_context().wrap_socket(client.sock))
        ehlo = secure.say(b"EHLO c")
        assert b"250-STARTTLS" not in ehlo and ehlo[-1] == EVERY_MECHANISM
        # the injected AUTH was not run: we are not logged in, so MAIL is refused
        assert secure.say(b"MAIL FROM:<tim@example.org>") == [b"530 5.7.0 Authentication required"]
        assert secure.say(b"AUTH PLAIN " + TIM_PLAIN) == [b"235 2.7.0 Authentication successful"]
        secure.say(b"QUIT")
        secure.close()
    assert any("TLS established: TLSv1." in line for line in server.log)


def test_implicit_tls_port(tls):
    with ServerThread(tls=tls, implicit=True) as server:
        raw = socket.create_connection(("127.0.0.1", server.implicit_port), timeout=WAIT)
        client = Line(client_context().wrap_socket(raw))
        assert client.reply()[0].startswith(b"220 ")
        ehlo = client.say(b"EHLO c")
        assert b"250-STARTTLS" not in ehlo and ehlo[-1] == EVERY_MECHANISM
        assert client.say(b"AUTH PLAIN " + TIM_PLAIN) == [b"235 2.7.0 Authentication successful"]
        client.close()


def test_no_certificate_means_no_starttls():
    with ServerThread(tls=None) as server:
        client = Line.connect(server.port)
        client.reply()
        assert b"250-STARTTLS" not in client.say(b"EHLO c")
        assert client.say(b"STARTTLS") == [b"454 4.7.0 TLS not available due to temporary reason"]
        client.close()


def test_a_failed_handshake_closes_only_that_session(tls):
    with ServerThread(tls=tls) as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        assert client.say(b"STARTTLS") == [b"220 2.0.0 Ready to start TLS"]
        client.sock.sendall(b"this is not a TLS ClientHello\r\n" * 4)
        try:
            leftover = client.sock.recv(100)
        except OSError:   # a reset is a fine way to end it too
            leftover = b""
        assert not leftover[:1].isdigit()   # at most a TLS alert, never an SMTP reply in clear
        client.close()
        deadline = time.monotonic() + WAIT
        while not any("TLS handshake failed" in line for line in server.log) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any("TLS handshake failed" in line for line in server.log)
        other = Line.connect(server.port)
        assert other.reply()[0].startswith(b"220 ")
        other.close()


def test_max_clients_gets_421_busy():
    with ServerThread(max_clients=1) as server:
        first = Line.connect(server.port)
        assert first.reply()[0].startswith(b"220 ")
        second = Line.connect(server.port)
        assert second.reply() == [b"421 4.3.2 sim.smtp-tutor.test Too many connections, try again later"]
        second.close()
        first.close()


def test_idle_clients_get_421_timeout():
    with ServerThread(idle_timeout=0.3) as server:
        client = Line.connect(server.port)
        client.reply()
        started = time.monotonic()
        assert client.reply() == [b"421 4.4.2 sim.smtp-tutor.test Timeout, closing connection"]
        assert time.monotonic() - started < WAIT
        client.close()


def test_stopping_the_server_says_421_to_open_sessions():
    server = ServerThread()
    with server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
    assert client.reply() == [b"421 4.3.0 sim.smtp-tutor.test Service shutting down, closing connection"]
    client.close()


def test_many_concurrent_sessions():
    with ServerThread(serve_options={"max_per_ip": 50}) as server:
        clients = [Line.connect(server.port) for _ in range(50)]
        for client in clients:
            assert client.reply()[0].startswith(b"220 ")
        for client in clients:
            assert client.say(b"EHLO c")[-1].startswith(b"250 AUTH")
            assert client.say(b"AUTH PLAIN " + TIM_PLAIN) == [b"235 2.7.0 Authentication successful"]
            client.close()


def test_a_closed_session_leaves_no_reference_cycle_behind():
    """A finished session's transport is freed by reference counting, not left for the garbage collector
    (asyncio's selector transport holds a bound method of itself until serve drops it)."""
    import gc
    import weakref

    from tutor.transport.serve_session import SessionProtocol

    made = []
    original = SessionProtocol.connection_made

    def remember(self, transport):
        made.append(weakref.ref(transport))
        original(self, transport)

    with ServerThread() as server:
        SessionProtocol.connection_made = remember
        gc.disable()
        try:
            for _ in range(3):
                client = Line.connect(server.port)
                assert client.reply()[0].startswith(b"220 ")
                assert client.say(b"QUIT")[0].startswith(b"221 ")
                assert client.sock.recv(10) == b""
                client.close()
            deadline = time.monotonic() + WAIT
            while any(ref() is not None for ref in made) and time.monotonic() < deadline:
                server.call(lambda: None)    # let the loop finish its connection_lost callbacks
                time.sleep(0.01)
            assert len(made) == 3
            assert [ref() for ref in made] == [None, None, None]
        finally:
            gc.enable()
            SessionProtocol.connection_made = original
