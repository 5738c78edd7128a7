"""The whole class (sans-IO): session events in, rows, class totals and per-student records out.

`serve` calls opened / exchange / tls_started / closed as its sessions go; the dashboard, the web view, the
one-line log and the end-of-class report read rows(), totals() and students(). Listeners hear about every
changed session. Memory is bounded: only the most recent MAX_SESSIONS sessions keep their row and exchange;
what ended sessions taught the totals and the report stays in small per-student counters.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Iterable

from tutor.explain import Note
from tutor.classroom.session import SessionSummary, SessionTracker

MAX_SESSIONS = 1000
MAX_STUDENTS = 10000
Listener = Callable[[SessionSummary], None]
# (direction "C"/"S", text as logged, secret: the line carries a credential)
WireLine = tuple[str, str, bool]


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
        self.sessions += 1
        self.successes += summary.logged_in
        self.mistakes.update(summary.mistakes)
        for mine, theirs in ((self.tried, summary.tried), (self.worked, summary.worked),
                             (self.clients, [summary.client]), (self.peers, [summary.peer.rsplit(":", 1)[0]])):
            mine.extend(x for x in theirs if x not in mine and len(mine) < 20)


@dataclass(frozen=True)
class Totals:
    sessions: int
    open: int
    students: int
    logged_in: int
    mechanisms: list[tuple[str, int, int]]      # (mechanism, sessions that tried it, sessions it worked in)
    mistakes: list[tuple[str, int]]             # (mistake key, sessions), most common first


class Classroom:
    """Every session of one `serve` run."""

    def __init__(self, max_sessions: int = MAX_SESSIONS) -> None:
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, SessionTracker] = OrderedDict()
        self._students: dict[str, Student] = {}
        self._ended = 0
        self._tried: Counter = Counter()     # per mechanism, ended sessions that tried it
        self._worked: Counter = Counter()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(summary)` after each change; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---- events -----------------------------------------------------------------------------------------
    def opened(self, sid: str, peer: str, t: float, tls: bool = False) -> None:
        self._sessions[sid] = SessionTracker(sid, peer, t, tls)
        self._evict()
        self._changed(sid)

    def exchange(self, sid: str, lines: Iterable[WireLine], notes: Iterable[Note], tls: bool, t: float) -> None:
        """What one step of the server produced: the lines received and sent, and its notes."""
        tracker = self._sessions.get(sid)
        if tracker is None or tracker.summary.ended is not None:
            return
        lines = list(lines)
        for direction, text, secret in lines:    # as a recording orders them: client, server's reasoning, reply
            if direction == "C":
                tracker.line(direction, text, t, tls, secret)
        for note in notes:
            tracker.note(note, t)
        for direction, text, secret in lines:
            if direction != "C":
                tracker.line(direction, text, t, tls, secret)
        self._changed(sid)

    def tls_started(self, sid: str) -> None:
        tracker = self._sessions.get(sid)
        if tracker is not None:
            tracker.tls_started()
            self._changed(sid)

    def closed(self, sid: str, t: float) -> None:
        tracker = self._sessions.get(sid)
        if tracker is None or tracker.summary.ended is not None:
            return
        tracker.closed(t)
        self._ended += 1
        self._tried.update(tracker.summary.tried)
        self._worked.update(tracker.summary.worked)
        self._student(tracker.summary.user).fold(tracker.summary)
        self._changed(sid)

    # ---- views ------------------------------------------------------------------------------------------
    def summary(self, sid: str) -> SessionSummary | None:
        tracker = self._sessions.get(sid)
        return tracker.summary if tracker is not None else None

    def summaries(self) -> list[SessionSummary]:
        """The sessions kept, newest first."""
        return [t.summary for t in reversed(self._sessions.values())]

    def students(self) -> list[Student]:
        """Per account, open sessions included (as they are now); the no-name group last."""
        folded = {user: _copy(s) for user, s in self._students.items()}
        for tracker in self._sessions.values():
            if tracker.summary.open:
                user = tracker.summary.user
                folded.setdefault(user, Student(user)).fold(tracker.summary)
        return sorted(folded.values(), key=lambda s: (s.user == "", s.user.lower()))

    def totals(self) -> Totals:
        students = self.students()
        tried, worked, mistakes = Counter(self._tried), Counter(self._worked), Counter()
        for student in students:
            mistakes.update(student.mistakes)
        open_ = 0
        for tracker in self._sessions.values():
            if tracker.summary.open:
                open_ += 1
                tried.update(tracker.summary.tried)
                worked.update(tracker.summary.worked)
        named = [s for s in students if s.user]
        return Totals(self._ended + open_, open_, len(named), sum(1 for s in named if s.successes),
                      [(m, n, worked[m]) for m, n in tried.most_common()], mistakes.most_common())

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

    def _evict(self) -> None:
        """Forget the oldest ended sessions beyond the bound (their counts live on in the students)."""
        while len(self._sessions) > self.max_sessions:
            oldest = next((sid for sid, t in self._sessions.items() if not t.summary.open), None)
            if oldest is None:
                return
            del self._sessions[oldest]

    def _changed(self, sid: str) -> None:
        tracker = self._sessions.get(sid)
        if tracker is None:
            return
        for listener in list(self._listeners):
            listener(tracker.summary)


def _copy(student: Student) -> Student:
    return Student(student.user, student.sessions, student.successes, list(student.tried), list(student.worked),
                   Counter(student.mistakes), list(student.clients), list(student.peers))
