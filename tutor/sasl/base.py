"""Shared SASL types: credentials, teaching steps, server outcomes and the mechanism interfaces.

Mechanisms work on raw bytes only: no base64, no `334`, no SMTP framing (docs/ARCHITECTURE.md convention 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from tutor.errors import LocalProtocolError


@dataclass(frozen=True)
class Credentials:
    """Who logs in. The secret is a password, or a bearer token for the OAuth mechanisms."""

    authcid: str
    secret: str = field(repr=False)
    authzid: str = ""

    def __repr__(self) -> str:  # convention 14: never show the secret
        return f"Credentials(authcid={self.authcid!r}, secret='***', authzid={self.authzid!r})"


@dataclass(frozen=True)
class Step:
    """One teaching step: a label key, the value it produced, and an optional note key with params.

    `label` and `note` are keys into tutor/data/*.toml (see tutor.explain); `value` is bytes or text.
    `secret` marks values that reveal a password (so displays and transcripts can mask them).
    """

    label: str
    value: bytes | str
    note: str | None = None
    params: dict = field(default_factory=dict)
    secret: bool = False


class Trail(list):
    """The teaching steps a mechanism records as it works. A trail made with `teaching=False` keeps none: a
    server whose reasoning nobody reads (`smtp-tutor serve` with no log, record or view) skips making them and
    the formatting they need, and reaches the same verdict with the same bytes."""

    def __init__(self, teaching: bool = True) -> None:
        super().__init__()
        self.teaching = teaching

    def add(self, label: str, value: bytes | str, note: str | None = None, params: dict | None = None,
            secret: bool = False) -> None:
        """Record a Step (when teaching)."""
        if self.teaching:
            self.append(Step(label, value, note, {} if params is None else params, secret))


def step_bytes(steps: Iterable[Step], label: str) -> bytes:
    """The value of the step labelled `label` where it is a message on the wire (bytes, not text)."""
    value = next(s.value for s in steps if s.label == label)
    if not isinstance(value, bytes):
        raise TypeError(f"step {label} holds text, not the bytes of a message")
    return value


@dataclass(frozen=True)
class AuthResult:
    """What a server-side credential check concluded (convention 7: a small frozen result)."""

    success: bool
    authcid: str = ""
    authzid: str = ""
    reason: str = ""            # key of why it failed, e.g. "no-such-user", "bad-password", "authzid-denied"


# A server's way to learn a user's secret; returns None for an unknown user.
SecretLookup = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Challenge:
    """Server outcome: send this (raw, not yet base64) challenge and wait for the client's answer."""

    data: bytes
    steps: tuple[Step, ...] = ()
    looked_up: str | None = None   # the user this challenge was made for, when the mechanism looked one up


@dataclass(frozen=True)
class Done:
    """Server outcome: the exchange is over with this result."""

    result: AuthResult
    steps: tuple[Step, ...] = ()


ServerOutcome = Challenge | Done


class ClientMechanism(Protocol):
    """Client side of one exchange. Stages are explicit: using it out of order raises LocalProtocolError."""

    name: str

    def initial_response(self) -> bytes | None:
        """Bytes for `AUTH MECH <initial-response>`, or None for a server-first mechanism."""

    def respond(self, challenge: bytes) -> bytes:
        """Answer a (decoded) server challenge."""

    def steps(self) -> list[Step]:
        """Every intermediate value computed so far, in order, for teaching."""


class ServerMechanism(Protocol):
    """Server side of one exchange. `teaching` False: the outcomes carry no steps (nobody reads them)."""

    name: str
    teaching: bool

    def start(self, initial: bytes | None) -> ServerOutcome:
        """Begin, with the client's decoded initial response (None if it sent none)."""

    def receive(self, response: bytes) -> ServerOutcome:
        """Take the client's decoded answer to the last challenge."""


class Stage(Enum):
    """Where one side of an exchange stands; the value names the call (or message) that must come next.

    One enum for every mechanism, client and server (model: scramp's ClientStage/ServerStage), so "the next
    call is X, not Y" is said the same way everywhere (Staged.require).
    """

    __hash__ = object.__hash__  # members are singletons: identity hashing, at C speed

    START = "start()"                                               # server: nothing happened yet
    FIRST = "initial_response() or an empty challenge"              # client: nothing sent yet
    USERNAME = "the user name"                                      # LOGIN, both sides
    PASSWORD = "the password"                                       # LOGIN, both sides
    CLIENT_MESSAGE = "receive(the client's message)"                # server: the (only) client message
    CLIENT_FIRST = "receive(client-first)"                          # SCRAM server
    CLIENT_FINAL = "receive(client-final)"                          # SCRAM server
    CLIENT_ACK = "receive(the client's answer to the last challenge)"  # after an error or v= challenge
    SERVER_FIRST = "the server-first message"                       # SCRAM client
    SERVER_FINAL = "the server-final message (v=...)"               # SCRAM client
    SERVER_REPLY = "the server's reply or error challenge"          # bearer client, token sent
    FINAL_REPLY = "the server's final reply"                        # client: everything sent
    DONE = "nothing: the exchange is over"                          # server: verdict given
    FAILED = "nothing: the exchange failed; cancel it with '*'"     # client: the server proved wrong


class Staged:
    """The one stage check the SASL classes share: `_stage` holds a Stage, `require` refuses a call out of turn."""

    name: str
    _stage: Stage
    teaching = True    # servers: make the teaching steps (tutor.sim turns it off when nobody reads them)

    def require(self, what: str, *allowed: Stage) -> Stage:
        """The current stage if it is one of `allowed`; else LocalProtocolError "<NAME> <what>; expected <next>"."""
        if self._stage not in allowed:
            raise LocalProtocolError(f"{self.name} {what}; expected {self.expected}")
        return self._stage

    @property
    def expected(self) -> str:
        """What the next call must be, in words."""
        return self._stage.value
