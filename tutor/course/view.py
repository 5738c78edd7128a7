"""What a lesson check sees: a snapshot of the connection (View) and one learner action (Attempt)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutor.protocol.capabilities import Capabilities
from tutor.protocol.replies import Reply
from tutor.protocol.states import State

if TYPE_CHECKING:
    from tutor.interfaces import SessionLike

COMMAND, AUTH_RESPONSE, MESSAGE, HELPER = "command", "auth-response", "message", "helper"


@dataclass(frozen=True)
class View:
    """The client's view of the connection at one moment: state, TLS, capabilities, the AUTH exchange."""

    state: State = State.INITIAL
    line_kind: str = COMMAND
    tls: bool = False
    authenticated: bool = False
    capabilities: Capabilities = field(default_factory=Capabilities)
    mechanism: str | None = None          # the AUTH exchange in progress (None outside one)
    responses: int = 0                    # client messages sent in it so far (initial response included)
    challenge: bytes | None = None        # the last 334 challenge, decoded
    last_reply: Reply | None = None
    closed: bool = False
    live: bool = False
    messages: tuple = ()                  # the last AUTH exchange: ("C" | "S", decoded bytes), in order

    @property
    def in_auth(self) -> bool:
        return self.state is State.AUTH


@dataclass(frozen=True)
class Attempt:
    """One thing the learner did: a line sent to the server, or a helper command run in the tutor.

    `before` is the view when the line was typed, `after` once the server answered; `reply` is the reply
    to this line (None when none came, e.g. a line of message text). A helper's `result` lets a check judge
    what it really computed (a digest from a password typed at a prompt).
    """

    before: View
    after: View
    line: bytes | None = None
    reply: Reply | None = None
    helper: str | None = None
    args: tuple[str, ...] = ()
    result: Any = None                    # what the helper computed (its Result.data), when the caller has it

    @property
    def kind(self) -> str:
        return HELPER if self.helper is not None else self.before.line_kind


def view_of(session: SessionLike) -> View:
    """Snapshot a tutor.session.Session (duck-typed: its `client`, `auth`, `transport`, `closed`)."""
    client = session.client
    auth = session.auth
    active = bool(getattr(auth, "active", False)) and client.state is State.AUTH
    return View(
        state=client.state,
        line_kind=client.line_kind() if client.line_kind() != "message" else MESSAGE,
        tls=bool(client.tls),
        authenticated=bool(client.authenticated),
        capabilities=client.capabilities,
        mechanism=auth.mechanism if active else None,
        responses=auth.responses if active else 0,
        challenge=auth.last_challenge,
        last_reply=client.last_reply,
        closed=bool(getattr(session, "closed", False)),
        live=not getattr(session.transport, "is_simulator", True),
        messages=tuple(getattr(auth, "messages", ())),
    )


def reply_between(before: View, after: View) -> Reply | None:
    """The reply that arrived between two views (None if the last reply did not change)."""
    if after.last_reply is None or after.last_reply is before.last_reply:
        return None
    return after.last_reply
