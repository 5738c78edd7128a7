"""What `serve` tells the classroom: its per-session events (tutor.transport.asyncio_server calls these) turned
into Classroom events, with the time of each."""

from __future__ import annotations

import time
from collections.abc import Callable

from tutor.classroom.model import Classroom
from tutor.classroom.session import WATCHED_NOTES, SessionTracker


class Feed:
    """The `watch` of ServeConfig: session_opened / session_output / session_tls / session_closed.

    `notes`: the only server notes the classroom reads; with no log or record, serve has the simulator make just
    those and the client's lines (SimServer.summarise), not the whole annotated exchange.
    """

    notes = WATCHED_NOTES

    def __init__(self, room: Classroom, clock: Callable[[], float] = time.time) -> None:
        self.room = room
        self._clock = clock
        self._open: dict[int, SessionTracker] = {}    # serve's open sessions by number: no look-up by name per command
        self._read_steps = self.read_steps             # (one bound method for every session_steps)

    def session_opened(self, number: int, peer: str, implicit_tls: bool) -> None:
        self._open[number] = self.room.opened(str(number), peer, self._clock(), implicit_tls)

    def session_output(self, number: int, out, tls: bool) -> None:
        """One tutor.sim.output.Output: its client lines (with a bit for each that carries a credential), notes
        and bytes. (Classroom.exchange, inline: it runs for every command of every student.)"""
        tracker = self._open.get(number)
        if tracker is not None and tracker.output(out, tls, self._clock()):
            room = self.room
            room.changes = tracker.stamp = room.changes + 1

    def session_steps(self, number: int) -> tuple[list, Callable[[int], None]]:
        """Instead of session_output per command: the list serve appends (Output, tls, time.time()) to, and what
        it calls when that list grows long. The classroom reads the list when a view looks (Classroom.stamp,
        summaries, totals...) and when the session ends, not once per command: a busy class's view then costs
        serve one list append per command."""
        return self._open[number].pending, self._read_steps

    def read_steps(self, number: int) -> None:
        tracker = self._open.get(number)
        if tracker is not None:
            self.room.read(tracker)

    def session_tls(self, number: int) -> None:
        """TLS is up; the next steps say so themselves (their `tls` flag), so nothing to do here."""

    def session_closed(self, number: int) -> None:
        tracker = self._open.pop(number, None)
        if tracker is not None:
            if tracker.pending:
                self.room.read(tracker)
            self.room.closed(tracker.sid, self._clock())
