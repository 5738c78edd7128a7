"""The simulated server's reply texts: one table of (code, enhanced code, text) per situation, and profile overrides.

Codes follow RFC 5321 §4.2, RFC 4954 §6 (AUTH), RFC 3207 §4 (STARTTLS); enhanced codes RFC 3463 / RFC 2034,
which also says they are not used on the greeting, on the replies to HELO/EHLO (§3) and on 3xx replies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.protocol.replies import Reply, make
from tutor.protocol.states import State

if TYPE_CHECKING:
    from tutor.protocol.server import ServerConnection
    from tutor.sim.output import Collector
    from tutor.sim.profiles import Profile

BOOKS_LIMIT = 64           # (profile, host name) pairs whose replies are kept
EHLO_LIMIT = 256           # EHLO replies kept per book (one per client name, TLS or not)

# key -> (code, enhanced code or None, text: a str.format template)
REPLIES: dict[str, tuple[int, str | None, str]] = {
    "greeting": (220, None, "{host} ESMTP smtp-auth-tutor simulator ({profile}): accepts mail, relays nothing"),
    "helo": (250, None, "{host}"),
    "ok": (250, "2.0.0", "Ok"),
    "bye": (221, "2.0.0", "{host} Bye"),
    "help": (214, "2.0.0", "Commands: EHLO HELO AUTH STARTTLS MAIL RCPT DATA RSET NOOP VRFY HELP QUIT"),
    "vrfy": (252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"),
    "expn": (502, "5.5.1", "EXPN not implemented"),
    "unknown": (500, "5.5.1", "Command not recognized"),
    "need-ehlo": (503, "5.5.1", "Send EHLO (or HELO) first"),
    "helo-no-auth": (503, "5.5.1", "Send EHLO first: AUTH is offered only in the EHLO reply"),
    "helo-no-mail": (503, "5.5.1", "Send EHLO first: this server needs AUTH before MAIL, and AUTH is offered only"
                                   " in the EHLO reply"),
    "bad-sequence": (503, "5.5.1", "Bad sequence of commands"),
    "nested-mail": (503, "5.5.1", "Sender already given; RSET to start over"),
    "need-mail": (503, "5.5.1", "Need MAIL before RCPT"),
    "need-rcpt": (503, "5.5.1", "Need RCPT before DATA"),
    "syntax-ehlo": (501, "5.5.4", "Syntax: {verb} hostname"),
    "syntax-mail": (501, "5.5.4", "Syntax: MAIL FROM:<address>"),
    "syntax-rcpt": (501, "5.5.4", "Syntax: RCPT TO:<address>"),
    "syntax-noarg": (501, "5.5.4", "Syntax: {verb} takes no argument"),
    "bad-param": (555, "5.5.4", "MAIL FROM/RCPT TO parameter not recognized: {param}"),
    "sender-ok": (250, "2.1.0", "Ok"),
    "rcpt-ok": (250, "2.1.5", "Ok (kept here, never relayed)"),
    "too-many-rcpts": (452, "4.5.3", "Too many recipients"),
    "too-big": (552, "5.3.4", "Message size exceeds fixed limit of {limit} octets"),
    "data": (354, None, "End data with <CR><LF>.<CR><LF>"),
    "queued": (250, "2.0.0", "Ok: queued as {id} (kept by the simulator, never relayed)"),
    "sink-failed": (451, "4.3.0", "Local error: cannot store the message"),
    "long-text-line": (500, "5.5.2", "Message line too long (limit {limit} octets)"),
    "long-line": (500, "5.5.2", "Line too long (limit {limit} octets)"),
    "auth-line-too-long": (500, "5.5.6", "Authentication Exchange line is too long"),
    "starttls-ready": (220, "2.0.0", "Ready to start TLS"),
    "starttls-unavailable": (454, "4.7.0", "TLS not available due to temporary reason"),
    "not-implemented": (502, "5.5.1", "{verb} not implemented"),
    "tls-active": (503, "5.5.1", "TLS already active"),
    "starttls-first": (530, "5.7.0", "Must issue a STARTTLS command first"),
    "auth-required": (530, "5.7.0", "Authentication required"),
    "auth-ok": (235, "2.7.0", "Authentication successful"),
    "auth-failed": (535, "5.7.8", "Authentication credentials invalid"),
    "auth-cancelled": (501, "5.7.0", "Authentication cancelled"),
    "auth-bad-base64": (501, "5.5.2", "Cannot decode response"),
    "auth-ir-not-allowed": (501, "5.7.0", "Initial response not allowed for {mechanism}"),
    "auth-unknown-mech": (504, "5.5.4", "Unrecognized authentication type"),
    "auth-syntax": (501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"),
    "auth-twice": (503, "5.5.1", "Already authenticated"),
    "auth-temp-failure": (454, "4.7.0", "Temporary authentication failure"),                  # RFC 4954 §6
    "auth-too-weak": (534, "5.7.9", "Authentication mechanism is too weak"),                  # RFC 4954 §6
    "auth-encryption-required": (538, "5.7.11", "Encryption required for requested authentication mechanism"),
    "auth-transition-needed": (432, "4.7.12", "A password transition is needed"),             # RFC 4954 §6
    "auth-in-transaction": (503, "5.5.1", "AUTH not permitted during a mail transaction"),
    "too-many-auth": (421, "4.7.0", "{host} Too many failed authentication attempts ({limit}), closing connection;"
                                    " reconnect to try again"),
    "too-many-errors": (421, "4.7.0", "{host} Too many errors, closing connection"),
    "timeout": (421, "4.4.2", "{host} Timeout, closing connection"),
    "busy": (421, "4.3.2", "{host} Too many connections, try again later"),
    "shutdown": (421, "4.3.0", "{host} Service shutting down, closing connection"),
}


def build(key: str, overrides: dict[str, str], enhanced_codes: bool, **params: object) -> Reply:
    """The reply for `key`, with a profile's text override and without enhanced codes if the profile has none."""
    code, enhanced, text = REPLIES[key]
    text = overrides.get(key, text).format(**params)
    return make(code, text, enhanced=enhanced if enhanced_codes else None)


