"""The asyncio server behind `smtp-tutor serve`: listeners, the slots sessions take, logging and recording.

Each connection is a SessionProtocol (serve_session) driving its own sans-IO SimServer. The service counts
live sessions in all and per client address, refuses what is over the limits with 421, and keeps asyncio's
own error reports (EMFILE on accept, say) to one line per kind and minute.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import ssl
import sys
import time
from collections.abc import Callable
from typing import Any

from tutor.errors import TransportError
from tutor.transport.engine import EngineFactory, ServerOutput
from tutor.transport.serve_clock import SessionClock, interval_for
from tutor.transport.serve_config import ServeConfig, explained, summary_notes
from tutor.transport.serve_session import READ_SIZE, SessionProtocol

__all__ = ["ServeConfig", "SessionProtocol", "SimService"]

# What a new session needs to know of the config (session_plan): whether anything reads the simulator's
# explanations, the note keys to summarise with (a view alone), and what gets each Output (the view's own
# session_output when nothing else reads them, else log_and_record).
# A view that reads a session's steps when it looks (tutor.classroom.feed.Feed.session_begin): for session number n
# from peer p, opened, the list serve appends each step to (an Output's client, secret, notes and data, then tls
# and time.time()), what makes the view read it now, and what says the session ended (appended, then the time,
# when it ends; None: the view is told, record_end).
ViewSteps = Callable[[int, str], tuple[list, Callable[[int], None], "str | None"]]
# (explained, the note keys a summarising simulator makes, what gets each Output, or a view's ViewSteps)
SessionPlan = tuple[bool, "frozenset[str] | None", Callable[[int, ServerOutput, bool], None], ViewSteps | None]
SimFactory = EngineFactory   # (tls_available) -> a fresh server (the caller's SimServer) for one connection
SECRET_NOTE = "(a note that shows a password: masked, use --show-secrets)"
LOOP_ERROR_INTERVAL = 60.0   # seconds between two log lines about the same kind of event-loop error


class SimService:
    """Listens on the plain port (and optionally an implicit-TLS port) and runs one session per client."""

    def __init__(self, factory: SimFactory, config: ServeConfig) -> None:
        self.factory = factory
        self.config = config
        self.sessions: set[SessionProtocol] = set()
        self.addresses: list[tuple[str, int, str]] = []   # (host, port, "plain" | "implicit-tls")
        self.buffered_peak = 0   # the most unsent reply bytes any one session has held (for tests and benches)
        self._per_ip: collections.Counter[str] = collections.Counter()
        self._servers: list[asyncio.base_events.Server] = []
        self._numbers = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_errors: dict[str, tuple[float, int]] = {}   # kind -> (last logged at, suppressed since)
        self._clock: SessionClock | None = None   # the sessions' time limits (serve_clock), made at the first one
        # What the sessions read into (a BufferedProtocol's buffer): each read is copied out before the next, and
        # one event loop runs them all, so they share it.
        self.read_buffer = memoryview(bytearray(READ_SIZE))
        self._plan_config: ServeConfig | None = None
        self._plan: SessionPlan = (False, None, self.log_and_record, None)

    @property
    def live_sessions(self) -> int:
        """Sessions that still hold a slot."""
        return len(self.sessions)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "start() first"
        return self._loop

    async def start(self) -> list[tuple[str, int, str]]:
        """Bind the listeners; TransportError (one line) if a port cannot be used."""
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(self._loop_error)
        cfg = self.config
        await self._listen(cfg.host, cfg.port, "plain", None)
        if cfg.implicit_tls_port is not None:
            if cfg.tls is None:
                raise TransportError("--implicit-tls-port needs a TLS certificate")
            await self._listen(cfg.host, cfg.implicit_tls_port, "implicit-tls", cfg.tls)
        return self.addresses

    async def _listen(self, host: str, port: int, kind: str, tls: ssl.SSLContext | None) -> None:
        # the session starts TLS itself, so a handshake holds a slot and its failure is logged
        implicit = tls is not None
        try:
            server = await self.loop.create_server(
                lambda: SessionProtocol(self, implicit), host, port, reuse_address=True, backlog=1024)
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
        if self._clock is not None:
            self._clock.stop()
        for session in list(self.sessions):
            session.shutdown()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        for _ in range(50):
            if not self.sessions:
                break
            await asyncio.sleep(0.02)
        for session in list(self.sessions):   # clients that never read their 421: drop them
            session.shutdown()

    # ---- bookkeeping and logging, called by the sessions ----------------------------------------------

    def session_plan(self) -> SessionPlan:
        """What every session of this config does with the simulator's explanations, worked out once."""
        config = self.config
        if self._plan_config is not config:
            watch = config.watch
            only_watch = watch is not None and config.log is None and config.record is None
            steps_of = getattr(watch, "session_begin", None) if only_watch else None
            self._plan = (explained(config), summary_notes(config),
                          watch.session_output if only_watch else self.log_and_record, steps_of)
            self._plan_config = config
        return self._plan

    def opened(self, session: SessionProtocol) -> int:
        """Count a new session (the clock then checks its time limits); its number."""
        self.sessions.add(session)
        self._per_ip[session.peer_ip] += 1
        if self._clock is None:
            self._clock = SessionClock(self.loop, lambda: self.sessions,
                                       interval_for(self.config.idle_timeout, self.config.session_lifetime))
        self._clock.start()
        return next(self._numbers)

    def refusal(self, session: SessionProtocol) -> str | None:
        """Why this new session must be refused (421), or None: too many in all, or from its address."""
        if len(self.sessions) > self.config.max_clients:
            return f"refused: {self.config.max_clients} clients already (--max-clients)"
        if self._per_ip[session.peer_ip] > self.config.max_per_ip:
            return f"refused: {self.config.max_per_ip} clients from {session.peer_ip} already (--max-per-ip)"
        return None

    def closed(self, session: SessionProtocol) -> None:
        if session in self.sessions:
            self.sessions.discard(session)
            self._per_ip[session.peer_ip] -= 1
            if self._per_ip[session.peer_ip] <= 0:
                del self._per_ip[session.peer_ip]

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's error reports (EMFILE on accept, say): one line per kind and minute, never a traceback."""
        exc = context.get("exception")
        kind = str(context.get("message", "event loop error"))
        now = time.monotonic()
        last, suppressed = self._loop_errors.get(kind, (-LOOP_ERROR_INTERVAL, 0))
        if now - last < LOOP_ERROR_INTERVAL:
            self._loop_errors[kind] = (last, suppressed + 1)
            return
        self._loop_errors[kind] = (now, 0)
        reason = (os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno
                  else f"{type(exc).__name__}: {exc}" if exc else "")
        more = f" ({suppressed} more like it since the last report)" if suppressed else ""
        self.warn(f"{kind}{': ' + reason if reason else ''}{more}; the next report of this kind in "
                  f"{LOOP_ERROR_INTERVAL:g} s at the earliest")

    def warn(self, text: str) -> None:
        """A line about the server itself: to the log, or to stderr when the log is quiet."""
        line = f"smtp-tutor serve: {_safe(text)}"
        if self.config.log is not None:
            self.config.log(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def log_line(self, number: int, text: str) -> None:
        if self.config.log is not None:
            self.config.log(f"[session {number}] {_safe(text)}")

    def log_output(self, number: int, out: ServerOutput) -> None:
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


    # ---- recording (--record) and the classroom view (watch): every session's events ------------------------

    def log_and_record(self, number: int, out: ServerOutput, tls: bool) -> None:
        """One Output to the log, the recording and the view (each if there is one)."""
        self.log_output(number, out)
        self.record_output(number, out, tls)

    def record_begin(self, number: int, peer: str) -> None:
        if self.config.watch is not None:
            self.config.watch.session_opened(number, peer, False)
        if self.config.record is not None:
            self.config.record.session(f"{self.config.target} from {peer}", session=str(number))

    def record_output(self, number: int, out: ServerOutput, tls: bool) -> None:
        """The lines (bytes as the transcript escapes them, credentials marked secret) and the server's notes."""
        if self.config.watch is not None:
            self.config.watch.session_output(number, out, tls)
        recorder = self.config.record
        if recorder is None:
            return
        from tutor import escapes
        from tutor.transcript import Entry
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
        if self.config.watch is not None:
            self.config.watch.session_closed(number)
        if self.config.record is not None:
            self.config.record.end(str(number))


def _safe(text: str) -> str:
    """One log line whatever a client sent: control characters (terminal escapes too) shown as escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
