"""What one step of the simulated server produces (bytes, notes, transcript lines) and the collector that builds it."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from tutor import escapes
from tutor.explain import Note, text

if TYPE_CHECKING:   # importing tutor.sasl.base runs tutor/sasl/__init__.py: every mechanism, not needed to greet
    from tutor.protocol.replies import Reply
    from tutor.sasl.base import Step

MASK = "*** (masked, use --show-secrets)"


class TranscriptLine(NamedTuple):
    """One line of the exchange as a log shows it: who sent it ("C" or "S"), and its text.

    `masked` is the text to show instead when secrets are hidden (None: the line reveals no password).
    A NamedTuple (made for every line of every session a log, record or view reads; a frozen dataclass costs
    several times as much to make).
    """

    direction: str
    text: str
    masked: str | None = None

    def shown(self, show_secrets: bool = False) -> str:
        return self.text if show_secrets or self.masked is None else self.masked


def client_line(text: str, masked: str | None = None) -> TranscriptLine:
    """TranscriptLine("C", text, masked), made without the NamedTuple's Python-level __new__ (one per command)."""
    return _new_tuple(TranscriptLine, ("C", text, masked))


_new_tuple = tuple.__new__


SHARED_LINES = 1024   # a step's one client line, as a tuple shared by every step that says the same (received)
SHARED_LINE_SIZE = 1024   # ...when it is no longer than this (so what is shared stays within about a megabyte)
_ONE_LINE: dict[bytes | str, tuple[bytes | str]] = {}


class Output(NamedTuple):
    """What the transport must do after one call into SimServer.

    data: bytes to send to the client; notes: the server's reasoning (Note, source="server", secret=True where
    it reveals a password); close: close after sending; start_tls: do the server side of the TLS handshake
    now, after sending data; transcript: the lines received and sent, for logs. When the server summarises
    (Collector.summarise), no transcript: `client` holds the client's lines as received (bytes; a text for what
    stands in for a message or an over-long line) and `secret` a bit for each that carries a credential (bit i:
    client[i]; the role the masks use). (A NamedTuple: one is made for every call, and a frozen dataclass costs
    twice as much to make.)
    """

    data: bytes = b""
    notes: tuple[Note, ...] = ()
    close: bool = False
    start_tls: bool = False
    transcript: tuple[TranscriptLine, ...] = ()
    client: tuple[bytes | str, ...] = ()
    secret: int = 0


