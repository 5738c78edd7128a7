"""One student's session as the classroom sees it (sans-IO): the server's steps in, a summary row out.

The row holds what the teacher needs at a glance (peer, user name, client guess, mechanism, TLS, result,
mistakes), kept up to date as each step (what one call into the simulator produced) arrives, with as little
work as possible: it runs for every command of every student. `steps` keep what crossed the wire for the
detail view, with the lines that carry a credential marked so they are redacted there (tutor.classroom.detail).
"""

from __future__ import annotations

from typing import Protocol

from tutor.classroom import clients, memo, payloads
from tutor.classroom.clients import HAND_PAUSE
from tutor.classroom.words import failure_mistake
from tutor.escapes import show
from tutor.explain import Note

MAX_STEPS = 200                # simulator steps kept per session (each is one command and its reply; the rest counted)
PASSWORD_MECHANISMS = ("PLAIN", "LOGIN")
TOKEN_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")
# server notes (tutor/data/sim.toml) that are a mistake by themselves
NOTE_MISTAKES = {
    "sim.auth.bad-base64": "bad-base64", "sim.auth.unknown-mechanism": "not-offered",
    "sim.auth.need-tls": "need-tls", "sim.auth.twice": "auth-twice", "sim.ehlo.helo": "helo",
    "sim.command.bare-lf": "bare-lf", "sim.command.unknown": "unknown-command",
    "sim.command.after-auth": "unknown-command", "sim.close.timeout": "idle-timeout",
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


def client_lines(lines: tuple[Line, ...]) -> tuple[tuple[str, ...], int]:
    """A whole transcript's client lines (as logged), and a bit for each that carries a credential: what a
    summarising simulator gives (tutor.sim.output.Output.client and .secret), from what a full one gives."""
    client = tuple(line.text for line in lines if line.direction == "C")
    masked = [line.masked is not None for line in lines if line.direction == "C"]
    return client, sum(1 << index for index, secret in enumerate(masked) if secret)


# One call into the simulator as the detail view needs it: (t, tls, client, secret, sent): when, whether inside TLS,
# the client's lines (as logged), a bit set for each that carries a credential (bit i: client[i], masked by the
# server or misplaced), and the bytes the server sent. A plain tuple of strings, bytes and numbers, which the
# garbage collector stops looking at after its first pass (a NamedTuple stays tracked; keeping the simulator's
# Output objects, notes and all, made every session of a busy `serve` ~40 % dearer).
Step = tuple[float, bool, tuple[str, ...], int, bytes]


class SessionSummary:
    """One row of the view. `result` is the last AUTH verdict code (235, 535, 504...), None before any.

    The row's reading fields (user, mechanism, tls, result, logged_in, mistakes, client, ehlo, tried, worked,
    waiting) are read from the session's reading state (tutor.classroom.memo.Reading, which the tracker, a
    SessionSummary itself, moves on at each step): a step changes one attribute, however many fields it changes.
    """

    __slots__ = ("_entries", "_last_client", "_times", "dropped", "ended", "forgotten", "peer", "pending", "sid",
                 "stamp", "started", "state")

    def __init__(self, sid: str, peer: str, started: float, tls: bool = False) -> None:
        self.sid, self.peer, self.started = sid, peer, started
        self.stamp = 0                        # the class's change count when this row last changed
        self.ended: float | None = None
        self.state = memo.start(tls)
        self._times: list[float] = []          # per step kept, its time, and its memo.Entry (shared); () once forgotten
        self._entries: list[memo.Entry] = []
        self.pending: list = []                # steps not read yet, six items each (SessionTracker.read)
        self.dropped = 0
        self.forgotten = False                # the steps were let go (only recent sessions keep them)
        self._last_client: float | None = None   # when the client last sent a line (SessionTracker)

    @property
    def open(self) -> bool:
        return self.ended is None

    @property
    def steps(self) -> list[Step]:
        """What crossed the wire, step by step (the detail view's; empty once forgotten)."""
        return [(t, *entry) for t, entry in zip(self._times, self._entries, strict=True)]

    def forget_steps(self) -> None:
        """Keep the row, let the exchange go (bounded memory; tuples, which the garbage collector skips)."""
        self._times = self._entries = ()   # type: ignore[assignment]
        self.forgotten = True

    def __repr__(self) -> str:
        return f"SessionSummary({self.sid!r}, {self.peer!r}, user={self.user!r}, result={self.result!r})"

    tls = memo.row_field(0, "TLS is up")
    user = memo.row_field(1, "the user name a payload carried (never a password field)")
    mechanism = memo.row_field(2, "the last AUTH's mechanism")
    result = memo.row_field(3, "the last AUTH verdict code (235, 535, 504...), None before any")
    logged_in = memo.row_field(4, "a 235 was seen")
    mistakes = memo.row_field(5, "mistake keys, in the order made", as_list=True)
    client = memo.row_field(6, "the client guess (a key under classroom.client.*)")
    ehlo = memo.row_field(7, "the EHLO name")
    tried = memo.row_field(8, "mechanisms, in order, once each", as_list=True)
    worked = memo.row_field(9, "mechanisms that logged in", as_list=True)
    waiting = memo.row_field(10, "a 334 is unanswered (a student stuck at a prompt?)")


class _Row:
    """The row's reading fields while a step is read afresh (_Reader.learn)."""

    __slots__ = memo.ROW_FIELDS

    def __init__(self, tls: bool, user: str, mechanism: str, result: int | None, logged_in: bool,
                 mistakes: tuple[str, ...], client: str, ehlo: str, tried: tuple[str, ...], worked: tuple[str, ...],
                 waiting: bool) -> None:
        self.tls, self.user, self.mechanism, self.result, self.logged_in = tls, user, mechanism, result, logged_in
        self.mistakes, self.client, self.ehlo = list(mistakes), client, ehlo
        self.tried, self.worked, self.waiting = list(tried), list(worked), waiting

    def mistake(self, key: str) -> None:
        if key not in self.mistakes:
            self.mistakes.append(key)


class SessionTracker(SessionSummary):
    """Follows one session: `add()` reads a step into the row (the tracker is its own row: one object per
    session) and keeps what crossed the wire.

    A class's clients repeat the same exchange, so a step's reading is remembered (tutor.classroom.memo): the
    session's reading state (the reader's fields, the client's behaviour, the row's fields) is one interned
    memo.Reading, and a step seen before in that state only moves the session to the next state. A step not seen
    before is read afresh by the _Reader below (the one source of truth), on fields loaded from the state.
    """

    __slots__ = ()

    @property
    def summary(self) -> SessionSummary:
        """The row (the tracker itself)."""
        return self

    # ---- input ----------------------------------------------------------------------------------------
    def output(self, out, tls: bool, t: float) -> bool:
        """One tutor.sim.output.Output (what one call into the simulator produced): its client lines, with a bit
        for each that carries a credential, its notes and bytes. Whether it held anything to read."""
        client, notes, sent = out.client, out.notes, out.data
        if client:                                # a summarising simulator: the lines as received
            secret = out.secret
        elif out.transcript:                      # a whole transcript (serve also logs or records)
            client, secret = client_lines(out.transcript)
        else:
            secret = 0
        if client or notes or sent:
            self.add(client, secret, notes, sent, tls, t)
            return True
        return False

    def restart(self, peer: str, started: float, tls: bool, steps: list) -> None:
        """Follow another session, from its start, whose exchange nobody will ask for (Classroom.passed)."""
        self.peer, self.started, self.ended, self.state = peer, started, None, memo.start(tls)
        self.pending, self._last_client, self.dropped = steps, None, 0
        self.forget_steps()

    def read(self) -> bool:
        """The pending steps (serve's, handed on in a list: tutor.classroom.feed.Feed.session_steps), each as six
        items (an Output's client, secret, notes and data, then tls and the time), read in order. Whether any was.
        (The list stays serve's: it is emptied, not replaced.)"""
        pending = self.pending
        if not pending:
            return False
        read = self._replay(pending)
        if read is None:
            read = self._take(pending)
        pending.clear()
        return read

    def add(self, client: tuple[bytes | str, ...], secret: int, notes: tuple[Note, ...], sent: bytes, tls: bool,
            t: float) -> None:
        """One call into the simulator: `client`, the client's lines as received (bytes, or text as logged),
        `secret` a bit for each that carries a credential; the replies come from `sent`, and only the notes in
        WATCHED_NOTES are read: what the simulator makes when it summarises."""
        self._take((client, secret, notes, sent, tls, t))

    def _replay(self, pending: list) -> bool | None:
        """Steps read all at once, when this state has seen the same run of them before (most of a busy class's
        sessions: the same client saying the same things), as `_take` would read them one by one; None when not
        (then _take reads them, and remembers the run: memo.remember_run). Only runs without notes, of at most
        memo.RUN_STEPS steps and too quick for a pause like someone typing (HAND_PAUSE), are remembered."""
        key = run_key(pending, self._last_client)
        if key is None:
            return None
        try:
            found = self.state.runs.get(key)
        except TypeError:                         # a line type that cannot be a key
            return None
        if found is None:
            state = self.state
            taken: list = []
            read = self._take(pending, taken)
            memo.remember_run(state, key, self.state, taken, read)
            return read
        state, entries, indexes, last_client, read = found
        if not self.forgotten:
            if len(self._entries) + len(entries) > MAX_STEPS:
                return None
            self._entries += entries
            self._times += [pending[6 * index + 5] for index in indexes] if indexes else pending[5::6]
        self.state = state
        if last_client >= 0:
            self._last_client = pending[6 * last_client + 5]
        return read

    def _take(self, items: list | tuple, taken: list | None = None) -> bool:
        """Steps, six items each (as `add` takes them), read in order, and what crossed the wire kept for the
        detail view (unless forgotten); `taken`: a list to put each step read in (its index, its Entry, whether
        the client spoke), for memo.remember_run. Whether any step was read."""
        state, times, entries, last = self.state, self._times, self._entries, self._last_client
        room = 0 if self.forgotten else MAX_STEPS - len(entries)
        read = False
        step = iter(items)
        steps = zip(step, step, step, step, step, step, strict=False)   # (six at a time: a partial one is not read)
        for index, (client, secret, notes, sent, tls, t) in enumerate(steps):
            if not (client or notes or sent):
                continue
            read = True
            key: tuple | None = (client, secret, memo.notes_key(notes, WATCHED_NOTES) if notes else (), sent, tls)
            try:
                found = state.after.get(key)
            except TypeError:                     # a line type that cannot be a key: read it, remember nothing
                found, key = None, None
            if found is None:
                found = _READER.learn(state, key, client, secret, notes, sent, tls)
            state, entry = found
            if entry[1]:                          # client lines: one step is one moment, however many it held
                if (last is not None and t - last >= HAND_PAUSE and not state.fields[memo.SLOW]
                        and not sent.startswith(b"535")):
                    state = memo.slowed(state)    # (serve holds a 535 back: that pause is not someone typing)
                last = t
            if room > 0:                          # the time and the step as first seen
                times.append(t)
                entries.append(entry)
                room -= 1
            elif not self.forgotten:
                self.dropped += 1
            if taken is not None:
                taken.append((index, entry, bool(entry[1])))
        self.state, self._last_client = state, last
        return read

    def closed(self, t: float) -> None:
        state = self.state
        found = state.on_close
        if found is None:
            found = _READER.end(state)
        self.state, self.ended = found[0], t
        self.pending, self._last_client = (), None   # type: ignore[assignment]  # a kept row holds only what it shows


def run_key(pending: list, last: float | None) -> tuple | None:
    """A run of steps (six items each, as serve hands them on: Feed.session_steps) as a key of memo.Reading.runs:
    every item but the times (memo.RUN_ITEMS a step: client lines, secret bits, notes (none), bytes sent, TLS);
    None when it is not to be remembered: more than memo.RUN_STEPS steps, notes, or a pause like someone typing
    (HAND_PAUSE) possible within it or since `last`, the client's last line before it."""
    if (len(pending) > 6 * memo.RUN_STEPS or pending[-1] - (pending[5] if last is None else last) >= HAND_PAUSE
            or any(pending[2::6])):
        return None
    items = pending[:]                            # (a copy: a run not remembered is read from `pending` next)
    del items[5::6]                               # (the times: a few C calls for any number of steps)
    return tuple(items)


class _Reader:
    """Reads a step afresh, on a session's fields loaded from its state (one reader for every session: reading
    is done at once, between two steps of no other session)."""

    __slots__ = ("_ehlo_since_tls", "_index", "_last_code", "_mechanism", "_row", "_tls", "behaviour")

    def learn(self, state: memo.Reading, key, received, masked: int, notes, sent: bytes, tls: bool) -> memo.Found:
        """A step not seen in this state: read by the code below, and remembered."""
        self._load(state)
        client, secret = self._read(received, masked, notes, sent, tls)
        return memo.learn(state, key, self._fields(), (tls, client, secret, sent))

    def end(self, state: memo.Reading) -> memo.Found:
        """The session's end in this state (remembered on the state)."""
        self._load(state)
        row = self._row
        if self._mechanism and self._last_code == 334:
            row.mistake("gave-up-after-334")
        row.waiting = False
        row.client = clients.guess(self.behaviour)
        found = memo.learn(state, None, self._fields(), memo.NO_STEP)
        if memo.REMEMBER:
            state.on_close = found
        return found

    def _load(self, state: memo.Reading) -> None:
        """The reading fields as the state has them."""
        fields = state.fields
        (self._tls, self._ehlo_since_tls, self._mechanism, self._index, self._last_code, ehlo, verb, first_auth,
         bare_lf, slow) = fields[:memo.ROW]
        self.behaviour = clients.Behaviour(ehlo, verb, first_auth, bare_lf, slow)
        self._row = _Row(*fields[memo.ROW:])

    def _fields(self) -> tuple:
        seen, row = self.behaviour, self._row
        return (self._tls, self._ehlo_since_tls, self._mechanism, self._index, self._last_code, seen.ehlo, seen.verb,
                seen.first_auth, seen.bare_lf, seen.slow, row.tls, row.user, row.mechanism, row.result, row.logged_in,
                tuple(row.mistakes), row.client, row.ehlo, tuple(row.tried), tuple(row.worked), row.waiting)

    def _read(self, received: tuple[bytes | str, ...], masked: int, notes: tuple[Note, ...], sent: bytes,
              tls: bool) -> tuple[tuple[str, ...], int]:
        """A step's reading: the client's lines (and which carry a credential), the notes, the replies."""
        if tls and not self._tls:                 # RFC 3207 §4.2: the session starts over inside TLS
            self._tls, self._ehlo_since_tls = True, False
            self._row.tls = True
        client: list[str] = []
        secret = 0
        for index, line in enumerate(received):  # as the log shows them (control characters made visible)
            text = line if isinstance(line, str) else show(line)
            carries = bool(masked >> index & 1)
            if self._client(text, tls, carries) or carries:
                secret |= 1 << index
            client.append(text)
        for note in notes:
            if note.key in WATCHED_NOTES:
                self._note(note.key, note.params)
        if self._mechanism and sent:              # replies matter only inside an AUTH exchange
            for reply in sent.split(b"\r\n")[:-1]:
                self._server(reply)
        return tuple(client), secret

    def _note(self, key: str, params: dict) -> None:
        """Some server notes are mistakes by themselves."""
        found = NOTE_MISTAKES.get(key)
        if found == "bare-lf":
            self.behaviour.bare_lf = True
        if found:
            self._row.mistake(found)
        if key == "sim.auth.failed":
            self._failure(str(params.get("reason", "")))

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
            self._row.ehlo = self.behaviour.ehlo
            self._row.client = clients.guess(self.behaviour)

    def _auth(self, rest: str, tls: bool, secret: bool) -> bool:
        if not self._ehlo_since_tls:
            after_tls = self._row.tls and self.behaviour.verb
            self._row.mistake("no-ehlo-after-tls" if after_tls else "auth-before-ehlo")
        words = rest.split()
        if not words:
            return False
        self._mechanism, self._index, self._last_code = words[0].upper(), 0, 0
        self._row.mechanism = self._mechanism[:32]
        if self._row.mechanism not in self._row.tried:
            self._row.tried.append(self._row.mechanism)
        if not self.behaviour.first_auth:
            self.behaviour.first_auth = self._mechanism + ("-ir" if len(words) > 1 else "")
        return len(words) > 1 and self._payload(words[1], initial=True, tls=tls, secret=secret)

    def _payload(self, text: str, initial: bool, tls: bool, secret: bool) -> bool:
        mech, index = self._mechanism, self._index
        self._index += 1
        found = payloads.read_text(mech, text, initial, index)
        if found is None:
            return False
        reading, has_data = found
        summary = self._row
        if reading.user and not (mech == "LOGIN" and index > 0):
            summary.user = reading.user
        for key in reading.mistakes:
            summary.mistake(key)
        if secret and not tls and has_data:
            if mech in PASSWORD_MECHANISMS:
                summary.mistake("password-without-tls")
            elif mech in TOKEN_MECHANISMS:
                summary.mistake("token-without-tls")
        return reading.misplaced and not secret

    # ---- server lines ---------------------------------------------------------------------------------
    def _server(self, line: bytes) -> None:
        """One reply line as sent (bytes: only its code is read)."""
        code = line[:3]
        if not code.isdigit() or line[3:4] == b"-":
            return
        summary = self._row
        self._last_code = last = int(code)
        summary.waiting = last == 334                       # the server asked; the client has not answered yet
        if last == 334:
            return
        summary.result = last
        if last == 235:
            summary.logged_in = True
            if self._mechanism not in summary.worked:
                summary.worked.append(self._mechanism)
        self._mechanism = ""

    def _failure(self, reason: str) -> None:
        if not any(m in self._row.mistakes for m in payloads.PAYLOAD_MISTAKES):
            self._row.mistake(failure_mistake(reason))


_READER = _Reader()
