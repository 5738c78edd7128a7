"""Hostile clients against `serve` on 127.0.0.1 (issue 16): every way out frees the slot, back-pressure, limits.

Each test waits on a condition with a bound (WAIT), never on a fixed sleep; counts are small.
"""

import socket
import struct
import threading
import time

import pytest
from peers import WAIT, ServerThread, lab_tls
from test_serve_asyncio import TIM_PLAIN, Line, client_context

from tutor.transport.serve_config import WRITE_HIGH_WATER

BAD_PLAIN = b"AHRpbQB3cm9uZw=="   # \0tim\0wrong


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    context, _cert = lab_tls(tmp_path_factory.mktemp("tls"))
    return context


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def live(server: ServerThread) -> int:
    return server.call(lambda: server.service.live_sessions)


def wait_until_no_sessions(server: ServerThread) -> None:
    wait_for(lambda: live(server) == 0, "every session to be freed")


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER with a zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def after_starttls(port: int) -> Line:
    client = Line.connect(port)
    client.reply()
    client.say(b"EHLO c")
    assert client.say(b"STARTTLS") == [b"220 2.0.0 Ready to start TLS"]
    return client


def logged(server: ServerThread, text: str) -> bool:
    return any(text in line for line in list(server.log))


# ---- every way out of a session frees its slot --------------------------------------------------------------

def test_starttls_then_tcp_reset_frees_the_slot_and_says_why(tls):
    with ServerThread(tls=tls) as server:
        reset(after_starttls(server.port).sock)
        wait_until_no_sessions(server)
        wait_for(lambda: logged(server, "TLS handshake failed: connection reset"), "the reason in the log")


def test_starttls_then_close_frees_the_slot(tls):
    with ServerThread(tls=tls) as server:
        after_starttls(server.port).close()
        wait_until_no_sessions(server)
        assert logged(server, "TLS handshake failed: the client closed the connection")


def test_starttls_then_silence_times_out_and_frees_the_slot(tls):
    with ServerThread(tls=tls, serve_options={"handshake_timeout": 0.3}) as server:
        client = after_starttls(server.port)   # a student who typed STARTTLS in telnet and waits
        wait_until_no_sessions(server)
        assert logged(server, "TLS handshake failed: timeout")
        client.close()


def test_garbage_client_hello_frees_the_slot_and_names_the_tls_error(tls):
    with ServerThread(tls=tls) as server:
        client = after_starttls(server.port)
        client.sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        wait_until_no_sessions(server)
        (line,) = [line for line in server.log if "TLS handshake failed" in line]
        assert line.split("TLS handshake failed: ")[1].startswith("TLS error: ") and line.rstrip() != line.split(":")[0]
        client.close()


def test_a_hundred_failed_starttls_leave_the_server_open(tls):
    """The issue's scenario: after 100 such connections the server still greets, with --max-clients 5."""
    with ServerThread(tls=tls, max_clients=5, serve_options={"max_per_ip": 5}) as server:
        for number in range(100):
            client = after_starttls(server.port)
            reset(client.sock) if number % 2 else client.close()
            wait_for(lambda: live(server) < 5, "a free slot")
        wait_until_no_sessions(server)
        other = Line.connect(server.port)
        assert other.reply()[0].startswith(b"220 ")
        other.close()


def test_close_mid_auth_frees_the_slot():
    with ServerThread() as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        assert client.say(b"AUTH LOGIN") == [b"334 VXNlcm5hbWU6"]
        reset(client.sock)
        wait_until_no_sessions(server)


def test_close_mid_data_frees_the_slot_and_stores_nothing():
    with ServerThread() as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        client.say(b"AUTH PLAIN " + TIM_PLAIN)
        client.say(b"MAIL FROM:<tim@example.org>")
        client.say(b"RCPT TO:<a@example.net>")
        assert client.say(b"DATA")[0].startswith(b"354")
        client.sock.sendall(b"Subject: half\r\n\r\nnever ended\r\n")
        client.close()
        wait_until_no_sessions(server)
        assert server.sink.messages == []


@pytest.mark.parametrize("how", ["close", "reset"])
def test_close_mid_tls_frees_the_slot(tls, how):
    with ServerThread(tls=tls) as server:
        client = after_starttls(server.port)
        secure = Line(client_context().wrap_socket(client.sock))
        assert secure.say(b"EHLO c")[0].startswith(b"250")
        secure.sock.sendall(b"AUTH LOGIN\r\n")
        assert secure.reply() == [b"334 VXNlcm5hbWU6"]
        raw = socket.socket(fileno=secure.sock.detach())   # drop the TLS layer without a close_notify
        reset(raw) if how == "reset" else raw.close()
        wait_until_no_sessions(server)


