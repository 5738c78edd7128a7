"""Google's XOAUTH2: `user=<user>^Aauth=Bearer <token>^A^A`, a JSON error challenge, and the client's empty answer."""

from __future__ import annotations

import re
from typing import NamedTuple

from tutor.errors import InputError
from tutor.sasl import tokens
from tutor.sasl.base import Credentials, SecretLookup, Step
from tutor.sasl.bearer import BearerClient, BearerServer, TokenCheck

NAME = "XOAUTH2"
# The error Google documents (developers.google.com .../gmail/imap/xoauth2-protocol), sent as a 334 challenge.
GOOGLE_ERROR = {"status": "401", "schemes": "bearer mac", "scope": "https://mail.google.com/"}
_MESSAGE = re.compile(rb"user=([^\x01]*)\x01auth=([A-Za-z]+) ([^\x01]*)\x01\x01", re.DOTALL)


class XOauth2Message(NamedTuple):
    """A parsed XOAUTH2 message. Unpacks as (user, token)."""

    user: str
    token: str

    def __repr__(self) -> str:  # convention 14: a bearer token is as good as a password until it expires
        return f"XOauth2Message(user={self.user!r}, token='***')"


def build(user: str, token: str) -> bytes:
    """`user=` user ^A `auth=Bearer ` token ^A ^A (no base64: the protocol layer adds it)."""
    for what, value in (("user", user), ("token", token)):
        if "\x01" in value:
            raise InputError(f"the XOAUTH2 {what} must not contain ^A (0x01): it separates the fields")
        if not value:
            raise InputError(f"the XOAUTH2 {what} must not be empty")
    return b"user=" + user.encode("utf-8") + b"\x01auth=Bearer " + token.encode("utf-8") + b"\x01\x01"


def parse(blob: bytes) -> XOauth2Message:
    """Split an XOAUTH2 message; InputError unless it is `user=...^Aauth=Bearer ...^A^A`."""
    match = _MESSAGE.fullmatch(blob)
    if not match:
        raise InputError("an XOAUTH2 message is user=<user>^Aauth=Bearer <token>^A^A (^A is the byte 0x01)")
    if match.group(2).lower() != b"bearer":
        raise InputError(f"XOAUTH2 expects 'auth=Bearer <token>', not auth={match.group(2)[:20]!r}")
    try:
        return XOauth2Message(match.group(1).decode("utf-8"), match.group(3).decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("the XOAUTH2 user or token is not UTF-8") from None


def steps(user: str, token: str) -> list[Step]:
    """The fields and the joined message, for teaching."""
    message = build(user, token)
    return [
        Step("oauth.step.user", user, "oauth.note.xoauth2-user"),
        Step("oauth.step.token", token, "oauth.note.token", secret=True),
        Step("oauth.step.message", message, "oauth.note.xoauth2-message", {"octets": len(message)}, secret=True),
    ]


class XOauth2Client(BearerClient):
    """Client side: the message as the initial response; after a JSON error challenge, an empty answer."""

    name = NAME
    ACK = b""
    ACK_NOTE = "oauth.note.xoauth2-ack"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._creds = credentials

    def message(self) -> tuple[bytes, list[Step]]:
        return build(self._creds.authcid, self._creds.secret), steps(self._creds.authcid, self._creds.secret)


class XOauth2Server(BearerServer):
    """Server side: `token_check(user, token)`; a bad token gets Google's JSON error, then failure."""

    name = NAME
    ACK = b""
    ACK_NOTE = "oauth.note.xoauth2-ack"
    DEFAULT_ERROR = GOOGLE_ERROR

    def __init__(self, token_check: TokenCheck, error: dict | None = None) -> None:
        super().__init__(token_check, error)

    def parse(self, blob: bytes) -> tuple[str, str, list[Step]]:
        user, token = parse(blob)
        return user, token, [Step("sasl.step.server.username", user),
                             Step("oauth.step.token", token, "oauth.note.token", secret=True)]


def lab_server(lookup: SecretLookup, secret_key: bytes | str = tokens.LAB_KEY, **options) -> XOauth2Server:
    """The registry's server(lookup, **options): accepts tokens.issue(user) for users `lookup` knows."""
    return XOauth2Server(tokens.checker(lookup, secret_key), **options)
