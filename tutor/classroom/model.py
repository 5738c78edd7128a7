"""The whole class (sans-IO): session events in, rows, class totals and per-student records out.

`serve` calls opened / exchange / closed as its sessions go; the dashboard, the web view, the
one-line log and the end-of-class report read summaries(), totals() and students(). Listeners hear when a
session opens and ends. Every change moves `changes` on and stamps the row with it, so a view asks which rows
changed since it last looked (changed_since) instead of being told of each change.
Memory is bounded: the MAX_SESSIONS sessions that started last keep their row (and an older one while it is
still open), the last KEEP_DETAIL ended ones (and the open ones) their exchange; what older sessions taught the
totals and the report stays in small per-student counters.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from tutor.classroom import memo
from tutor.classroom.memo import ROW, ROW_FIELDS, Reading
from tutor.classroom.session import Line, SessionSummary, SessionTracker, client_lines, run_key
from tutor.explain import Note

# Rows kept (the dashboard's; the web page shows as many: tutor.transport.web.PAGE_ROWS): a live view's, not the
# class's history, which the totals, the per-student records and the report keep for every session. Measured
# (docs/PERFORMANCE.md): with 1,000 rows a busy serve's view cost ~5 % more CPU per session than with 300, the rows
# no longer fitting the CPU's cache beside the server's own; a busy class makes each row anew at every look.
MAX_SESSIONS = 200
# Ended sessions that keep their exchange (a few KB each) for the detail view; older rows keep only their cells
# (serve --record DIR keeps every exchange on disk).
KEEP_DETAIL = 100
MAX_STUDENTS = 10000
MAX_UNFOLDED = 1024        # (final state, address) pairs of ended sessions waiting to be folded into the counts
#                            (checked after each session, or each feed's batch of them: Classroom.passed)
# where a row's reading fields are among its state's (tutor.classroom.memo)
USER, LOGGED_IN, MISTAKES, CLIENT, TRIED, WORKED = (ROW_FIELDS.index(name) for name in
                                                    ("user", "logged_in", "mistakes", "client", "tried", "worked"))
Listener = Callable[[str, bool], None]     # (session id, still open): called when it opens and ends


@dataclass
class Student:
    """One account's sessions, folded: what the report says about a student ("" = no user name given)."""

    user: str
    sessions: int = 0
    successes: int = 0
    tried: list[str] = field(default_factory=list)
    worked: list[str] = field(default_factory=list)
    mistakes: Counter = field(default_factory=Counter)
    clients: list[str] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)

    def fold(self, summary: SessionSummary) -> None:
        self.fold_state(summary.state, address(summary.peer))

    def fold_state(self, state: Reading, peer: str, count: int = 1) -> None:
        """`count` sessions that ended in reading state `state`, from the address `peer`."""
        fields = state.fields[ROW:]               # the row's reading fields (as tuples: nothing copied)
        self.sessions += count
        self.successes += fields[LOGGED_IN] * count
        mistakes = self.mistakes
        for key in fields[MISTAKES]:
            mistakes[key] += count
        _add_new(self.tried, fields[TRIED])
        _add_new(self.worked, fields[WORKED])
        client = fields[CLIENT]
        if client not in self.clients:
            _add_new(self.clients, (client,))
        if peer not in self.peers:
            _add_new(self.peers, (peer,))


def address(peer: str) -> str:
    """A peer's address without its port (a student's machine)."""
    return peer.rpartition(":")[0] or peer


def _add_new(mine: list[str], theirs) -> None:
    """Append what is not there yet (at most 20: a report line, not a log)."""
    for item in theirs:
        if item not in mine and len(mine) < 20:
            mine.append(item)


@dataclass(frozen=True)
class Totals:
    sessions: int
    open: int
    students: int
    logged_in: int
    roster: int                                 # accounts in the class list (0: none given)
    mechanisms: list[tuple[str, int, int]]      # (mechanism, sessions that tried it, sessions it worked in)
    mistakes: list[tuple[str, int]]             # (mistake key, sessions), most common first


