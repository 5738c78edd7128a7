"""What `serve` tells the classroom: its per-session events (tutor.transport.asyncio_server calls these) turned
into Classroom events, with the time of each."""

from __future__ import annotations

import time
from collections.abc import Callable

from tutor.classroom.model import KEEP_DETAIL, Classroom
from tutor.classroom.session import WATCHED_NOTES, SessionTracker

# Sessions queued beyond the rows kept (model.MAX_SESSIONS) before the oldest of them are read: those that ended are
# only counted (their rows would go at once: Classroom.passed), those still open get their rows. So the queue holds
# at most MAX_SESSIONS + PASS_EVERY sessions between two looks of a view (which read it all: every 0.25-0.75 s while
# a class is busy, tutor.pacing), and a busy class's sessions are read while their data is still fresh.
PASS_EVERY = 256
# What serve appends to a session's list when the session ends (session_begin hands it over), then the time it
# ended: the feed reads the end from the list, so serve makes no call when a session ends. (Never a step's last
# but one item, its TLS flag, nor a queued session's, its start time.)
END = "<session ended>"
HEAD = 4   # a queued session's list starts with its number, peer, start time and TLS flag; its steps follow


class Feed:
    """The `watch` of ServeConfig: session_begin (or session_opened, then session_steps or session_output per
    command) / session_tls / session_closed (or END in the session's list).

    `notes`: the only server notes the classroom reads; with no log or record, serve has the simulator make just
    those and the client's lines (SimServer.summarise), not the whole annotated exchange.

    A busy class starts and ends thousands of sessions a second: the feed queues each start (with its time and
    the list serve appends its steps to, the end last: END) and the classroom reads them in bursts, before a view
    reads the class (Classroom.stamp, rows, totals...): the same rows and totals, the reading's code run once
    for many sessions instead of between every two of serve's socket calls, and nothing at all for a session's
    end. What a burst would make and drop before anyone could look is not made: a session with MAX_SESSIONS
    newer ones gets no row (Classroom.passed; read as soon as PASS_EVERY more are queued), and one with
    KEEP_DETAIL newer ends keeps no exchange. (No queue while someone is told of each session as it ends: the
    one-line log.)
    """

    notes = WATCHED_NOTES

    def __init__(self, room: Classroom, clock: Callable[[], float] = time.time) -> None:
        self.room = room
        self._clock = clock
        self._open: dict[int, SessionTracker] = {}    # serve's open sessions read so far, by number
        self._read_steps = self.read_steps             # (one bound method for every session)
        self._queue: list[list] = []                   # the lists of sessions not read yet (HEAD first), oldest first
        self._queue_limit = room.max_sessions + PASS_EVERY
        room.before_reading(self.flush)

    def session_opened(self, number: int, peer: str, implicit_tls: bool) -> None:
        self.session_begin(number, peer, implicit_tls)

    def session_begin(self, number: int, peer: str,
                      implicit_tls: bool = False) -> tuple[list, Callable[[int], None], str | None]:
        """A session opened (serve's call, when the view alone reads its sessions): the list serve appends each
        step to (an Output's client, secret, notes and data, then tls and time.time(): six items), what serve
        calls when that list grows long, and what serve appends (then the time) when the session ends: END, or
        None while someone is told of each session as it ends (serve then calls session_closed). The classroom
        reads the list when a view looks (Classroom.stamp, summaries, totals...), not once per command: a busy
        class's view then costs serve one list append per command."""
        if len(self._queue) < self._queue_limit and not self.room.listening:   # (the usual case: it runs for each)
            steps = [number, peer, self._clock(), implicit_tls]   # (HEAD: one object for the start and the steps)
            self._queue.append(steps)
            return steps, self._read_steps, END
        if self.room.listening:                        # told as each session ends: no queue
            self.flush()
            tracker = self._open[number] = self.room.opened(str(number), peer, self._clock(), implicit_tls)
            return tracker.pending, self._read_steps, None
        queue = self._queue                            # the oldest, beyond the rows kept, read now
        old = len(queue) - self.room.max_sessions
        self._queue = queue[old:]
        self._read_old(queue[:old])
        return self.session_begin(number, peer, implicit_tls)

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
        """Instead of session_output per command: the list for the session's steps (as session_begin gives it)."""
        steps = self._list(number)
        return ([] if steps is None else steps), self._read_steps

    def read_steps(self, number: int) -> None:
        self.flush()
        tracker = self._open.get(number)
        if tracker is not None:
            self.room.read(tracker)

    def session_tls(self, number: int) -> None:
        """TLS is up; the next steps say so themselves (their `tls` flag), so nothing to do here."""

    def session_closed(self, number: int) -> None:
        """The session ended: read now if it was read before and nothing is queued (always so while someone is
        told of each end), else END in its list, read with what is queued."""
        if not self._queue and number in self._open:
            self._close(number, self._clock())
            return
        steps = self._list(number)
        if steps is not None and not ended(steps):
            steps += (END, self._clock())

    def _list(self, number: int) -> list | None:
        """An open session's list: its tracker's, or its queued start's (looked for from the newest)."""
        tracker = self._open.get(number)
        if tracker is not None:
            return tracker.pending
        for steps in reversed(self._queue):
            if steps[0] == number:
                return steps
        return None

    def flush(self) -> None:
        """The queued sessions, and the ends since the last reading, read: the starts in order (the oldest beyond
        the rows kept as _read_old reads them), then the ends of those with rows in the order they came."""
        queue, room = self._queue, self.room
        closing = [(tracker.pending[-1], number) for number, tracker in self._open.items() if ended(tracker.pending)]
        if not queue and not closing:
            return
        self._queue = []
        old = len(queue) - room.max_sessions
        if old > 0:
            self._read_old(queue[:old])
            queue = queue[old:]
        for steps in queue:
            if steps[-2] is END:                       # it ended (ended(), inline: this runs for every session)
                closing.append((steps[-1], steps[0]))
            self._open_row(steps)
        closing.sort()                                 # (by time, then number)
        # The exchange of a session with KEEP_DETAIL ends after its own would be forgotten at once
        # (Classroom._keep_detail), so it is not kept.
        keep_from = len(closing) - KEEP_DETAIL
        for index, (t, number) in enumerate(closing):
            self._close(number, t, index >= keep_from)

    def _read_old(self, lists: list[list]) -> None:
        """Queued sessions with MAX_SESSIONS newer ones: a row would go at once, so one that ended is only counted
        (Classroom.passed, all together); one still open gets its row (kept while it is open: Classroom._evict)."""
        passing: list[tuple] = []
        for steps in lists:
            if steps[-2] is END:
                peer, started, tls, t = steps[1], steps[2], steps[3], steps[-1]
                del steps[-2:], steps[:HEAD]
                passing.append((peer, started, tls, steps, t))
            else:
                self._open_row(steps)
        if passing:
            self.room.passed(passing)

    def _open_row(self, steps: list) -> None:
        """A queued session's row and tracker (its list, HEAD taken off, becomes the tracker's pending steps)."""
        number = steps[0]
        tracker = self._open[number] = self.room.opened(str(number), steps[1], steps[2], steps[3])
        del steps[:HEAD]
        tracker.pending = steps

    def _close(self, number: int, t: float, keep_steps: bool = True) -> None:
        tracker = self._open.pop(number, None)
        if tracker is not None:
            pending = tracker.pending
            if ended(pending):
                del pending[-2:]
            if not keep_steps:
                tracker.forget_steps()
            if pending:
                self.room.read(tracker)
            self.room.closed(tracker.sid, t)


def ended(steps: list) -> bool:
    """Whether a session's list says it ended (END, then the time)."""
    return len(steps) >= 2 and steps[-2] is END