class Collector:
    """Accumulates one Output while the server handles events.

    Three modes. `explain` True (the default): every note and every transcript line. `explain` False (serve with
    no log, record or classroom view: nobody would read them): no notes and no transcript lines, only the bytes
    and the close / start_tls flags. `summarise(keys)` (serve with only a classroom view): the client's lines as
    received with their secret bits (Output.client, Output.secret: no transcript line is made, the view reads a
    line only the first time it sees it) and only the notes whose key is in `keys`; no server lines (the view
    reads the reply bytes) and none of the prose the other notes would need.
    """

    def __init__(self, explain: bool = True) -> None:
        self.explain = explain
        self._reset()

    @property
    def explain(self) -> bool:
        return self._explain

    @explain.setter
    def explain(self, on: bool) -> None:
        self._explain = on
        self.lines = on                          # the client's transcript lines are made
        self.raw = False                         # the client's lines are kept as received (summarise)
        self.watched: frozenset[str] = frozenset()   # when not explaining: the note keys still made
        self.wants_steps = on                    # a SASL mechanism's teaching steps are read (see steps())

    def summarise(self, keys: frozenset[str]) -> None:
        """Only the client's lines and the notes with these keys (what tutor.classroom reads)."""
        self._explain = False                     # (the explain setter's work, in one go: once per session)
        self.watched = keys if isinstance(keys, frozenset) else frozenset(keys)
        self.lines, self.raw, self.wants_steps = False, True, _watches_steps(self.watched)

    def _reset(self) -> None:
        self.data = bytearray()                  # the step's bytes when it sent more than one reply
        self._only: bytes | None = None          # the step's one reply, as it came (a profile's reply, made once)
        self.notes: list[Note] = []
        self.transcript: list[TranscriptLine] = []
        self.client_lines: tuple[bytes | str, ...] = ()    # (summarise) the client's lines as received
        self.client_secret = 0                              # ...and a bit for each that carries a credential
        self.close = False
        self.start_tls = False

    def keeps(self, key: str) -> bool:
        """Whether a note with this key would be kept (so its parameters are worth computing)."""
        return self._explain or key in self.watched

    def note(self, key: str, secret: bool = False, **params: object) -> None:
        if self._explain or key in self.watched:
            self.notes.append(Note(key, params, source="server", secret=secret))

    def all(self, notes: list[tuple[str, dict]]) -> None:
        """Several (key, params) notes, e.g. tutor.sim.lenient's."""
        if self._explain or self.watched:
            for key, params in notes:
                if self._explain or key in self.watched:
                    self.notes.append(Note(key, dict(params), source="server"))

    def steps(self, steps: tuple[Step, ...] | list[Step]) -> None:
        """A SASL mechanism's steps as notes: the labelled value, then the step's own note."""
        if not self._explain:
            if not self.watched:
                return
            for step in steps:
                if step.note and step.note in self.watched:
                    self.note(step.note, secret=step.secret, **_cleaned(step.params))
            return
        for step in steps:
            value = show(step.value if isinstance(step.value, bytes) else str(step.value).encode("utf-8"))
            self.note("sim.step", secret=step.secret, label=_label(step.label), value=value or "(empty)")
            if step.note:
                self.note(step.note, secret=step.secret, **_cleaned(step.params))

    def client(self, text: str, masked: str | None = None) -> None:
        if self.lines:
            self.transcript.append(client_line(text, masked))
        elif self.raw:
            self.received(text, masked is not None)

    def received(self, line: bytes | str, secret: bool) -> None:
        """(summarise) One client line as received, and whether it carries a credential."""
        client = self.client_lines
        if secret:
            self.client_secret |= 1 << len(client)
        if client or len(line) > SHARED_LINE_SIZE:
            self.client_lines = (*client, line)
            return
        one = _ONE_LINE.get(line)   # (a class says the same lines again and again: one tuple each, shared)
        if one is None:
            if len(_ONE_LINE) >= SHARED_LINES:
                _ONE_LINE.clear()
            one = _ONE_LINE[line] = (line,)
        self.client_lines = one

    def sent(self, reply: Reply, wire: bytes) -> None:
        if self._only is None and not self.data:
            self._only = wire                    # (kept as it is: no copy, and a view's memo compares it at once)
        else:
            if self._only is not None:
                self.data += self._only
                self._only = None
            self.data += wire
        if self._explain:
            for line in wire.decode("utf-8", "replace").split("\r\n")[:-1]:
                self.transcript.append(TranscriptLine("S", line))

    def take(self) -> Output:
        """The Output so far; the collector is reset."""
        data = self._only
        if data is None:
            data = bytes(self.data)
            self.data.clear()
        else:
            self._only = None
        if self.notes or self.transcript:
            notes, transcript = self.notes, self.transcript
            out = _new_tuple(Output, (data, tuple(notes) if notes else (), self.close, self.start_tls,
                                      tuple(transcript), self.client_lines, self.client_secret))
            if notes:
                self.notes = []
            if transcript:
                self.transcript = []
        else:   # nothing explained (serve with no log): only the bytes and the flags (and the summarised lines)
            out = _new_tuple(Output, (data, (), self.close, self.start_tls, (), self.client_lines, self.client_secret))
        if self.client_lines:
            self.client_lines, self.client_secret = (), 0
        self.close = self.start_tls = False
        return out



def show(data: bytes) -> str:
    """Bytes as a student reads them (tutor.escapes.show), with a fast path for plain printable ASCII."""
    if data.isascii():
        decoded = data.decode("ascii")
        if decoded.isprintable() and "\\" not in decoded:
            return decoded
    return escapes.show(data)


def clean(text: str) -> str:
    """Text that came from the client, with control characters made visible (safe for a terminal)."""
    return show(text.encode("utf-8", "replace"))


def echo(text: str, limit: int = 64) -> str:
    """Client text safe to put in a reply line: printable ASCII only ('?' for the rest), at most `limit` long."""
    return "".join(c if " " <= c <= "~" else "?" for c in clean(text))[:limit]


def _cleaned(params: dict) -> dict:
    return {k: clean(v) if isinstance(v, str) else v for k, v in params.items()}


@lru_cache(maxsize=16)
def _watches_steps(keys: frozenset[str]) -> bool:
    """Whether any of these note keys is a step note: the SASL mechanisms' own (sasl., scram., oauth., mechs.) or
    the impostor's rewrites of them (sim.impostor.). When none is, the mechanisms need not make their steps at all.
    (Worked out once per set: serve summarises every session of a class with the same keys.)"""
    return any(not key.startswith("sim.") or key.startswith("sim.impostor.") for key in keys)


@lru_cache(maxsize=256)
def _label(key: str) -> str:
    return text(key)
