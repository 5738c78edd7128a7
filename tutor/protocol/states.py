"""Which command is legal in which SMTP state: one table (docs/ARCHITECTURE.md convention 2, model: h11 _state.py)."""

from __future__ import annotations

from enum import Enum, StrEnum


class State(Enum):
    """Where an SMTP session stands, seen the same way by client, server and tracer."""

    __hash__ = object.__hash__  # members are singletons: identity hashing, at C speed (looked up per line)

    GREETING = "waiting for the greeting"
    INITIAL = "greeted, no EHLO yet"
    READY = "ready (after EHLO)"
    AUTH = "inside an AUTH exchange"
    MAIL = "mail transaction: after MAIL FROM"
    RCPT = "mail transaction: after RCPT TO"
    DATA = "sending the message text"
    TLS_PENDING = "STARTTLS accepted, TLS handshake due"
    CLOSED = "closed"


_ALWAYS = frozenset({"NOOP", "RSET", "QUIT", "HELP", "VRFY", "EXPN", "EHLO", "HELO"})

# RFC 5321 §4.1.4 (order of commands), RFC 4954 §4 (AUTH after EHLO, not during a mail transaction),
# RFC 3207 §4 (STARTTLS after EHLO). A verb missing from a state's set is out of sequence there.
LEGAL: dict[State, frozenset[str]] = {
    State.GREETING: frozenset(),
    State.INITIAL: _ALWAYS,
    State.READY: _ALWAYS | {"MAIL", "AUTH", "STARTTLS"},
    State.AUTH: frozenset(),          # only AUTH responses (base64 or "*") are legal here
    State.MAIL: _ALWAYS | {"RCPT"},
    State.RCPT: _ALWAYS | {"RCPT", "DATA"},
    State.DATA: frozenset(),          # only message text
    State.TLS_PENDING: frozenset(),   # only a TLS handshake
    State.CLOSED: frozenset(),
}

# What the learner should do instead, per state: a key into tutor/data/sequence.toml.
EXPECTED: dict[State, str] = {
    State.GREETING: "sequence.wait-greeting",
    State.INITIAL: "sequence.need-ehlo",
    State.READY: "sequence.ready",
    State.AUTH: "sequence.in-auth",
    State.MAIL: "sequence.need-rcpt",
    State.RCPT: "sequence.need-data",
    State.DATA: "sequence.in-data",
    State.TLS_PENDING: "sequence.need-handshake",
    State.CLOSED: "sequence.closed",
}


def is_legal(state: State, verb: str) -> bool:
    """True when `verb` may be sent in `state`."""
    return verb.upper() in LEGAL[state]


class Trigger(StrEnum):
    """What a reply answers, besides a command verb (a command is its verb: "EHLO", "AUTH", ...)."""

    __hash__ = str.__hash__     # as the string it equals, at C speed (these are looked up per line)

    GREETING = "greeting"
    AUTH_RESPONSE = "auth-response"
    MESSAGE_END = "message-end"
    LINE_TOO_LONG = "line-too-long"      # the server refused an over-long AUTH line (RFC 4954 §4: 500 5.5.6)
    UNSOLICITED = "unsolicited"


class Answer(Enum):
    """A reply code as the state machine reads it."""

    __hash__ = object.__hash__  # members are singletons: identity hashing, at C speed

    SHUTDOWN = "421"             # RFC 5321 §3.8: the server is closing the channel, whatever was asked
    GO_AHEAD = "220"             # greeting / STARTTLS: ready (RFC 3207 §4.2: the handshake comes next)
    BYE = "221"                  # QUIT answered: closing (RFC 5321 §4.1.1.10)
    CONTINUE = "334"             # RFC 4954 §4: the AUTH exchange goes on
    START_DATA = "354"           # RFC 5321 §4.1.1.4: send the message text
    OK = "2xx"                   # any other positive completion
    NO = "other"                 # anything else: refused, failed, or not understood

    @classmethod
    def of(cls, code: int) -> Answer:
        return _SPECIFIC.get(code) or (cls.OK if 200 <= code < 300 else cls.NO)


_SPECIFIC = {421: Answer.SHUTDOWN, 220: Answer.GO_AHEAD, 221: Answer.BYE, 334: Answer.CONTINUE, 354: Answer.START_DATA}


POSITIVE = (Answer.GO_AHEAD, Answer.BYE, Answer.OK)
ANY = None   # from any state (in a Move) / to any answer (in TRANSITIONS' keys)
Move = dict  # from-state (or ANY) -> new state; a state that is not listed stays where it is

# (what was answered, how) -> Move: the one table for client, server and tracer (model: h11's _state.py).
# RFC 5321 §4.1.4: EHLO/HELO start over, RSET ends a transaction; RFC 4954 §4: 334 continues AUTH, anything
# else ends it (a refused AUTH outside an exchange changes nothing); RFC 3207 §4.2: 220 to STARTTLS means the
# handshake comes next; RFC 5321 §4.1.1.10: 221 to QUIT closes.
_TABLE: list[tuple[tuple[str, ...], tuple[Answer | None, ...], Move]] = [
    ((Trigger.GREETING,), (Answer.GO_AHEAD,), {ANY: State.INITIAL}),
    ((Trigger.GREETING,), (Answer.BYE, Answer.CONTINUE, Answer.START_DATA, Answer.OK, Answer.NO),
     {ANY: State.CLOSED}),
    (("QUIT",), (Answer.BYE,), {ANY: State.CLOSED}),
    (("EHLO", "HELO"), POSITIVE, {ANY: State.READY}),
    (("RSET",), POSITIVE, {State.MAIL: State.READY, State.RCPT: State.READY}),
    (("AUTH",), (Answer.CONTINUE,), {ANY: State.AUTH}),      # whatever we thought, the server is in an exchange
    (("AUTH",), (*POSITIVE, Answer.START_DATA, Answer.NO), {State.AUTH: State.READY}),
    ((Trigger.AUTH_RESPONSE,), (Answer.CONTINUE,), {State.AUTH: State.AUTH}),
    ((Trigger.AUTH_RESPONSE, Trigger.LINE_TOO_LONG), (*POSITIVE, Answer.START_DATA, Answer.NO),
     {State.AUTH: State.READY}),
    (("MAIL",), POSITIVE, {ANY: State.MAIL}),
    (("RCPT",), POSITIVE, {ANY: State.RCPT}),
    (("DATA",), (Answer.START_DATA,), {ANY: State.DATA}),
    (("STARTTLS",), (Answer.GO_AHEAD,), {ANY: State.TLS_PENDING}),
    ((Trigger.MESSAGE_END,), (*POSITIVE, Answer.CONTINUE, Answer.START_DATA, Answer.NO), {ANY: State.READY}),
]
TRANSITIONS: dict[tuple[str, Answer | None], Move] = {
    (trigger, answer): move for triggers, answers, move in _TABLE for trigger in triggers for answer in answers}


def next_state(state: State, answered: str, code: int) -> State:
    """The state once a reply `code` answered `answered` (a verb or a Trigger), sent in `state`."""
    answer = Answer.of(code)
    if answer is Answer.SHUTDOWN:
        return State.CLOSED
    move = TRANSITIONS.get((answered, answer), {})
    return move.get(state, move.get(ANY, state))