class ReplyBook:
    """One profile's replies on one host name, each built and serialised once and then shared by every session:
    (Reply, its bytes) by key. Replies with parameters (a verb, a limit, a queue id) are built each time."""

    def __init__(self, profile: Profile, host: str) -> None:
        self.profile, self.host = profile, host
        self._made: dict[str, tuple[Reply, bytes]] = {}
        self.ehlo: dict[tuple, tuple[Reply, bytes]] = {}   # the server's EHLO replies, kept by what they depend on

    def reply(self, key: str, params: dict[str, object]) -> tuple[Reply, bytes]:
        """The reply for `key` (tutor.sim.replies.REPLIES) and its wire form."""
        if params:
            made = self._build(key, params)
            return made, made.to_bytes()
        found = self._made.get(key)
        if found is None:
            made = self._build(key, params)
            found = self._made[key] = (made, made.to_bytes())
        return found

    def _build(self, key: str, params: dict[str, object]) -> Reply:
        p = self.profile
        return build(key, p.texts, p.enhanced_codes, host=self.host, profile=p.name, **params)


_BOOKS: dict[tuple[int, str], ReplyBook] = {}


def book(profile: Profile, host: str) -> ReplyBook:
    """The shared ReplyBook of `profile` on `host` (made on first use)."""
    found = _BOOKS.get((id(profile), host))
    if found is None or found.profile is not profile:   # an id can be reused once its profile is gone
        if len(_BOOKS) >= BOOKS_LIMIT:
            _BOOKS.clear()
        found = _BOOKS[(id(profile), host)] = ReplyBook(profile, host)
    return found


class Replier:
    """Sends one session's replies: through the protocol core (which moves the session's state) into the Output
    being collected. The AUTH and mail sides send through it too; it holds no reference to the SimServer, so a
    finished session is freed at once (no reference cycle left for the garbage collector)."""

    __slots__ = ("_book", "_conn", "_emit")

    def __init__(self, book: ReplyBook, conn: ServerConnection, emit: Collector) -> None:
        self._book, self._conn, self._emit = book, conn, emit

    def reply(self, key: str, **params: object) -> None:
        """Send the reply for `key` (REPLIES), in the profile's wording."""
        reply, wire = self._book.reply(key, params)
        self.send(reply, wire)

    def send(self, reply: Reply, wire: bytes | None = None) -> None:
        """Send `reply` (`wire`: its bytes, when already made); a 421, or a reply that ends the session, closes."""
        self._emit.sent(reply, self._conn.send(reply, wire))
        if reply.code == 421 or self._conn.state is State.CLOSED:
            self._emit.close = True
