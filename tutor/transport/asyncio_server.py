"""The asyncio server behind `smtp-tutor serve`: one SimServer per connection, STARTTLS, implicit TLS, logging.

Each connection is an asyncio.Protocol that feeds bytes to its sans-IO SimServer and writes what comes
back; STARTTLS upgrades the same transport with loop.start_tls (reading is paused first, so nothing sent
in clear after STARTTLS can reach the TLS session: RFC 3207 §4.2).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import ssl
import time
from dataclasses import dataclass
from typing import Any, Callable

from tutor.errors import TransportError
from tutor.sim.output import Output
from tutor.sim.server import SimServer

# (tls_available) -> a fresh SimServer for one connection
SimFactory = Callable[[bool], SimServer]
Log = Callable[[str], None]
SECRET_NOTE = "(a note that shows a password: masked, use --show-secrets)"


@dataclass(frozen=True)
class ServeConfig:
    """Where and how to listen. `log` gets one line at a time; None is quiet."""

    host: str = "127.0.0.1"
    port: int = 2525
    implicit_tls_port: int | None = None
    tls: ssl.SSLContext | None = None
    max_clients: int = 100
    idle_timeout: float = 300.0          # RFC 5321 §4.5.3.2.7: a server waits at least 5 minutes
    handshake_timeout: float = 30.0
    show_secrets: bool = False
    log: Log | None = print
    record: Any = None                   # a tutor.trace.transcript.Recorder: every session as JSON Lines
    target: str = "serve"                # the recorded sessions' target name
    watch: Any = None                    # a tutor.classroom.feed.Feed: every session's events (the classroom view)


class SessionProtocol(asyncio.Protocol):
    """One client connection driving one SimServer."""

    def __init__(self, service: "SimService", implicit_tls: bool) -> None:
        self._service = service
        self._implicit = implicit_tls
        self._number = 0
        self._transport: asyncio.Transport | None = None
        self._sim: SimServer | None = None
        self._last_seen = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._closing = False
        self._upgrading = False
        self._early = bytearray()   # data decrypted before start_tls() returned (same segment as Finished)
        self._tls = implicit_tls    # for the recording: lines after this are inside TLS

    # ---- asyncio callbacks ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._transport is not None:   # the SSL transport after STARTTLS: same session
            self._transport = transport   # type: ignore[assignment]
            return
        self._transport = transport       # type: ignore[assignment]
        service = self._service
        self._number = service.opened(self)
        peer = transport.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        service.log_line(self._number, f"connected from {where}" + (" (implicit TLS)" if self._implicit else ""))
        service.record_begin(self._number, where)
        if service.config.watch is not None:
            service.config.watch.session_opened(self._number, where, self._implicit)
        self._sim = service.factory(service.config.tls is not None)
        if len(service.sessions) > service.config.max_clients:
            self._write(self._sim.busy())
            return
        if self._implicit:
            self._write(self._sim.tls_established())
        self._write(self._sim.connect())
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        if self._sim is None or self._closing:
            return
        if self._upgrading:   # only the TLS layer can deliver now: the cleartext transport is paused
            self._early += data
            return
        self._last_seen = self._service.loop.time()
        self._write(self._sim.receive(data))

    def eof_received(self) -> bool:
        if self._sim is not None and not self._closing:
            self._write(self._sim.receive(b""))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._service.closed(self)
        self._service.log_line(self._number, "connection closed")
        self._service.record_end(self._number)
        if self._service.config.watch is not None:
            self._service.config.watch.session_closed(self._number)

    # ---- helpers --------------------------------------------------------------------------------------

    def _write(self, out: Output) -> None:
        transport = self._transport
        self._service.log_output(self._number, out)
        self._service.record_output(self._number, out, self._tls)
        if self._service.config.watch is not None:
            self._service.config.watch.session_output(self._number, out, self._tls)
        if transport is None or transport.is_closing():
            return
        if out.data:
            transport.write(out.data)
        if out.start_tls:
            transport.pause_reading()   # RFC 3207 §4.2: no cleartext after STARTTLS may be read
            self._upgrading = True
            self._service.loop.create_task(self._upgrade())
        elif out.close:
            self._closing = True
            transport.close()

    async def _upgrade(self) -> None:
        service, transport = self._service, self._transport
        assert transport is not None and self._sim is not None and service.config.tls is not None
        try:
            new = await service.loop.start_tls(transport, self, service.config.tls, server_side=True,
                                               ssl_handshake_timeout=service.config.handshake_timeout)
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError) as exc:
            service.log_line(self._number, f"TLS handshake failed: {exc or type(exc).__name__}")
            transport.abort()
            return
        if new is None:   # the peer went away during the handshake
            transport.abort()
            return
        self._transport = new   # type: ignore[assignment]
        self._tls = True
        cipher = new.get_extra_info("cipher")
        service.log_line(self._number, f"TLS established: {new.get_extra_info('ssl_object').version()}, "
                                       f"{cipher[0] if cipher else '?'}")
        self._upgrading = False
        if service.config.watch is not None:
            service.config.watch.session_tls(self._number)
        self._write(self._sim.tls_established())
        if self._early:
            early, self._early = bytes(self._early), bytearray()
            self.data_received(early)

    def _arm_timer(self, delay: float | None = None) -> None:
        loop = self._service.loop
        self._last_seen = self._last_seen or loop.time()
        self._timer = loop.call_later(delay or self._service.config.idle_timeout, self._check_idle)

    def _check_idle(self) -> None:
        """Re-armed lazily: activity only records a time, the timer looks at it when it fires."""
        if self._sim is None or self._closing:
            return
        if self._upgrading:   # the handshake has its own timeout
            self._arm_timer()
            return
        idle = self._service.loop.time() - self._last_seen
        remaining = self._service.config.idle_timeout - idle
        if remaining > 0:
            self._arm_timer(remaining)
            return
        self._write(self._sim.timeout())

    def shutdown(self) -> None:
        """The service is stopping: 421 if the session is still open, then close."""
        if self._sim is not None and not self._closing:
            self._write(self._sim.shutdown())
        elif self._transport is not None:
            self._transport.close()


class SimService:
    """Listens on the plain port (and optionally an implicit-TLS port) and runs one session per client."""

    def __init__(self, factory: SimFactory, config: ServeConfig) -> None:
        self.factory = factory
        self.config = config
        self.sessions: set[SessionProtocol] = set()
        self.addresses: list[tuple[str, int, str]] = []   # (host, port, "plain" | "implicit-tls")
        self._servers: list[asyncio.base_events.Server] = []
        self._numbers = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "start() first"
        return self._loop

    async def start(self) -> list[tuple[str, int, str]]:
        """Bind the listeners; TransportError (one line) if a port cannot be used."""
        self._loop = asyncio.get_running_loop()
        cfg = self.config
        await self._listen(cfg.host, cfg.port, "plain", None)
        if cfg.implicit_tls_port is not None:
            if cfg.tls is None:
                raise TransportError("--implicit-tls-port needs a TLS certificate")
            await self._listen(cfg.host, cfg.implicit_tls_port, "implicit-tls", cfg.tls)
        return self.addresses

    async def _listen(self, host: str, port: int, kind: str, tls: ssl.SSLContext | None) -> None:
        implicit = tls is not None
        try:
            server = await self.loop.create_server(
                lambda: SessionProtocol(self, implicit), host, port, ssl=tls, reuse_address=True, backlog=1024,
                ssl_handshake_timeout=self.config.handshake_timeout if tls else None)
        except OSError as exc:
            await self.stop()
            # asyncio rewords bind errors, so name the errno; socket.gaierror's is negative and has its own words
            reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or str(exc)
            raise TransportError(f"cannot listen on {host}:{port}: {reason}") from None
        self._servers.append(server)
        for sock in server.sockets:
            bound = sock.getsockname()
            self.addresses.append((bound[0], bound[1], kind))

    async def serve_forever(self) -> None:
        """Run until cancelled (Ctrl-C), then stop cleanly."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Close the listeners, say 421 to every open session, and wait briefly for them to close."""
        for server in self._servers:
            server.close()
        for session in list(self.sessions):
            session.shutdown()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        for _ in range(50):
            if not self.sessions:
                break
            await asyncio.sleep(0.02)

    # ---- bookkeeping and logging, called by the sessions ----------------------------------------------

    def opened(self, session: SessionProtocol) -> int:
        self.sessions.add(session)
        return next(self._numbers)

    def closed(self, session: SessionProtocol) -> None:
        self.sessions.discard(session)

    def log_line(self, number: int, text: str) -> None:
        if self.config.log is not None:
            self.config.log(f"[session {number}] {_safe(text)}")

    def log_output(self, number: int, out: Output) -> None:
        """The annotated transcript: C:/S: lines and the server's notes, passwords masked unless asked."""
        log = self.config.log
        if log is None:
            return
        show = self.config.show_secrets
        for line in out.transcript:
            log(f"[session {number}] {line.direction}: {_safe(line.shown(show))}")
        for note in out.notes:
            text = SECRET_NOTE if note.secret and not show else note.text()
            log(f"[session {number}]    {_safe(text)}")


    # ---- recording (--record): one session per connection in one JSON Lines file --------------------------

    def record_begin(self, number: int, peer: str) -> None:
        if self.config.record is not None:
            self.config.record.session(f"{self.config.target} from {peer}", session=str(number))

    def record_output(self, number: int, out: Output, tls: bool) -> None:
        """The lines (bytes as the transcript escapes them, credentials marked secret) and the server's notes."""
        recorder = self.config.record
        if recorder is None:
            return
        from tutor import escapes
        from tutor.trace.transcript import Entry
        now, session = time.time(), str(number)

        def lines(direction: str) -> None:
            for line in out.transcript:
                if line.direction == direction:
                    recorder.add(Entry(direction, escapes.parse(line.text), now, tls, line.masked is not None),
                                 session)
        lines("C")                 # what the client sent, the server's reasoning about it, then its reply
        for note in out.notes:
            recorder.add(Entry("note", t=now, secret=note.secret, key=note.key, text=note.text(), source="server"),
                         session)
        lines("S")

    def record_end(self, number: int) -> None:
        if self.config.record is not None:
            self.config.record.end(str(number))


def _safe(text: str) -> str:
    """One log line whatever a client sent: control characters (terminal escapes too) shown as escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
