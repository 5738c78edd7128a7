"""One student's session as the classroom sees it (sans-IO): wire lines and server notes in, a summary row out.

The row holds what the teacher needs at a glance (peer, user name, client guess, mechanism, TLS, result,
mistakes); `entries` keeps the exchange as a recording would store it, redacted by role (the lines the
server marked as carrying a credential), so neither the view nor a saved file ever holds a password.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor import escapes
from tutor.errors import InputError
from tutor.explain import Note
from tutor.classroom import clients, payloads
from tutor.classroom.words import failure_mistake
from tutor.trace.transcript import Entry, redacted

MAX_ENTRIES = 400              # entries kept per session for the detail view (the rest are counted)
PASSWORD_MECHANISMS = ("PLAIN", "LOGIN")
TOKEN_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")
# server notes (tutor/data/sim.toml) that are a mistake by themselves
NOTE_MISTAKES = {
    "sim.auth.bad-base64": "bad-base64", "sim.auth.unknown-mechanism": "not-offered",
    "sim.auth.need-tls": "need-tls", "sim.auth.twice": "auth-twice", "sim.ehlo.helo": "helo",
    "sim.command.bare-lf": "bare-lf", "sim.command.unknown": "unknown-command", "sim.close.timeout": "idle-timeout",
    "sim.command.too-long": "line-too-long", "sim.auth.line-too-long": "line-too-long",
    "sim.auth.too-many": "too-many-failures", "sim.auth.cancelled": "cancelled", "sim.mail.need-auth":
    "mail-before-auth",
}


@dataclass
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
    entries: list[Entry | tuple[float, Note]] = field(default_factory=list)   # lines; (t, server note)
    dropped: int = 0

    @property
    def open(self) -> bool:
        return self.ended is None

    def mistake(self, key: str) -> None:
        if key not in self.mistakes:
            self.mistakes.append(key)


class SessionTracker:
    """Follows one session's lines; `summary` is always up to date."""

    def __init__(self, sid: str, peer: str, t: float, tls: bool = False) -> None:
        self.summary = SessionSummary(sid, peer, t, tls=tls)
        self.behaviour = clients.Behaviour()
        self._ehlo_since_tls = False
        self._mechanism = ""          # the AUTH exchange in progress ("" when none)
        self._index = 0               # client messages so far in it
        self._last_code = 0
        self.hide_notes = False       # this AUTH exchange may hold a misplaced password: redact the server's notes

    # ---- input ----------------------------------------------------------------------------------------
    def line(self, direction: str, text: str, t: float, tls: bool, secret: bool) -> None:
        """One transcript line as the server logged it (`text` escaped; `secret`: it carries a credential).

        A client AUTH line that does not have the shape of its role (a PLAIN message as LOGIN's user name,
        `user password` as a CRAM-MD5 answer) may hold a password where none belongs: kept redacted too, with
        the server's notes about it (`hide_notes`)."""
        self.summary.tls = self.summary.tls or tls
        if direction == "S":
            self._keep(Entry(direction, _bytes(text), t, tls, False))
            self._server(text)
            return
        self.behaviour.client_line(t)
        misplaced = self._client(text, tls, secret)
        self.hide_notes = self.hide_notes or misplaced
        hidden = secret or misplaced
        raw = _bytes(text)
        self._keep(Entry(direction, redacted(raw).encode("utf-8") if hidden else raw, t, tls, hidden))

    def note(self, note: Note, t: float) -> None:
        """One of the server's notes: some are mistakes by themselves; all are kept (worded only when shown)."""
        found = NOTE_MISTAKES.get(note.key)
        if found == "bare-lf":
            self.behaviour.bare_lf = True
        if found:
            self.summary.mistake(found)
        if note.key == "sim.auth.failed":
            self._failure(str(note.params.get("reason", "")))
        self._keep((t, note.__class__(note.key, {}, note.source, secret=True) if self.hide_notes else note))

    def tls_started(self) -> None:
        """RFC 3207 §4.2: the session starts over inside TLS, so the client must EHLO again."""
        self.summary.tls = True
        self._ehlo_since_tls = False

    def closed(self, t: float) -> None:
        if self._mechanism and self._last_code == 334:
            self.summary.mistake("gave-up-after-334")
        self.summary.ended = t
        self.summary.client = clients.guess(self.behaviour)

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
            self.summary.ehlo = self.behaviour.ehlo
            self.summary.client = clients.guess(self.behaviour)

    def _auth(self, rest: str, tls: bool, secret: bool) -> bool:
        if not self._ehlo_since_tls:
            self.summary.mistake("no-ehlo-after-tls" if self.summary.tls and self.behaviour.verb else "auth-before-ehlo")
        words = rest.split()
        if not words:
            return False
        self._mechanism, self._index, self._last_code = words[0].upper(), 0, 0
        self.summary.mechanism = self._mechanism[:32]
        if self.summary.mechanism not in self.summary.tried:
            self.summary.tried.append(self.summary.mechanism)
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
            self.summary.user = reading.user
        for key in reading.mistakes:
            self.summary.mistake(key)
        if secret and not tls and data:
            self._secret_sent = True
            if mech in PASSWORD_MECHANISMS:
                self.summary.mistake("password-without-tls")
            elif mech in TOKEN_MECHANISMS:
                self.summary.mistake("token-without-tls")
        return reading.misplaced and not secret

    # ---- server lines ---------------------------------------------------------------------------------
    def _server(self, text: str) -> None:
        code = text[:3]
        if not code.isdigit() or text[3:4] == "-" or not self._mechanism:
            return
        self._last_code = int(code)
        if self._last_code == 334:
            return
        self.summary.result = self._last_code
        if self._last_code == 235:
            self.summary.logged_in = True
            if self._mechanism not in self.summary.worked:
                self.summary.worked.append(self._mechanism)
        self._mechanism, self.hide_notes = "", False

    def _failure(self, reason: str) -> None:
        if not any(m in self.summary.mistakes for m in payloads.PAYLOAD_MISTAKES):
            self.summary.mistake(failure_mistake(reason))

    def _keep(self, entry: Entry | tuple[float, Note]) -> None:
        if len(self.summary.entries) < MAX_ENTRIES:
            self.summary.entries.append(entry)
        else:
            self.summary.dropped += 1


def _bytes(text: str) -> bytes:
    """A logged line back to its bytes (tutor.escapes.show's escapes undone); never fails."""
    if "\\" not in text:
        return text.encode("utf-8", "replace")
    try:
        return escapes.parse(text)
    except InputError:
        return text.encode("utf-8", "replace")
