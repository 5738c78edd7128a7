"""What `serve` tells the classroom: its per-session events (tutor.transport.asyncio_server calls these) turned
into Classroom events, with the time of each."""

from __future__ import annotations

import time
from collections.abc import Callable
from operator import itemgetter

from tutor.classroom.model import KEEP_DETAIL, Classroom
from tutor.classroom.session import WATCHED_NOTES, SessionTracker

# sessions' starts queued before the classroom reads them, or sooner: when a view looks, which a busy class's views
# do every 0.25-0.75 s (tutor.pacing). A burst longer than the rows kept (model.MAX_SESSIONS) makes no row for the
# sessions it would drop at once.
BURST = 1024
# What serve appends to a session's list when the session ends (session_begin hands it over), then the time it
# ended: the feed reads the end from the list, so serve makes no call when a session ends. (Never a step's last
# but one item, its TLS flag, nor a queued session's, its start time.)
END = "<session ended>"
_END_ORDER = itemgetter(0, 1)   # an end's time, then its session's number (flush)
HEAD = 4   # a queued session's list starts with its number, peer, start time and TLS flag; its steps follow


class Feed:
    """The `watch` of ServeConfig: session_begin (or session_opened, then session_steps or session_output per
    command) / session_tls / session_closed (or END in the session's list).

    `notes`: the only server notes the classroom reads; with no log or record, serve has the simulator make just
    those and the client's lines (SimServer.summarise), not the whole annotated exchange.

    A busy class starts and ends thousands of sessions a second: the feed queues each start (with its time and
    the list serve appends its steps to, the end last: END) and the classroom reads them in bursts, when BURST
    sessions started or before a view reads the class (Classroom.stamp, rows, totals...): the same rows and
    totals, the reading's code run once for many sessions instead of between every two of serve's socket calls,
    and nothing at all for a session's end. What a burst would make and drop before anyone could look is not
    made: a session with MAX_SESSIONS newer ones in the same burst gets no row (Classroom.passed), and one with
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
        if len(self._queue) < BURST and not self.room.listening:   # (the usual case first: it runs for each)
            steps = [number, peer, self._clock(), implicit_tls]   # (HEAD: one object for the start and the steps)
            self._queue.append(steps)
            return steps, self._read_steps, END
        self.flush()
        if self.room.listening:                        # told as each session ends: no queue
            tracker = self._open[number] = self.room.opened(str(number), peer, self._clock(), implicit_tls)
            return tracker.pending, self._read_steps, None
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
        """The queued starts, and the ends since the last reading, read: the starts in order, then the ends in the
        order they came."""
        queue, opened, room = self._queue, self._open, self.room
        closing: list[tuple[float, int, list | None]] = [
            (tracker.pending[-1], number, None) for number, tracker in opened.items() if ended(tracker.pending)]
        if not queue and not closing:
            return
        self._queue = []
        # A session among the first `dropped` starts that has also ended has MAX_SESSIONS newer rows by the
        # burst's end, so its row would go at once (Classroom._evict): it is only counted (Classroom.passed).
        dropped = len(queue) - room.max_sessions
        for index, steps in enumerate(queue):
            if steps[-2] is END:                       # it ended (ended(), inline: this runs for every session)
                if index < dropped:
                    closing.append((steps[-1], steps[0], steps))   # (counted in its turn among the ends)
                    continue
                closing.append((steps[-1], steps[0], None))
            number = steps[0]
            tracker = opened[number] = room.opened(str(number), steps[1], steps[2], steps[3])
            del steps[:HEAD]
            tracker.pending = steps
        closing.sort(key=_END_ORDER)
        # The exchange of a session with KEEP_DETAIL ends after its own would be forgotten at once
        # (Classroom._keep_detail), so it is not kept.
        keep_from = len(closing) - KEEP_DETAIL
        passing: list[tuple] = []                      # (read together, until a row's end comes)
        for index, (t, number, listed) in enumerate(closing):
            if listed is not None:
                peer, started, tls = listed[1], listed[2], listed[3]
                del listed[-2:], listed[:HEAD]
                passing.append((peer, started, tls, listed, t, index < keep_from))
                continue
            if passing:
                room.passed(passing)
                passing = []
            self._close(number, t, index >= keep_from)
        if passing:
            room.passed(passing)

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

