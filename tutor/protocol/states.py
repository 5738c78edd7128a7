"""Which command is legal in which SMTP state: one table (ARCHITECTURE.md convention 2, model: h11 _state.py)."""

from __future__ import annotations

from enum import Enum


class State(Enum):
    """Where an SMTP session stands, seen the same way by client, server and tracer."""

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

# What the learner should do instead, per state: a key into tutor/data/notes.toml `sequence.*`.
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


IN_TRANSACTION = frozenset({State.MAIL, State.RCPT, State.DATA})


def after_command(state: State, verb: str, code: int) -> State:
    """The state once `verb`, sent in `state`, got reply `code`: one table for client, server and tracer
    (RFC 5321 §4.1.4: EHLO/RSET reset a transaction; RFC 4954 §4: 334 continues AUTH, anything else ends it;
    RFC 3207 §4.2: 220 to STARTTLS means the handshake comes next)."""
    ok = 200 <= code < 300
    if code == 421 or (verb == "QUIT" and code == 221):
        return State.CLOSED
    if verb in ("EHLO", "HELO"):
        return State.READY if ok else state
    if verb == "RSET":
        return State.READY if ok and state in (State.MAIL, State.RCPT) else state
    if verb == "AUTH":
        if code == 334:                                 # whatever we thought, the server is in an exchange
            return State.AUTH
        return State.READY if state in (State.READY, State.AUTH) else state   # a refused AUTH changes nothing
    moves = {("MAIL", True): State.MAIL, ("RCPT", True): State.RCPT}
    if (verb, ok) in moves:
        return moves[(verb, ok)]
    if verb == "DATA" and code == 354:
        return State.DATA
    if verb == "STARTTLS" and code == 220:
        return State.TLS_PENDING
    return state