def test_implicit_tls_garbage_and_silence_hold_no_slot(tls):
    with ServerThread(tls=tls, implicit=True, serve_options={"handshake_timeout": 0.3}) as server:
        junk = socket.create_connection(("127.0.0.1", server.implicit_port), timeout=WAIT)
        junk.sendall(b"EHLO not tls\r\n")
        quiet = socket.create_connection(("127.0.0.1", server.implicit_port), timeout=WAIT)
        assert junk.recv(100)[:1] != b"2"   # a TLS alert or nothing, never an SMTP reply
        assert quiet.recv(100) == b""       # dropped when the handshake times out
        junk.close()
        quiet.close()
        wait_until_no_sessions(server)
        assert logged(server, "TLS handshake failed: TLS error: ") and logged(server, "TLS handshake failed: timeout")


def test_implicit_tls_handshakes_count_against_the_limits(tls):
    with ServerThread(tls=tls, implicit=True, serve_options={"max_per_ip": 1}) as server:
        waiting = socket.create_connection(("127.0.0.1", server.implicit_port), timeout=WAIT)   # never says hello
        wait_for(lambda: live(server) == 1, "the handshake to hold a slot")
        refused = socket.create_connection(("127.0.0.1", server.implicit_port), timeout=WAIT)
        assert refused.recv(100) == b""
        refused.close()
        assert logged(server, "refused: 1 clients from 127.0.0.1 already (--max-per-ip)")
        waiting.close()
        wait_until_no_sessions(server)


def test_idle_timeout_frees_the_slot():
    with ServerThread(idle_timeout=0.3) as server:
        client = Line.connect(server.port)
        client.reply()
        assert client.reply() == [b"421 4.4.2 sim.smtp-tutor.test Timeout, closing connection"]
        wait_until_no_sessions(server)
        client.close()


def test_a_client_that_never_reads_its_421_is_dropped_after_the_grace_time():
    with ServerThread(idle_timeout=0.3, serve_options={"close_grace": 0.3}) as server:
        client = flooder(server)
        wait_until_no_sessions(server)   # the 421 could not be delivered; the connection was dropped anyway
        client.close()


def test_a_busy_slow_client_is_closed_at_the_maximum_session_length():
    """1 byte a moment keeps the idle timer happy; the session lifetime still ends it."""
    with ServerThread(serve_options={"session_lifetime": 0.5}) as server:
        client = Line.connect(server.port)
        client.reply()
        client.sock.settimeout(0.05)
        replies = b""
        deadline = time.monotonic() + WAIT
        while b"421" not in replies and time.monotonic() < deadline:
            client.sock.sendall(b"N")   # a slowloris: never a whole line
            try:
                replies += client.sock.recv(1000)
            except TimeoutError:
                pass
        assert replies == b"421 4.4.2 sim.smtp-tutor.test Timeout, closing connection\r\n"
        wait_until_no_sessions(server)
        assert logged(server, "maximum length")
        client.close()


def test_stopping_frees_sessions_in_a_handshake(tls):
    server = ServerThread(tls=tls)
    with server:
        client = after_starttls(server.port)
    assert server.service.live_sessions == 0
    client.close()


# ---- limits on slots ---------------------------------------------------------------------------------------

def test_per_address_limit_refuses_with_421_and_frees_on_close():
    with ServerThread(serve_options={"max_per_ip": 2}) as server:
        first, second = Line.connect(server.port), Line.connect(server.port)
        assert first.reply()[0].startswith(b"220 ") and second.reply()[0].startswith(b"220 ")
        third = Line.connect(server.port)
        assert third.reply() == [b"421 4.3.2 sim.smtp-tutor.test Too many connections, try again later"]
        third.close()
        assert logged(server, "refused: 2 clients from 127.0.0.1 already (--max-per-ip)")
        first.close()
        wait_for(lambda: live(server) == 1, "the first slot to be freed")
        fourth = Line.connect(server.port)
        assert fourth.reply()[0].startswith(b"220 ")
        fourth.close()
        second.close()
        wait_until_no_sessions(server)


def test_a_failed_auth_is_answered_only_after_the_delay_and_others_are_not_held_up():
    with ServerThread(serve_options={"auth_failure_delay": 60.0}) as server:
        guesser = Line.connect(server.port)
        guesser.reply()
        guesser.say(b"EHLO c")
        guesser.sock.sendall(b"AUTH PLAIN " + BAD_PLAIN + b"\r\n" + b"AUTH PLAIN " + BAD_PLAIN + b"\r\n")
        other = Line.connect(server.port)   # served while the guesser waits
        assert other.reply()[0].startswith(b"220 ")
        assert other.say(b"EHLO c")[-1].startswith(b"250 AUTH")
        assert other.say(b"AUTH PLAIN " + TIM_PLAIN) == [b"235 2.7.0 Authentication successful"]
        other.close()
        wait_for(lambda: server.call(lambda: any(s.holding_reply for s in server.service.sessions)),
                 "the guess to be answered and its reply held")
        guesser.sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            guesser.sock.recv(100)   # no 535 yet
        assert sum("C: AUTH PLAIN" in line for line in server.log) == 1   # only the other's: the guess's is held
        reset(guesser.sock)          # leaving while a reply is held frees the slot too
        wait_until_no_sessions(server)


