"""serve with nothing reading the explanations (no log, record or view) batches pipelined commands: same replies,
same bounds."""

from __future__ import annotations

import dataclasses
import socket
import threading

from peers import WAIT, ServerThread

from tutor.transport.serve_config import WRITE_HIGH_WATER


def quiet_server(**serve_options) -> ServerThread:
    """A ServerThread whose sessions have no log (so serve_config.explained() is False and batching is on)."""
    server = ServerThread(serve_options=serve_options)
    server._config = dataclasses.replace(server._config, log=None)
    return server


def exchange(port: int, burst: bytes, end: bytes = b"Bye\r\n") -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sender = threading.Thread(target=sock.sendall, args=(burst,))
    sender.start()
    received = b""
    while not received.endswith(end):
        data = sock.recv(65536)
        assert data, f"closed early after {received[-200:]!r}"
        received += data
    sender.join(WAIT)
    sock.close()
    return received


def test_a_quiet_server_batches_and_answers_every_pipelined_command_in_order():
    with quiet_server() as server:
        assert server.call(lambda: server.service.config.log) is None
        replies = exchange(server.port, b"EHLO a\r\n" + b"NOOP\r\nRSET\r\n" * 40 + b"HELO b\r\nQUIT\r\n")
        lines = replies.split(b"\r\n")[:-1]
        assert lines[0].startswith(b"220 ")
        codes = [line[:4] for line in lines[1:] if line[3:4] == b" "]   # the last line of each reply
        assert codes == [b"250 "] * (1 + 80 + 1) + [b"221 "]            # EHLO, 80 NOOP/RSET, HELO, QUIT


def test_a_quiet_server_still_stops_at_its_write_bound_when_the_client_reads_slowly():
    with quiet_server() as server:
        commands = 40000
        replies = exchange(server.port, b"NOOP\r\n" * commands + b"QUIT\r\n")
        assert replies.count(b"250 2.0.0 Ok\r\n") == commands
        assert server.call(lambda: server.service.buffered_peak) <= WRITE_HIGH_WATER + 8192


def test_a_failed_auth_in_a_pipelined_burst_is_answered_in_its_place():
    with quiet_server(auth_failure_delay=0.2) as server:   # the delay holds the 535; what follows waits for it
        bad = b"AUTH PLAIN AHRpbQB3cm9uZw==\r\n"                # \0tim\0wrong
        replies = exchange(server.port, b"EHLO a\r\nNOOP\r\n" + bad + b"NOOP\r\nRSET\r\nQUIT\r\n")
        codes = [line[:3] for line in replies.split(b"\r\n")[:-1] if line[3:4] == b" "]
        assert codes == [b"220", b"250", b"250", b"535", b"250", b"250", b"221"]   # RFC 4954 §6: 535