class Classroom:
    """Every session of one `serve` run."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, roster: tuple[str, ...] = ()) -> None:
        self.max_sessions = max_sessions
        self.roster = tuple(roster[:MAX_STUDENTS])    # the class's accounts (--users): the report lists absentees
        self._sessions: dict[str, SessionSummary] = {}   # rows (an ended session's tracker is let go)
        self._order: deque[str] = deque()           # the newest max_sessions rows, oldest first, for forgetting
        self._overdue: set[str] = set()             # older rows kept only while their session is open
        self._detailed: deque[str] = deque()        # ended sessions that still keep their steps, oldest first
        self._students: dict[str, Student] = {}
        self._live: dict[str, SessionTracker] = {}    # the open sessions
        self._ended = 0
        self._seen = 0                               # sessions opened so far
        self._tried: Counter = Counter()     # per mechanism, ended sessions that tried it
        self._worked: Counter = Counter()
        self._mistakes: Counter = Counter()  # per mistake, ended sessions that made it
        self._named: set[str] = set()        # students (by account) with an ended session
        self._named_in: set[str] = set()     # ...and those of them who logged in
        # ended sessions not yet folded into the counts above, by (final reading state, address): a class's
        # sessions end in a few states from a few machines, so each pair is folded once, when a view reads
        self._unfolded: Counter[tuple[Reading, str]] = Counter()
        self._listeners: list[Listener] = []
        self._passing = SessionTracker("", "", 0.0)     # (reads each session that passes without a row: passed)
        self._before_reading: list[Callable[[], None]] = []   # what queues events for the room (a feed's flush)
        self.changes = 0                             # events so far (each row is stamped with it when it changes)
        # someone is told as each session opens and ends (listen): then nothing may wait in a feed's queue
        self.listening = False

    def before_reading(self, flush: Callable[[], None]) -> None:
        """Call `flush` before the class is read (a feed that queues its events: tutor.classroom.feed)."""
        self._before_reading.append(flush)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(sid, open)` when a session opens and when it ends; returns what stops it. (What a feed
        queued before is read first: from now on nothing waits in a queue.)"""
        self._catch_up()
        self._listeners.append(listener)
        self.listening = True

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
            self.listening = bool(self._listeners)
        return stop

    # ---- events -----------------------------------------------------------------------------------------
    def opened(self, sid: str, peer: str, t: float, tls: bool = False) -> SessionTracker:
        """A new session; returns its tracker (for read(), or a feed's per-command Outputs)."""
        self._seen += 1
        tracker = SessionTracker(sid, peer, t, tls)
        self._sessions[sid] = self._live[sid] = tracker
        order = self._order
        order.append(sid)
        if len(order) > self.max_sessions:
            self._evict()
        self.changes = tracker.stamp = self.changes + 1
        if self._listeners:
            self._tell(sid, tracker)
        return tracker

    def exchange(self, sid: str, lines: tuple[Line, ...], notes: tuple[Note, ...], sent: bytes, tls: bool,
                 t: float) -> None:
        """What one call into the simulator produced: the lines received and sent (tutor.sim.output
        TranscriptLine), its notes, and the bytes it sent. (serve's feed, tutor.classroom.feed, hands its
        tracker the client's lines as received instead.)"""
        tracker = self._live.get(sid)              # only open sessions change
        if tracker is not None and tracker.ended is None:
            client, secret = client_lines(lines)
            tracker.add(client, secret, notes, sent, tls, t)
            self.changes = tracker.stamp = self.changes + 1

    def read(self, tracker: SessionTracker) -> None:
        """An open session's pending steps (serve's list, tutor.classroom.feed.Feed.session_steps), read now."""
        if tracker.read():
            self.changes = tracker.stamp = self.changes + 1

    def stamp(self) -> int:
        """The change count, every open session's pending steps read first (what a view compares)."""
        self._catch_up()
        return self.changes

    def _catch_up(self) -> None:
        for flush in self._before_reading:
            flush()
        for tracker in self._live.values():
            if tracker.pending:
                self.read(tracker)

    def closed(self, sid: str, t: float) -> None:
        tracker = self._live.pop(sid, None)
        if tracker is None:
            return
        tracker.closed(t)
        self._keep_detail(sid)
        self._count_ended(tracker.state, address(tracker.peer))
        self.changes = tracker.stamp = self.changes + 1
        if self._listeners:
            self._tell(sid, tracker)
        if self._overdue and sid in self._overdue:   # older than the rows kept: it stayed only while open
            self._overdue.discard(sid)
            del self._sessions[sid]

    def passed(self, sessions: list[tuple[str, float, bool, list, float]]) -> None:
        """Sessions that opened and ended while nobody looked, and whose rows would go (MAX_SESSIONS newer ones
        started after them) before anyone could see them: each (peer, start, implicit TLS, its steps as serve's
        list holds them (Feed.session_begin), end). Their steps are read and the sessions counted, as opened, read
        and closed would, but no row is made, and no exchange kept (the ended that keep theirs, KEEP_DETAIL, are
        sessions with rows). (A feed that reads a busy class in bursts: tutor.classroom.feed.)

        Most of a busy class's sessions: the reading state a session ends in is the one remembered for the same
        run of steps (memo.Reading.runs, then on_close), looked up at once (in one loop: it runs for each)."""
        starts, counted = memo.start, []
        for peer, started, tls, steps, ended in sessions:
            start = starts(tls)
            try:
                found = start.runs[run_key(steps, None)][0].on_close if steps else start.on_close   # type: ignore[index]
            except (KeyError, TypeError):         # not a run remembered (or a line type that cannot be a key)
                found = None
            if found is None:                     # read afresh (and remembered for the next ones)
                tracker = self._passing
                tracker.restart(peer, started, tls, steps)
                tracker.read()
                tracker.closed(ended)
                state = tracker.state
            else:
                state = found[0]
            counted.append((state, address(peer)))
        self._seen += len(sessions)
        self.changes += len(sessions)
        self._ended += len(counted)
        self._unfolded.update(counted)            # (_count_ended for them all)
        if len(self._unfolded) > MAX_UNFOLDED:
            self._settle()

    def _keep_detail(self, sid: str) -> None:
        """An ended session keeps its exchange until KEEP_DETAIL more have ended."""
        detailed = self._detailed
        detailed.append(sid)
        if len(detailed) > KEEP_DETAIL:
            old = self._sessions.get(detailed.popleft())
            if old is not None:
                old.forget_steps()

    def _count_ended(self, state: Reading, peer_address: str) -> None:
        """An ended session (its final reading state, its address), for the counts (folded when a view reads
        them: _settle)."""
        self._ended += 1
        self._unfolded[state, peer_address] += 1
        if len(self._unfolded) > MAX_UNFOLDED:
            self._settle()

    def _settle(self) -> None:
        """The ended sessions not folded yet, into the class totals and their students' records (in the order
        they first ended: the totals' order of first appearance is kept)."""
        unfolded, self._unfolded = self._unfolded, Counter()
        for (state, peer), count in unfolded.items():
            fields = state.fields[ROW:]
            for mechanism in fields[TRIED]:
                self._tried[mechanism] += count
            for mechanism in fields[WORKED]:
                self._worked[mechanism] += count
            for key in fields[MISTAKES]:
                self._mistakes[key] += count
            student = self._student(fields[USER])
            student.fold_state(state, peer, count)
            if student.user:
                self._named.add(student.user)
                if fields[LOGGED_IN]:
                    self._named_in.add(student.user)

    # ---- views ------------------------------------------------------------------------------------------
    def summary(self, sid: str) -> SessionSummary | None:
        self._catch_up()
        return self._sessions.get(sid)

    def changed_since(self, stamp: int, newest: int) -> list[SessionSummary]:
        """Among the `newest` sessions opened (the rows a page shows), those that changed after `changes` was
        `stamp`, newest first. (A view keeps the stamp it last read: nothing is collected per change.)"""
        self._catch_up()
        return [summary for summary in islice(reversed(self._sessions.values()), newest) if summary.stamp > stamp]

    def summaries(self, limit: int | None = None) -> list[SessionSummary]:
        """The sessions kept, newest first (only the first `limit` are read)."""
        self._catch_up()
        return list(islice(reversed(self._sessions.values()), limit))

    def __len__(self) -> int:
        self._catch_up()
        return len(self._sessions)

    def students(self) -> list[Student]:
        """Per account, open sessions included (as they are now); the no-name group last."""
        self._catch_up()
        self._settle()
        folded = {user: _copy(s) for user, s in self._students.items()}
        for tracker in self._open():
            summary = tracker.summary
            folded.setdefault(summary.user, Student(summary.user)).fold(summary)
        return sorted(folded.values(), key=lambda s: (s.user == "", s.user.lower()))

    def totals(self) -> Totals:
        """The class so far: the ended sessions' running counts, with the open sessions as they are now."""
        self._catch_up()
        self._settle()
        tried, worked, mistakes = Counter(self._tried), Counter(self._worked), Counter(self._mistakes)
        named, named_in = self._named, self._named_in
        open_ = 0
        for tracker in self._open():
            open_ += 1
            summary = tracker.summary
            tried.update(summary.tried)
            worked.update(summary.worked)
            mistakes.update(summary.mistakes)
            user = self._student_name(summary.user)
            if user and user not in named:
                named = named | {user}
            if user and summary.logged_in and user not in named_in:
                named_in = named_in | {user}
        return Totals(self._ended + open_, open_, len(named), len(named_in), len(self.roster),
                      [(m, n, worked[m]) for m, n in tried.most_common()], mistakes.most_common())

    def absent(self) -> list[str]:
        """The accounts of the class list that no session has used yet."""
        seen = {student.user for student in self.students()}
        return [name for name in self.roster if name not in seen]

    # ---- helpers ----------------------------------------------------------------------------------------
    def _student(self, user: str) -> Student:
        student = self._students.get(user)
        if student is None:
            if len(self._students) >= MAX_STUDENTS:
                user = ""
                student = self._students.setdefault("", Student(""))
            else:
                student = self._students[user] = Student(user)
        return student

    def _student_name(self, user: str) -> str:
        """The account a session is counted under ("" once MAX_STUDENTS other accounts were seen)."""
        return user if user in self._students or len(self._students) < MAX_STUDENTS else ""

    def _open(self):
        return (tracker for tracker in self._live.values())

    def _evict(self) -> None:
        """Forget the rows of the sessions that started before the newest max_sessions (their counts live on in
        the totals and the students); one still open keeps its row until it ends (closed)."""
        sessions, order = self._sessions, self._order
        while len(order) > self.max_sessions:
            oldest = order.popleft()
            if sessions[oldest].ended is None:
                self._overdue.add(oldest)
            else:
                del sessions[oldest]

    def _tell(self, sid: str, tracker: SessionTracker) -> None:
        """The listeners: a session opened or ended."""
        if sid not in self._sessions:
            return
        still_open = tracker.ended is None
        for listener in list(self._listeners):
            listener(sid, still_open)


def _copy(student: Student) -> Student:
    return Student(student.user, student.sessions, student.successes, list(student.tried), list(student.worked),
                   Counter(student.mistakes), list(student.clients), list(student.peers))