def test_each_failed_auth_gets_its_535_after_a_short_delay():
    with ServerThread(serve_options={"auth_failure_delay": 0.05}) as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        client.sock.sendall((b"AUTH PLAIN " + BAD_PLAIN + b"\r\n") * 2 + b"NOOP\r\n")
        assert client.reply() == [b"535 5.7.8 Authentication credentials invalid"]
        assert client.reply() == [b"535 5.7.8 Authentication credentials invalid"]
        assert client.reply() == [b"250 2.0.0 Ok"]
        client.sock.sendall(b"AUTH PLAIN " + BAD_PLAIN + b"\r\n")   # the profile's third failure closes
        assert client.reply() == [b"535 5.7.8 Authentication credentials invalid"]
        assert client.reply() == [b"421 4.7.0 sim.smtp-tutor.test Too many failed authentication attempts (3), "
                                  b"closing connection; reconnect to try again"]
        wait_until_no_sessions(server)
        client.close()


# ---- back-pressure ------------------------------------------------------------------------------------------

def flooder(server: ServerThread, line: bytes = b"EHLO x\r\n") -> socket.socket:
    """Connect, then pipeline `line` until the server has stopped reading from us; never read a reply."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.settimeout(0.2)
    burst = line * 8192

    def paused() -> bool:
        return server.call(lambda: any(s.replies_backed_up and s.reading_paused for s in server.service.sessions))

    deadline = time.monotonic() + 3 * WAIT   # a bound, not a timing: a loaded 2-CPU machine needs more than WAIT
    while time.monotonic() < deadline:
        try:
            sock.send(burst)
        except TimeoutError:
            if paused():
                return sock
        except ConnectionError:   # the server gave up on us first (idle timeout, close grace)
            return sock
    raise AssertionError("the server never stopped reading from a client that does not read")


@pytest.mark.parametrize("line", [b"EHLO x\r\n", b"NOOP\r\n"])
def test_a_client_that_never_reads_is_paused_and_memory_stays_bounded(line):
    with ServerThread(serve_options={"max_per_ip": 10}) as server:
        flood = flooder(server, line)   # returns once the server has stopped reading from it
        peak = server.call(lambda: server.service.buffered_peak)
        assert WRITE_HIGH_WATER <= peak <= WRITE_HIGH_WATER + 8192   # paused at the bound, past it by one reply
        other = Line.connect(server.port)
        assert other.reply()[0].startswith(b"220 ")
        assert other.say(b"EHLO c")[-1].startswith(b"250 AUTH")
        other.close()
        assert server.call(lambda: server.service.buffered_peak) == peak
        flood.close()
        wait_until_no_sessions(server)


def test_a_paused_client_resumes_when_it_reads_and_every_command_is_answered():
    with ServerThread() as server:
        commands = 40000
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
        sender = threading.Thread(target=sock.sendall, args=(b"NOOP\r\n" * commands + b"QUIT\r\n",))
        sender.start()
        received = b""
        while not received.endswith(b"Bye\r\n"):
            data = sock.recv(65536)
            assert data, "closed early"
            received += data
        sender.join(WAIT)
        sock.close()
        assert received.count(b"250 2.0.0 Ok\r\n") == commands
        assert server.call(lambda: server.service.buffered_peak) <= WRITE_HIGH_WATER + 8192


# ---- what serve keeps, and what it reads -------------------------------------------------------------------

def test_the_summary_sink_keeps_headers_size_and_digest_not_the_body():
    import hashlib

    from tutor.sim.sink import HEADER_LIMIT, Message, SummarySink

    sink = SummarySink(limit=2)
    body = b"Subject: big\r\nFrom: tim@example.org\r\n\r\n" + b"x" * 1_000_000 + b"\r\n"
    for _ in range(3):
        sink.deliver(Message(sink.next_id(), "tim@example.org", ("a@example.net",), body, "tim"))
    assert [kept.id for kept in sink.messages] == ["M000002", "M000003"]
    kept = sink.messages[-1]
    assert kept.headers == b"Subject: big\r\nFrom: tim@example.org\r\n"
    assert kept.size == len(body) and kept.sha256 == hashlib.sha256(body).hexdigest()
    endless = b"X-Long: " + b"y" * (HEADER_LIMIT * 4)   # headers that never end are cut at the cap
    sink.deliver(Message(sink.next_id(), "", (), endless, None))
    assert len(sink.messages[-1].headers) == HEADER_LIMIT


def test_the_maildir_sink_stops_at_its_cap_with_a_temporary_error(tmp_path):
    from tutor.sim.sink import MaildirSink, Message

    sink = MaildirSink(tmp_path / "mail", max_bytes=1000)
    text = b"Subject: x\r\n\r\n" + b"y" * 400 + b"\r\n"
    sink.deliver(Message(sink.next_id(), "t@example.org", ("a@example.net",), text, "t"))
    sink.deliver(Message(sink.next_id(), "t@example.org", ("a@example.net",), text, "t"))
    with pytest.raises(OSError, match="written its 1000 bytes"):
        sink.deliver(Message(sink.next_id(), "t@example.org", ("a@example.net",), text, "t"))
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 2
    assert not hasattr(sink.messages[0], "data")   # in memory: summaries only


def test_a_full_maildir_is_a_451_and_the_session_goes_on(tmp_path):
    from tutor.sim.sink import MaildirSink

    with ServerThread() as server:
        server.sink = MaildirSink(tmp_path / "mail", max_bytes=100)   # the sessions' factory reads it per session
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        client.say(b"AUTH PLAIN " + TIM_PLAIN)
        client.say(b"MAIL FROM:<tim@example.org>")
        client.say(b"RCPT TO:<a@example.net>")
        client.say(b"DATA")
        assert client.say(b"Subject: x\r\n\r\n" + b"z" * 200 + b"\r\n.")[0].startswith(b"451")
        assert client.say(b"NOOP") == [b"250 2.0.0 Ok"]
        client.close()


def test_a_junk_line_over_12_kb_outside_auth_gets_the_line_length_500():
    with ServerThread() as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        assert client.say(b"X" * 13000) == [b"500 5.5.2 Line too long (limit 512 octets)"]
        assert client.say(b"AUTH PLAIN " + b"A" * 13000) == [b"500 5.5.6 Authentication Exchange line is too long"]
        assert client.say(b"NOOP") == [b"250 2.0.0 Ok"]
        client.close()


def test_inside_tls_a_client_that_never_reads_is_paused_too(tls):
    with ServerThread(tls=tls) as server:
        client = after_starttls(server.port)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        secure = client_context().wrap_socket(client.sock)
        secure.settimeout(0.2)
        burst = b"EHLO x\r\n" * 8192

        def backed_up() -> bool:
            return server.call(lambda: any(s.replies_backed_up and s.reading_paused for s in server.service.sessions))

        deadline = time.monotonic() + WAIT
        while not backed_up():
            assert time.monotonic() < deadline, "the server never stopped reading"
            try:
                secure.sendall(burst)
            except TimeoutError:
                pass
        assert server.call(lambda: server.service.buffered_peak) <= WRITE_HIGH_WATER + 8192
        other = Line.connect(server.port)
        assert other.reply()[0].startswith(b"220 ")
        other.close()
        reset(socket.socket(fileno=secure.detach()))
        wait_until_no_sessions(server)


def test_a_message_and_the_commands_pipelined_after_it_in_one_packet():
    with ServerThread() as server:
        client = Line.connect(server.port)
        client.reply()
        client.say(b"EHLO c")
        client.say(b"AUTH PLAIN " + TIM_PLAIN)
        client.sock.sendall(b"MAIL FROM:<tim@example.org>\r\nRCPT TO:<a@example.net>\r\nDATA\r\n"
                            b"Subject: p\r\n\r\n..dot\r\n.\r\nNOOP\r\nQUIT\r\n")
        replies = [client.reply()[0][:3] for _ in range(6)]
        assert replies == [b"250", b"250", b"354", b"250", b"250", b"221"]
        (kept,) = server.sink.messages
        assert kept.data == b"Subject: p\r\n\r\n.dot\r\n"
        client.close()


def test_the_maildir_and_its_messages_are_private(tmp_path):
    from tutor.sim.sink import MaildirSink, Message

    sink = MaildirSink(tmp_path / "mail")
    sink.deliver(Message(sink.next_id(), "t@example.org", ("a@example.net",), b"Subject: x\r\n\r\nhi\r\n", "t"))
    assert all((tmp_path / "mail" / sub).stat().st_mode & 0o777 == 0o700 for sub in ("tmp", "new", "cur"))
    (stored,) = list((tmp_path / "mail" / "new").iterdir())
    assert stored.stat().st_mode & 0o777 == 0o600
