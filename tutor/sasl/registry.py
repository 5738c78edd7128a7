"""The mechanism registry: everything the tutor knows about a SASL mechanism, in one MechanismInfo each.

Every other layer asks here (simulator, REPL completer and autopilot, annotator, tracer, transcripts) instead
of keeping its own list of names or its own rule for which client message carries the secret. A new
mechanism is one module in tutor/sasl/, its words in tutor/data/*.toml and one `register(...)` line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from tutor.errors import InputError
from tutor.sasl.base import ClientMechanism, ServerMechanism


class Exposure(Enum):
    """What someone who records the exchange gets (how the credential travels)."""

    __hash__ = object.__hash__  # members are singletons: identity hashing, at C speed (a dict key per AUTH)

    PLAINTEXT = "plaintext"                       # the password itself, recoverably (PLAIN, LOGIN)
    BEARER_TOKEN = "bearer token"                 # a token that replays like a password (XOAUTH2, OAUTHBEARER)
    CHALLENGE_RESPONSE = "challenge-response"     # a keyed digest: offline guessing (CRAM-MD5)
    ZERO_KNOWLEDGE = "zero-knowledge-ish"         # a salted, iterated proof: slow offline guessing (SCRAM)

    @property
    def recoverable(self) -> bool:
        """Does the password or a password-equivalent cross the wire readably?"""
        return self in (Exposure.PLAINTEXT, Exposure.BEARER_TOKEN)


class Role(Enum):
    """What one client message of an exchange carries."""

    SECRET = "secret"         # the password or bearer token itself: it replays
    IDENTITY = "identity"     # names the user, no secret (LOGIN's first answer, SCRAM's client-first)
    PROOF = "proof"           # derived from the password: lets a recorder guess offline (CRAM digest, SCRAM proof)
    OTHER = "other"           # not described (an unknown mechanism's, or past the described ones)
    NONE = "none"             # described as carrying nothing of the credential


@dataclass(frozen=True)
class MechanismInfo:
    """What the rest of the tutor needs to know about one mechanism."""

    name: str                                           # upper-case IANA name, e.g. "CRAM-MD5"
    client_first: bool                                  # may the client send an initial response?
    exposure: Exposure                                  # how the credential travels
    client: Callable[..., ClientMechanism]              # client(Credentials, **options)
    server: Callable[..., ServerMechanism]              # server(lookup: SecretLookup, **options)
    summary_key: str                                    # tutor.explain key for a one-line summary
    spec: str | None                                    # a doc key of tutor/data/citations.toml; None: no RFC
    roles: tuple[Role, ...]                             # client messages 1, 2, ... (the initial response is 1)
    family: str = ""                                    # how it is annotated and traced: "plain", "login",
                                                        # "cram", "scram", "bearer"; "" reads payloads as text
    helper: str = ""                                    # the `:helper` command that builds its messages
    server_options: tuple[str, ...] = ()                # simulator settings its server takes, by keyword
    offered: bool = True                                # may the simulator's profiles offer it by default?
    decode: Callable[[bytes, int], dict[str, str]] | None = None   # tracer decoder for a family "" mechanism:
                                                        # (payload, message number) -> {"user"/"password"/"token": ...}

    @property
    def plaintext(self) -> bool:
        """Does the password (or a token as good as one) cross the wire recoverably?"""
        return self.exposure.recoverable

    @property
    def bearer(self) -> bool:
        """Is the secret an OAuth bearer token (replayable, but not the password)?"""
        return self.exposure is Exposure.BEARER_TOKEN

    def role(self, number: int) -> Role:
        """The role of client message `number` (1-based; the initial response is message 1)."""
        return self.roles[number - 1] if 1 <= number <= len(self.roles) else Role.OTHER


MECHANISMS: dict[str, MechanismInfo] = {}
_NAMES: dict[bool, tuple[str, ...]] = {}   # names(), by offered_only; emptied when a mechanism comes or goes


def register(info: MechanismInfo) -> MechanismInfo:
    """Add a mechanism to MECHANISMS under its upper-case name."""
    if info.name != info.name.upper() or info.name in MECHANISMS:
        raise ValueError(f"mechanism name must be upper case and new: {info.name!r}")
    MECHANISMS[info.name] = info
    _forget_derived()
    return info


def unregister(name: str) -> None:
    """Take a mechanism out again (tests that register a toy one)."""
    MECHANISMS.pop(name, None)
    _forget_derived()


def _forget_derived() -> None:
    """A mechanism came or went: what was worked out from the registry is worked out again."""
    _NAMES.clear()
    carries_secret.cache_clear()


def get(name: str) -> MechanismInfo:
    """The mechanism called `name`, in any case (RFC 4954 §8: names MUST be accepted case-insensitively)."""
    info = find(name)
    if info is None:
        raise InputError(f"unknown SASL mechanism {name!r}; known: {', '.join(MECHANISMS)}")
    return info


def find(name: str | None) -> MechanismInfo | None:
    """The mechanism called `name` in any case, or None (ASCII only: "plaın".upper() == "PLAIN")."""
    return MECHANISMS.get(name.upper()) if name and name.isascii() else None


def names(*, offered_only: bool = False) -> tuple[str, ...]:
    """Every registered mechanism name, in registration order (or only those profiles offer by default)."""
    found = _NAMES.get(offered_only)
    if found is None:
        found = _NAMES[offered_only] = tuple(name for name, info in MECHANISMS.items()
                                             if info.offered or not offered_only)
    return found


def message_role(mechanism: str | None, number: int) -> Role:
    """The role of client message `number` (1-based) of an exchange of `mechanism`: THE rule for which line
    carries the secret. An unknown mechanism's messages are OTHER (nothing is known about them)."""
    info = find(mechanism)
    return info.role(number) if info is not None else Role.OTHER


@functools.lru_cache(maxsize=512)
def carries_secret(mechanism: str | None, number: int) -> bool:
    """Does client message `number` carry the password or token itself (PLAIN's message, LOGIN's second
    answer, the XOAUTH2/OAUTHBEARER message)? What logs and notes mask, and what replays. (Remembered: `serve`
    asks for every AUTH line a log or a view reads; forgotten when a mechanism comes or goes.)"""
    return message_role(mechanism, number) is Role.SECRET


def first_secret_message(mechanism: str | None) -> int | None:
    """The number of the first client message that carries the password or token, or None (none does, or the
    mechanism is unknown). A listener treats what the client sends after it in the same exchange as suspect."""
    info = find(mechanism)
    roles = info.roles if info is not None else ()
    return next((number for number, role in enumerate(roles, 1) if role is Role.SECRET), None)


def recorded_as_secret(mechanism: str | None, number: int) -> bool:
    """Is client message `number` marked secret in a session's transcript, display and history? Every one but
    those described as carrying nothing: besides the SECRET one, the others name the user or let a recorder
    guess the password offline, and nothing is known of an unknown mechanism's (RFC 4954 §4: AUTH responses
    carry credentials). Stricter than carries_secret, by role all the same, never by what a line decodes to."""
    return message_role(mechanism, number) is not Role.NONE
