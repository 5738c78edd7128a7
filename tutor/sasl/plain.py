"""The PLAIN mechanism (RFC 4616): build and parse the one message, client and server sides, teaching steps."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from tutor.errors import InputError, RemoteProtocolError
from tutor.sasl.base import (
    AuthResult,
    Challenge,
    Credentials,
    Done,
    SecretLookup,
    ServerOutcome,
    Stage,
    Staged,
    Step,
    Trail,
)

NAME = "PLAIN"
NUL = b"\x00"
# RFC 4616 §2: servers MUST accept each field up to 255 octets; no field length cap is set here.

# (authcid, authzid) -> may authcid act as authzid? Called only for a non-empty authzid that differs from authcid.
AuthzPolicy = Callable[[str, str], bool]


@dataclass(frozen=True)
class PlainFields:
    """The three fields of a PLAIN message, in wire order."""

    authzid: str
    authcid: str
    password: str = field(repr=False)

    def __repr__(self) -> str:  # convention 14
        return f"PlainFields(authzid={self.authzid!r}, authcid={self.authcid!r}, password='***')"


def build(authcid: str, password: str, authzid: str = "") -> bytes:
    """`[authzid] NUL authcid NUL passwd` as UTF-8 (RFC 4616 §2)."""
    for what, value in (("authzid", authzid), ("authcid", authcid), ("password", password)):
        if "\x00" in value:  # RFC 4616 §2: NUL MUST NOT appear inside a field
            raise InputError(f"PLAIN {what} must not contain a NUL character (RFC 4616 §2)")
    for what, value in (("authcid", authcid), ("password", password)):
        if not value:  # RFC 4616 §2 ABNF: authcid = 1*SAFE, passwd = 1*SAFE
            raise InputError(f"PLAIN {what} must not be empty (RFC 4616 §2)")
    return NUL.join(part.encode("utf-8") for part in (authzid, authcid, password))


def parse(blob: bytes) -> PlainFields:
    """Split a PLAIN message into its fields; InputError unless it is exactly three NUL-separated UTF-8 fields."""
    parts = blob.split(NUL)
    if len(parts) != 3:
        raise InputError(
            f"a PLAIN message has exactly 3 fields separated by 2 NULs (authzid NUL authcid NUL password); "
            f"this one has {len(parts)} field(s)"
        )
    try:  # RFC 4616 §2: the fields are UTF-8
        authzid, authcid, password = (part.decode("utf-8") for part in parts)
    except UnicodeDecodeError as exc:
        raise InputError(f"a PLAIN message must be UTF-8 (RFC 4616 §2); bad byte at offset {exc.start}") from None
    return PlainFields(authzid, authcid, password)


def steps(authcid: str, password: str, authzid: str = "") -> list[Step]:
    """Each field, then the joined message (NULs and all), for teaching."""
    message = build(authcid, password, authzid)
    authz_note = "sasl.note.plain.authzid-empty" if not authzid else "sasl.note.plain.authzid-set"
    return [
        Step("sasl.step.plain.authzid", authzid, authz_note, {"authcid": authcid}),
        Step("sasl.step.plain.authcid", authcid),
        Step("sasl.step.plain.password", password, secret=True),
        Step("sasl.step.plain.message", message, "sasl.note.plain.no-protection", {"octets": len(message)},
             secret=True),
    ]


class PlainClient(Staged):
    """Client side: one message, sent as the initial response or after the server's empty challenge."""

    name = NAME

    def __init__(self, credentials: Credentials) -> None:
        self._creds = credentials
        self._steps: list[Step] = []
        self._stage = Stage.FIRST

    def _message(self) -> bytes:
        self.require("sends a single message and it was already sent", Stage.FIRST)
        c = self._creds
        blob = build(c.authcid, c.secret, c.authzid)
        self._steps = steps(c.authcid, c.secret, c.authzid)
        self._stage = Stage.FINAL_REPLY
        return blob

    def initial_response(self) -> bytes:
        """The whole message; calling this means it is being sent with `AUTH PLAIN <initial-response>`."""
        return self._message()

    def respond(self, challenge: bytes) -> bytes:
        """Answer the server's empty challenge (`334 `, RFC 4616 §2: the client sends first) with the message."""
        if challenge:
            raise RemoteProtocolError(f"a PLAIN server's challenge must be empty, got {challenge!r}")
        return self._message()

    def steps(self) -> list[Step]:
        return list(self._steps)


