"""One `serve` connection: an asyncio.Protocol that feeds a SimServer and frees its slot on every way out.

Bytes from the client wait in a queue and go to the simulator a line at a time (serve_input), only while
the client reads its replies (flow control: pause_writing/resume_writing) and no failed AUTH is waiting out
its delay. Reading stops while the client does not read, or when the queue passes QUEUE_LIMIT, so what a
session holds stays bounded. STARTTLS
upgrades the same transport with loop.start_tls; cleartext queued after STARTTLS is dropped (RFC 3207 §4.2).
Every end (close, reset, timeout, failed handshake, shutdown) goes through _finish(), which runs once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from tutor.protocol.states import State
from tutor.transport.engine import ServerEngine, ServerOutput
from tutor.transport.serve_input import COMMAND_PIECE, batch_end, next_piece
from tutor.transport.tlscert import handshake_failure

BATCHABLE = frozenset({State.INITIAL, State.READY, State.MAIL, State.RCPT})   # see serve_input.batch_end
QUEUE_LIMIT = 64 * 1024   # received bytes a blocked session queues before it stops reading (plus one read)
READ_SIZE = 64 * 1024     # at most this much is read from a client at once (the service's shared read buffer)
PUMP_TURN = 256        # pieces fed per turn of the event loop, so one pipelining client cannot starve the others
OUTBOX_LIMIT = 4096   # replies to one pipelined burst are written in batches of about this size (fewer syscalls)
VIEW_STEPS = 64       # a view's steps handed on in a list (ViewSteps) are read by it at least this often
VIEW_FIELDS = 6       # ...each as client lines, their secret bits, notes, bytes sent, TLS or not, time.time()
_VIEW_ITEMS = VIEW_FIELDS * VIEW_STEPS
_now = time.time      # (one look-up for each step a view reads)

if TYPE_CHECKING:
    from tutor.transport.asyncio_server import SimService


class SessionProtocol(asyncio.BufferedProtocol):
    """One client connection driving one SimServer.

    A BufferedProtocol: asyncio reads into the service's one read buffer (recv_into) and the session copies out
    what came, instead of asyncio allocating a 256 KiB bytes object for every read (recv), which costs more than
    answering a short command line.
    """

    def __init__(self, service: SimService, implicit_tls: bool) -> None:
        self._service = service
        self._implicit = implicit_tls
        self.number = 0
        self.peer_ip = ""
        self.buffered_peak = 0            # the most reply bytes this session ever had waiting for its client
        self._transport: asyncio.Transport | None = None
        self._sim: ServerEngine | None = None
        self._pending = bytearray()       # received, not yet fed to the simulator
        self._outbox = bytearray()        # replies not yet handed to the transport (while pumping)
        self._pumping = False
        self._next_turn: asyncio.Handle | None = None
        self._after_newline = True
        self._eof = False
        self._started = self._last_seen = 0.0
        self._expired = False             # the clock (serve_clock) ended it: it is not checked again
        self._grace: asyncio.TimerHandle | None = None
        self._held: ServerOutput | None = None  # a failed AUTH's reply, waiting out the failure delay
        self._delay: asyncio.TimerHandle | None = None
        self._write_paused = False
        self._reading_paused = False
        self._closing = False
        self._upgrading = False
        self._upgrade_task: asyncio.Task | None = None
        self._finished = False
        self._tls = implicit_tls          # for the recording: lines after this are inside TLS
        self._explained = True            # a log, a recording or a view reads the simulator's explanations
        self._output: Callable[[int, ServerOutput, bool], None] | None = None   # what gets them (session_plan)
        self._view_steps: list | None = None   # or: a view's list of steps (VIEW_FIELDS each) it reads when it looks
        self._view_read: Callable[[int], None] | None = None   # ...and what makes it read them now
        self._view_end: str | None = None   # ...and what says it ended there (then the time), or None: told

    @property
    def holding_reply(self) -> bool:
        """A failed AUTH's reply is waiting out the failure delay."""
        return self._held is not None

    @property
    def replies_backed_up(self) -> bool:
        """The client is not reading: its unsent replies passed the high-water mark (pause_writing)."""
        return self._write_paused and not self._finished

    @property
    def reading_paused(self) -> bool:
        """The session has stopped reading from its client (back-pressure, or its queue is full)."""
        return self._reading_paused and not self._finished

    # ---- asyncio callbacks ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = cast(asyncio.Transport, transport)     # a stream server's transports are asyncio.Transport
        self._transport = stream
        self._limit_writes()
        service = self._service
        self._started = self._last_seen = service.loop.time()
        peer = transport.get_extra_info("peername")
        self.peer_ip = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        self.number = service.opened(self)   # from now on the service's clock checks its time limits
        self._explained, summary, self._output, steps_of = service.session_plan()
        self._sim = service.factory(service.config.tls is not None)
        if not self._explained:
            self._sim.explaining = False
        else:
            where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
            summarise = getattr(self._sim, "summarise", None) if summary is not None else None
            if summarise is not None and steps_of is not None:
                # the view alone reads the session: it takes the summarised fields (Output.client...) from a list
                summarise(summary)
                self._view_steps, self._view_read, self._view_end = steps_of(self.number, where)
            else:
                if summarise is not None:   # (an engine that cannot summarise makes everything)
                    summarise(summary)
                if service.config.log is not None:
                    service.log_line(self.number,
                                     f"connected from {where}" + (" (implicit TLS)" if self._implicit else ""))
                service.record_begin(self.number, where)
        refusal = service.refusal(self)
        if refusal:
            service.log_line(self.number, refusal)
            if self._implicit:   # no TLS yet, so a 421 could not be read: just close
                self._close()
            else:
                self._write(self._sim.busy())
            return
        if self._implicit:   # the handshake first, counted against this session's slot; the greeting inside TLS
            self._start_tls(stream)
            return
        self._write(self._sim.connect())

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._service.read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self._service.read_buffer[:nbytes]))   # copied: the buffer is read into again

    def data_received(self, data: bytes) -> None:
        if self._sim is None or self._closing or self._finished:
            return
        self._last_seen = self._service.loop.time()
        if (not self._pending and self._next_turn is None and len(data) <= COMMAND_PIECE
                and data.endswith(b"\n") and data.find(b"\n") == len(data) - 1 and not self._blocked()
                and self._sim.state is not State.DATA):
            self._one_line(data)   # the usual case: one whole command line and nothing queued
            return
        self._pending += data
        self._kick()

    def _one_line(self, line: bytes) -> None:
        """What one turn of _pump does with a queue holding exactly this one command line, without the queue."""
        self._after_newline = True
        self._deliver(self._sim.receive(line))   # type: ignore[union-attr]
        self._set_reading(not self._write_paused)

    def eof_received(self) -> bool:
        self._eof = True
        self._kick()
        return not self._tls   # plain TCP: stay half-open until the queue is answered (TLS closes anyway)

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish()
        _let_transport_go(self._transport)

    def pause_writing(self) -> None:
        """The client is not reading: stop feeding it replies (the pump stops, reading is paused)."""
        self._write_paused = True
        self._note_buffered()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._kick()

    # ---- feeding the simulator ------------------------------------------------------------------------

    def _blocked(self) -> bool:
        return self._closing or self._upgrading or self._write_paused or self._held is not None or self._finished

    def _kick(self) -> None:
        """Pump now, unless a turn is already scheduled (then only stop reading if the queue is full)."""
        if self._next_turn is None:
            self._pump()
        else:
            self._set_reading(not self._write_paused and len(self._pending) < QUEUE_LIMIT)

    def _pump(self) -> None:
        """Feed queued bytes a piece at a time while nothing blocks, PUMP_TURN pieces per turn of the loop."""
        sim = self._sim
        self._next_turn = None
        if sim is None:
            return
        self._pumping, turn, pending = True, PUMP_TURN, self._pending
        try:
            while pending and not self._blocked() and turn:
                state = sim.state
                size = next_piece(pending, state is State.DATA, self._after_newline)
                if state in BATCHABLE and size < len(pending) and not self._explained:
                    # more plain command lines: answered in one call (only when no log, record or view reads
                    # the explanations, which then follow each command as before)
                    size = batch_end(pending, size)
                if size == len(pending):
                    piece = bytes(pending)
                    pending.clear()
                else:
                    piece = bytes(pending[:size])
                    del pending[:size]
                self._after_newline = piece.endswith(b"\n")
                self._deliver(sim.receive(piece))
                turn -= 1
        finally:
            self._pumping = False
            self._flush()
        if self._pending and not self._blocked():   # more to do: let the other sessions have a turn first
            self._next_turn = self._service.loop.call_soon(self._pump)
        elif self._eof and not self._pending and not self._blocked():
            self._eof = False
            self._deliver(sim.receive(b""))
        self._set_reading(not self._write_paused and len(self._pending) < QUEUE_LIMIT)

    def _set_reading(self, on: bool) -> None:
        """Keep reading while the queue is short, so a client that leaves is noticed even while it waits;
        stop while the client does not read its replies (the write side then notices it leaving)."""
        transport = self._transport
        if on and not self._reading_paused:   # the common case: reading, and nothing to change
            return
        if transport is None or self._upgrading or self._finished or transport.is_closing():
            return
        self._reading_paused = not on
        if on:
            transport.resume_reading()
        else:
            transport.pause_reading()

    def _deliver(self, out: ServerOutput) -> None:
        """Write `out`, unless it answers a failed AUTH: then after the failure delay, without blocking others."""
        delay = self._service.config.auth_failure_delay
        if delay > 0 and _auth_failed(out):
            self._held = out
            self._delay = self._service.loop.call_later(delay, self._release)
            return
        self._write(out)

    def _release(self) -> None:
        out, self._held, self._delay = self._held, None, None
        if out is not None and not self._finished:
            self._write(out)
            self._kick()

    def _write(self, out: ServerOutput) -> None:
        transport = self._transport
        if self._explained:   # the log and the recording, or the view (session_plan)
            steps = self._view_steps
            if steps is None:
                self._output(self.number, out, self._tls)   # type: ignore[misc]
            else:   # the view reads them when it looks or the session ends: no call per command (not the Output
                # itself: only the fields the view reads, most of them objects shared by many sessions)
                steps += (out.client, out.secret, out.notes, out.data, self._tls, _now())
                if len(steps) >= _VIEW_ITEMS:
                    self._view_read(self.number)   # type: ignore[misc]
        if transport is None or self._upgrading or self._finished or transport.is_closing():
            return
        if not self._pumping:   # one answer, written as it is (the outbox is empty outside _pump)
            if out.data:
                transport.write(out.data)
                self._note_buffered()
        else:
            self._outbox += out.data
            if len(self._outbox) >= OUTBOX_LIMIT or out.start_tls or out.close:
                self._flush()
        if out.start_tls:
            self._start_tls(transport)
        elif out.close:
            self._close()

    def _flush(self) -> None:
        """One transport.write for everything answered since the last flush."""
        transport = self._transport
        if self._outbox and transport is not None and not transport.is_closing():
            transport.write(bytes(self._outbox))
            self._note_buffered()
        self._outbox.clear()

    def _note_buffered(self) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            size = transport.get_write_buffer_size()
            if size > self.buffered_peak:
                self.buffered_peak = size
                self._service.buffered_peak = max(self._service.buffered_peak, size)

    def _limit_writes(self) -> None:
        config, transport = self._service.config, self._transport
        assert transport is not None
        if transport.get_write_buffer_limits() != (config.write_low_water, config.write_high_water):
            transport.set_write_buffer_limits(high=config.write_high_water, low=config.write_low_water)

    # ---- STARTTLS -------------------------------------------------------------------------------------

    def _start_tls(self, transport: asyncio.Transport) -> None:
        transport.pause_reading()   # RFC 3207 §4.2: no cleartext after STARTTLS may be read
        if self._pending:
            self._service.log_line(self.number, f"dropped {len(self._pending)} bytes sent in clear after STARTTLS")
            self._pending.clear()
        self._upgrading = True
        self._upgrade_task = self._service.loop.create_task(self._upgrade(transport))

    async def _upgrade(self, transport: asyncio.Transport) -> None:
        service = self._service
        assert self._sim is not None and service.config.tls is not None
        try:
            new = await service.loop.start_tls(transport, self, service.config.tls, server_side=True,
                                               ssl_handshake_timeout=service.config.handshake_timeout)
        except (TimeoutError, OSError) as exc:   # ssl.SSLError and ConnectionError are OSErrors
            self._tls_failed(transport, handshake_failure(exc))
            return
        except asyncio.CancelledError:
            self._tls_failed(transport, "cancelled (the session ran out of time or the server is stopping)")
            raise
        if new is None or self._finished:
            self._tls_failed(transport, "the client closed the connection")
            return
        self._transport = new
        self._limit_writes()
        self._tls, self._upgrading, self._reading_paused = True, False, False
        cipher = new.get_extra_info("cipher")
        service.log_line(self.number, f"TLS established: {new.get_extra_info('ssl_object').version()}, "
                                      f"{cipher[0] if cipher else '?'}")
        self._write(self._sim.tls_established())
        if self._implicit and self._sim.state is State.GREETING:
            self._write(self._sim.connect())
        self._kick()

    def _tls_failed(self, transport: asyncio.Transport, reason: str) -> None:
        """start_tls gave up: our connection_lost will never be called on this path, so finish here."""
        self._service.log_line(self.number, f"TLS handshake failed: {reason}")
        transport.abort()
        self._finish()

    # ---- time limits and closing ----------------------------------------------------------------------

    def check_time(self, now: float) -> None:
        """The service's clock (serve_clock): end the session at its maximum length, or when idle too long
        (not while closing or in a TLS handshake, which have their own time limits). Once ended, not again."""
        if self._finished or self._expired:
            return
        config = self._service.config
        if now - self._started >= config.session_lifetime:
            self._expire(f"closing: the session reached its maximum length ({config.session_lifetime:g} s)")
        elif now - self._last_seen >= config.idle_timeout and not (self._upgrading or self._closing):
            self._expire("closing: idle for too long")

    def _expire(self, reason: str) -> None:
        self._expired = True
        self._service.log_line(self.number, reason)
        if self._upgrading or self._closing or self._sim is None:
            self._abort()
            return
        self._drop_held()
        self._write(self._sim.timeout())

    def _close(self) -> None:
        """Close after the replies are sent; drop the connection if the client has not read them in time."""
        self._closing = True
        transport = self._transport
        if transport is None:
            return
        transport.close()
        if self._tls or transport.get_write_buffer_size():
            # replies still unsent (or a TLS close, which waits for the client): give it close_grace to read them.
            # A plain connection with nothing left to send is closed by asyncio at once (connection_lost follows).
            self._grace = self._service.loop.call_later(self._service.config.close_grace, self._abort)

    def _abort(self) -> None:
        if self._upgrading and self._upgrade_task is not None:
            self._upgrade_task.cancel()   # start_tls gives up; _upgrade finishes the session
        elif self._transport is not None and not self._finished:
            self._transport.abort()

    def _drop_held(self) -> None:
        if self._delay is not None:
            self._delay.cancel()
        self._held = self._delay = None

    def shutdown(self) -> None:
        """The service is stopping: 421 if the session is still open, then close."""
        if self._finished:
            return
        if self._sim is not None and not (self._closing or self._upgrading):
            self._drop_held()
            self._write(self._sim.shutdown())
        else:
            self._abort()

    def _finish(self) -> None:
        """Free everything the session holds. Runs once, whichever way the session ended."""
        if self._finished:
            return
        self._finished = True
        for handle in (self._grace, self._next_turn):
            if handle is not None:
                handle.cancel()
        self._drop_held()
        self._pending.clear()
        service = self._service
        service.closed(self)
        steps = self._view_steps
        if steps is not None:
            self._view_steps = None   # anything written later goes through _output
            end = self._view_end
            if end is not None:   # the view alone reads the session: its end goes in the list, no call
                steps += (end, _now())
                return
        service.log_line(self.number, "connection closed")
        service.record_end(self.number)


def _let_transport_go(transport: asyncio.BaseTransport | None) -> None:
    """asyncio's selector transport keeps its read callback, a bound method of itself, after its connection is
    lost (Python 3.11-3.13): a reference cycle per connection (the transport, its socket object, its dict), which only
    the garbage collector frees, and every young collection of a busy serve walks. Dropping that callback lets the
    transport go as soon as asyncio is done with it. (Its reader is already removed: nothing calls it again.)"""
    if getattr(transport, "_read_ready_cb", None) is not None:
        transport._read_ready_cb = None   # type: ignore[union-attr]


def _auth_failed(out: ServerOutput) -> bool:
    """Whether this output answers an AUTH with 535 (RFC 4954 §6: authentication credentials invalid)."""
    data = out.data
    return data.startswith(b"535") or b"\n535" in data
