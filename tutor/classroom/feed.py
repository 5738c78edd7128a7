"""What `serve` tells the classroom: its per-session events (tutor.transport.asyncio_server calls these) turned
into Classroom events, with the time of each."""

from __future__ import annotations

import time
from collections.abc import Callable

from tutor.classroom.model import KEEP_DETAIL, Classroom
from tutor.classroom.session import WATCHED_NOTES, SessionTracker

# sessions' ends queued (with their starts) before the classroom reads them, or sooner: when a view looks, which a
# busy class's views do every 0.25-0.75 s (tutor.pacing). A burst longer than the rows kept (model.MAX_SESSIONS)
# makes no row for the sessions it would drop at once.
BURST = 1024


class Feed:
    """The `watch` of ServeConfig: session_begin (or session_opened, then session_steps or session_output per
    command) / session_tls / session_closed.

    `notes`: the only server notes the classroom reads; with no log or record, serve has the simulator make just
    those and the client's lines (SimServer.summarise), not the whole annotated exchange.

    A busy class starts and ends thousands of sessions a second: the feed queues each start and end (with its
    time) and the classroom reads them in bursts, in order, when BURST sessions ended or before a view reads the
    class (Classroom.stamp, rows, totals...): the same rows and totals, the reading's code run once for many
    sessions instead of between every two of serve's socket calls. What a burst would make and drop before anyone
    could look is not made: a session with MAX_SESSIONS newer ones in the same burst gets no row
    (Classroom.passed), and one with KEEP_DETAIL newer ends keeps no exchange. (No queue while someone is told of
    each session as it ends: the one-line log.)
    """

    notes = WATCHED_NOTES

    def __init__(self, room: Classroom, clock: Callable[[], float] = time.time) -> None:
        self.room = room
        self._clock = clock
        self._open: dict[int, SessionTracker] = {}    # serve's open sessions by number: no look-up by name per command
        self._read_steps = self.read_steps             # (one bound method for every session_steps)
        # starts (number, peer, t, tls, steps, how many starts were queued before it) and ends (number, t)
        self._queue: list[tuple] = []
        self._lists: dict[int, tuple] = {}             # the starts still queued, by session number
        self._starts = 0                               # starts in the queue
        self._complete: dict[int, tuple | None] = {}   # the sessions whose end is queued: their start if queued too
        room.before_reading(self.flush)

    def session_opened(self, number: int, peer: str, implicit_tls: bool) -> None:
        self.session_begin(number, peer, implicit_tls)

    def session_begin(self, number: int, peer: str, implicit_tls: bool = False) -> tuple[list, Callable[[int], None]]:
        """session_opened, then session_steps, in one call (serve's, when the view alone reads its sessions)."""
        if self.room.listening:                        # told as each session ends: no queue
            self.flush()
            tracker = self._open[number] = self.room.opened(str(number), peer, self._clock(), implicit_tls)
            return tracker.pending, self._read_steps
        steps: list = []
        start = self._lists[number] = (number, peer, self._clock(), implicit_tls, steps, self._starts)
        self._queue.append(start)
        self._starts += 1
        return steps, self._read_steps

    def session_output(self, number: int, out, tls: bool) -> None:
        """One tutor.sim.output.Output: its client lines (with a bit for each that carries a credential), notes
        and bytes. (Classroom.exchange, inline: it runs for every command of every student.)"""
        if self._queue:
            self.flush()
        tracker = self._open.get(number)
        if tracker is not None and tracker.output(out, tls, self._clock()):
            room = self.room
            room.changes = tracker.stamp = room.changes + 1

    def session_steps(self, number: int) -> tuple[list, Callable[[int], None]]:
        """Instead of session_output per command: the list serve appends each step to (an Output's client,
        secret, notes and data, then tls and time.time(): six items), and what it calls when that list grows
        long. The classroom reads the list when a view looks (Classroom.stamp, summaries, totals...) and when the
        session ends, not once per command: a busy class's view then costs serve one list append per command."""
        start = self._lists.get(number)
        return (self._open[number].pending if start is None else start[4]), self._read_steps

    def read_steps(self, number: int) -> None:
        self.flush()
        tracker = self._open.get(number)
        if tracker is not None:
            self.room.read(tracker)

    def session_tls(self, number: int) -> None:
        """TLS is up; the next steps say so themselves (their `tls` flag), so nothing to do here."""

    def session_closed(self, number: int) -> None:
        if self._queue:                                # after what is queued (its start, perhaps)
            complete = self._complete
            complete[number] = self._lists.pop(number, None)   # (None: its start was read already)
            self._queue.append((number, self._clock()))
            if len(complete) >= BURST:
                self.flush()
            return
        self._close(number, self._clock())

    def flush(self) -> None:
        """The queued starts and ends, read in order."""
        queue = self._queue
        if not queue:
            return
        room, opened, complete = self.room, self._open, self._complete
        starts = self._starts
        ends = len(queue) - starts
        self._queue, self._lists, self._starts, self._complete = [], {}, 0, {}   # (every start queued is read now)
        # A session among the first `dropped` starts that also ends in this burst has MAX_SESSIONS newer rows by
        # the burst's end, so its row would go at once (Classroom._evict): it is only counted (Classroom.passed).
        dropped = starts - room.max_sessions
        passing = ({number: start for number, start in complete.items() if start is not None and start[5] < dropped}
                   if dropped > 0 else {})
        # The exchange of a session with KEEP_DETAIL ends after its own in this burst would be forgotten at once
        # (Classroom._keep_detail), so it is not kept.
        for event in queue:
            if len(event) == 6:
                number = event[0]
                if number in passing:
                    continue
                tracker = opened[number] = room.opened(str(number), event[1], event[2], event[3])
                tracker.pending = event[4]
            else:
                number, t = event
                ends -= 1
                start = passing.get(number)
                if start is not None:
                    room.passed(start[1], start[2], start[3], start[4], t, ends >= KEEP_DETAIL)
                else:
                    self._close(number, t, ends < KEEP_DETAIL)

    def _close(self, number: int, t: float, keep_steps: bool = True) -> None:
        tracker = self._open.pop(number, None)
        if tracker is not None:
            if not keep_steps:
                tracker.forget_steps()
            if tracker.pending:
                self.room.read(tracker)
            self.room.closed(tracker.sid, t)