class PlainServer(Staged):
    """Server side: empty challenge if needed, then check the one message."""

    name = NAME

    def __init__(self, lookup: SecretLookup, allow_authzid: AuthzPolicy | None = None) -> None:
        self._lookup = lookup
        self._allow_authzid = allow_authzid
        self._stage = Stage.START

    def start(self, initial: bytes | None) -> ServerOutcome:
        self.require("server already started", Stage.START)
        if initial is None:
            self._stage = Stage.CLIENT_MESSAGE
            trail = Trail(self.teaching)
            trail.add("sasl.step.server.empty-challenge", b"", "sasl.note.plain.empty-challenge")
            return Challenge(b"", tuple(trail))
        return self._finish(initial)

    def receive(self, response: bytes) -> ServerOutcome:
        self.require("server got a response out of turn", Stage.CLIENT_MESSAGE)
        return self._finish(response)

    def _finish(self, blob: bytes) -> Done:
        self._stage = Stage.DONE
        result, trail = check(blob, self._lookup, self._allow_authzid, self.teaching)
        return Done(result, tuple(trail))


def check(blob: bytes, lookup: SecretLookup, allow_authzid: AuthzPolicy | None = None,
          teaching: bool = True) -> tuple[AuthResult, list[Step]]:
    """Verify a PLAIN message as a server would (RFC 4616 §2), with the server's reasoning as steps (none when
    not `teaching`)."""
    trail = Trail(teaching)
    try:
        f = parse(blob)
    except InputError as exc:
        trail.add("sasl.step.server.malformed", blob, "sasl.note.server.malformed", {"error": str(exc)}, secret=True)
        return AuthResult(False, reason="malformed"), trail
    trail.add("sasl.step.server.authzid", f.authzid)
    trail.add("sasl.step.server.authcid", f.authcid)
    trail.add("sasl.step.server.password", f.password, secret=True)
    if not f.authcid or not f.password:  # RFC 4616 §2 ABNF: both are 1*SAFE
        trail.add("sasl.step.server.malformed", blob, "sasl.note.plain.empty-field", secret=True)
        return AuthResult(False, f.authcid, f.authzid, "malformed"), trail
    result = _check_password(f, lookup, trail)
    if result is None:
        result = _check_authzid(f, allow_authzid, trail)
    return result, trail


def _check_password(f: PlainFields, lookup: SecretLookup, trail: Trail) -> AuthResult | None:
    """None if the password is right; otherwise the failure."""
    secret = lookup(f.authcid)
    if secret is None:
        trail.add("sasl.step.server.lookup", f.authcid, "sasl.note.server.no-such-user", {"authcid": f.authcid})
        return AuthResult(False, f.authcid, f.authzid, "no-such-user")
    same = hmac.compare_digest(f.password.encode("utf-8"), secret.encode("utf-8"))
    trail.add("sasl.step.server.compare", "match" if same else "no match", "sasl.note.server.constant-time")
    return None if same else AuthResult(False, f.authcid, f.authzid, "bad-password")


def _check_authzid(f: PlainFields, allow: AuthzPolicy | None, trail: Trail) -> AuthResult:
    """RFC 4616 §2: after the credentials verify, may authcid act as authzid?"""
    if not f.authzid or f.authzid == f.authcid:
        trail.add("sasl.step.server.authorize", f.authcid, "sasl.note.server.authzid-self", {"authcid": f.authcid})
        return AuthResult(True, f.authcid, f.authcid)
    if allow is not None and allow(f.authcid, f.authzid):
        trail.add("sasl.step.server.authorize", f.authzid, "sasl.note.server.authzid-allowed",
                  {"authcid": f.authcid, "authzid": f.authzid})
        return AuthResult(True, f.authcid, f.authzid)
    trail.add("sasl.step.server.authorize", f.authzid, "sasl.note.server.authzid-denied",
              {"authcid": f.authcid, "authzid": f.authzid})
    return AuthResult(False, f.authcid, f.authzid, "authzid-denied")
