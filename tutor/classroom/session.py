"""One student's session as the classroom sees it (sans-IO): the server's steps in, a summary row out.

The row holds what the teacher needs at a glance (peer, user name, client guess, mechanism, TLS, result,
mistakes). Cheap while the class runs: a step (what one call into the simulator produced) is only appended;
the summary reads the steps not read yet when someone looks at it (a view, the end of the session). `steps`
also give the exchange for the detail view and recordings, redacted by role there (tutor.classroom.detail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from tutor.explain import Note
from tutor.classroom import clients, payloads
from tutor.classroom.words import failure_mistake

MAX_STEPS = 200                # simulator steps kept per session (each is one command and its reply; the rest counted)
PASSWORD_MECHANISMS = ("PLAIN", "LOGIN")
TOKEN_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")
# server notes (tutor/data/sim.toml) that are a mistake by themselves
NOTE_MISTAKES = {
    "sim.auth.bad-base64": "bad-base64", "sim.auth.unknown-mechanism": "not-offered",
    "sim.auth.need-tls": "need-tls", "sim.auth.twice": "auth-twice", "sim.ehlo.helo": "helo",
    "sim.command.bare-lf": "bare-lf", "sim.command.unknown": "unknown-command", "sim.close.timeout": "idle-timeout",
    "sim.command.too-long": "line-too-long", "sim.auth.line-too-long": "line-too-long",
    "sim.auth.command-too-long": "line-too-long", "sim.helo.no-extensions": "helo",
    "sim.policy.encryption-required": "encryption-required", "sim.policy.too-weak": "too-weak",
    "sim.auth.too-many": "too-many-failures", "sim.auth.cancelled": "cancelled", "sim.mail.need-auth":
    "mail-before-auth",
}
WATCHED_NOTES = frozenset(NOTE_MISTAKES) | {"sim.auth.failed"}


class Line(Protocol):
    """A transcript line as the simulator logs it (tutor.sim.output.TranscriptLine): `masked` is set when the
    line carries a credential."""

    direction: str
    text: str
    masked: str | None


class Step(NamedTuple):
    """What one call into the simulator produced: the lines received and sent, and the server's notes, kept as
    tuples of strings and numbers only: the garbage collector stops looking at those (a kept Output with its
    objects made every session of a busy `serve` ~40 % dearer in collections)."""

    t: float
    tls: bool
    lines: tuple[tuple[str, str, bool], ...]            # (direction "C"/"S", text as logged, carries a credential)
    notes: tuple[tuple[str, bool, tuple], ...]          # (key, secret, params as (name, value) pairs)


def note_of(flat: tuple[str, bool, tuple]) -> Note:
    key, secret, params = flat
    return Note(key, dict(params), "server", secret)


@dataclass(slots=True)
class SessionSummary:
    """One row of the view. `result` is the last AUTH verdict code (235, 535, 504...), None before any."""

    sid: str
    peer: str
    started: float
    ended: float | None = None
    user: str = ""
    mechanism: str = ""
    tls: bool = False
    result: int | None = None
    logged_in: bool = False
    mistakes: list[str] = field(default_factory=list)
    client: str = "none"
    ehlo: str = ""
    tried: list[str] = field(default_factory=list)        # mechanisms, in order, once each
    worked: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    hidden: frozenset[int] | set[int] = frozenset()        # steps whose client lines hold a misplaced credential
    hidden_notes: frozenset[int] | set[int] = frozenset()  # steps whose server notes may repeat it
    dropped: int = 0
    forgotten: bool = False                               # the steps were let go (only recent sessions keep them)

    @property
    def open(self) -> bool:
        return self.ended is None

    def mistake(self, key: str) -> None:
        if key not in self.mistakes:
            self.mistakes.append(key)


class SessionTracker:
    """Follows one session: `add()` keeps a step, `summary` reads the steps not read yet."""

    __slots__ = ("_summary", "behaviour", "_read", "_tls", "_ehlo_since_tls", "_mechanism", "_index", "_last_code",
                 "_hide")

    def __init__(self, sid: str, peer: str, t: float, tls: bool = False) -> None:
        self._summary = SessionSummary(sid, peer, t, tls=tls)
        self.behaviour = clients.Behaviour()
        self._read = 0                # steps read into the summary so far
        self._tls = tls
        self._ehlo_since_tls = False
        self._mechanism = ""          # the AUTH exchange in progress ("" when none)
        self._index = 0               # client messages so far in it
        self._last_code = 0
        self._hide = False            # this AUTH exchange holds a misplaced credential: hide the server's notes

    # ---- input ----------------------------------------------------------------------------------------
    def add(self, lines: tuple[Line, ...], notes: tuple[Note, ...], tls: bool, t: float) -> None:
        steps = self._summary.steps
        if len(steps) < MAX_STEPS:
            steps.append(Step(t, tls, tuple([(line.direction, line.text, line.masked is not None) for line in lines]),
                              tuple([(note.key, note.secret, tuple(note.params.items())) for note in notes])))
        else:
            self._summary.dropped += 1

    def forget_steps(self) -> None:
        """Keep the row, let the exchange go (bounded memory, cheap garbage collection)."""
        summary = self.summary
        summary.steps, summary.hidden, summary.hidden_notes = [], frozenset(), frozenset()
        summary.forgotten = True
        self._read = 0

    @property
    def ended(self) -> bool:
        return self._summary.ended is not None

    def closed(self, t: float) -> None:
        summary = self.summary
        if self._mechanism and self._last_code == 334:
            summary.mistake("gave-up-after-334")
        summary.ended = t
        summary.client = clients.guess(self.behaviour)

    @property
    def summary(self) -> SessionSummary:
        """The summary with every step read (each step is read once)."""
        steps = self._summary.steps
        while self._read < len(steps):
            self._step(self._read, steps[self._read])
            self._read += 1
        return self._summary

    # ---- reading a step: client lines, the server's notes, its reply ----------------------------------------
    def _step(self, index: int, step: Step) -> None:
        """Read one step; kept lean (it runs once per command of every student): only AUTH replies and the
        notes that name a mistake are looked at closely."""
        if step.tls and not self._tls:            # RFC 3207 §4.2: the session starts over inside TLS
            self._tls, self._ehlo_since_tls = True, False
            self._summary.tls = True
        lines = step.lines
        delayed = any(direction == "S" and text.startswith("535") for direction, text, _secret in lines)
        for direction, text, secret in lines:
            if direction == "C":
                self.behaviour.client_line(step.t, delayed)
                if self._client(text, step.tls, secret):
                    self._summary.hidden = {*self._summary.hidden, index}
                    self._hide = True
        if self._hide:
            self._summary.hidden_notes = {*self._summary.hidden_notes, index}
        for note in step.notes:
            if note[0] in WATCHED_NOTES:
                self._note(*note)
        if self._mechanism:                       # replies matter only inside an AUTH exchange
            for direction, text, _secret in lines:
                if direction == "S":
                    self._server(text)

    def _note(self, key: str, secret: bool, params: tuple) -> None:
        """Some server notes are mistakes by themselves."""
        found = NOTE_MISTAKES.get(key)
        if found == "bare-lf":
            self.behaviour.bare_lf = True
        if found:
            self._summary.mistake(found)
        if key == "sim.auth.failed":
            self._failure(str(dict(params).get("reason", "")))

    # ---- client lines ---------------------------------------------------------------------------------
    def _client(self, text: str, tls: bool, secret: bool) -> bool:
        """True when the line is an AUTH payload whose shape does not fit its role."""
        if self._mechanism and self._last_code == 334:
            return self._payload(text, initial=False, tls=tls, secret=secret)
        verb, _, rest = text.partition(" ")
        upper = verb.upper()
        if upper in ("EHLO", "HELO"):
            self._ehlo(verb, rest)
        elif upper == "AUTH":
            return self._auth(rest, tls, secret)
        elif upper == "STARTTLS":
            self._ehlo_since_tls = False
        return False

    def _ehlo(self, verb: str, name: str) -> None:
        self._ehlo_since_tls = True
        if not self.behaviour.verb:
            self.behaviour.verb, self.behaviour.ehlo = verb, name.strip()[:payloads.MAX_USER]
            self._summary.ehlo = self.behaviour.ehlo
            self._summary.client = clients.guess(self.behaviour)

    def _auth(self, rest: str, tls: bool, secret: bool) -> bool:
        if not self._ehlo_since_tls:
            self._summary.mistake("no-ehlo-after-tls" if self._summary.tls and self.behaviour.verb else "auth-before-ehlo")
        words = rest.split()
        if not words:
            return False
        self._mechanism, self._index, self._last_code = words[0].upper(), 0, 0
        self._summary.mechanism = self._mechanism[:32]
        if self._summary.mechanism not in self._summary.tried:
            self._summary.tried.append(self._summary.mechanism)
        if not self.behaviour.first_auth:
            self.behaviour.first_auth = self._mechanism + ("-ir" if len(words) > 1 else "")
        return len(words) > 1 and self._payload(words[1], initial=True, tls=tls, secret=secret)

    def _payload(self, text: str, initial: bool, tls: bool, secret: bool) -> bool:
        mech, index = self._mechanism, self._index
        self._index += 1
        data = payloads.decode(text, initial)
        if data is None:
            return False
        reading = payloads.read(mech, data, index)
        if reading.user and not (mech == "LOGIN" and index > 0):
            self._summary.user = reading.user
        for key in reading.mistakes:
            self._summary.mistake(key)
        if secret and not tls and data:
            if mech in PASSWORD_MECHANISMS:
                self._summary.mistake("password-without-tls")
            elif mech in TOKEN_MECHANISMS:
                self._summary.mistake("token-without-tls")
        return reading.misplaced and not secret

    # ---- server lines ---------------------------------------------------------------------------------
    def _server(self, text: str) -> None:
        code = text[:3]
        if not code.isdigit() or text[3:4] == "-":
            return
        self._last_code = int(code)
        if self._last_code == 334:
            return
        self._summary.result = self._last_code
        if self._last_code == 235:
            self._summary.logged_in = True
            if self._mechanism not in self._summary.worked:
                self._summary.worked.append(self._mechanism)
        self._mechanism, self._hide = "", False

    def _failure(self, reason: str) -> None:
        if not any(m in self._summary.mistakes for m in payloads.PAYLOAD_MISTAKES):
            self._summary.mistake(failure_mistake(reason))
