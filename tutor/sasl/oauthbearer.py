"""OAUTHBEARER (RFC 7628): GS2 header, ^A-separated host/port/auth pairs, JSON error challenge, the client's ^A."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.errors import InputError
from tutor.sasl import gs2, tokens
from tutor.sasl.base import Credentials, SecretLookup, Step
from tutor.sasl.bearer import BearerClient, BearerServer, TokenCheck

NAME = "OAUTHBEARER"
KVSEP = "\x01"
# RFC 7628 §4.3's example error; status is REQUIRED, scope and openid-configuration OPTIONAL (§3.2.2).
RFC_ERROR = {"status": "invalid_token", "scope": "example_scope",
             "openid-configuration": "https://example.com/.well-known/openid-configuration"}
_KEY = re.compile(r"[A-Za-z]+")                       # RFC 7628 §3.1: key = 1*(ALPHA)
_VALUE = re.compile(r"[\x21-\x7e \t\r\n]*")           # value = *(VCHAR / SP / HTAB / CR / LF)
_AUTH = re.compile(r"([A-Za-z]+) +(\S+)")             # "Bearer" 1*SP b64token


@dataclass(frozen=True)
class OAuthBearerMessage:
    """A parsed client message: the GS2 header's authzid (the user) and the key/value pairs."""

    authzid: str
    token: str = field(repr=False)
    host: str = ""
    port: str = ""
    flag: str = "n"
    pairs: dict = field(default_factory=dict, repr=False)


def build(user: str, token: str, host: str = "", port: int | str | None = None) -> bytes:
    """`n,a=<user>,` ^A [`host=` h ^A] [`port=` p ^A] `auth=Bearer <token>` ^A ^A (RFC 7628 §3.1)."""
    pairs = [("host", host), ("port", "" if port is None else str(port)), ("auth", f"Bearer {token}")]
    body = "".join(f"{key}={value}{KVSEP}" for key, value in pairs if value)
    for key, value in pairs:
        if not _VALUE.fullmatch(value):
            raise InputError(f"the OAUTHBEARER {key} value holds a character RFC 7628 §3.1 does not allow: {value!r}")
    if not _AUTH.fullmatch(pairs[2][1]):
        raise InputError("the OAUTHBEARER token must be non-empty and hold no spaces")
    return (gs2.build("n", user) + KVSEP + body + KVSEP).encode("utf-8")


def _pairs(rest: str) -> dict[str, str]:
    if not (rest.startswith(KVSEP) and rest.endswith(KVSEP) and len(rest) >= 2):
        raise InputError("after the GS2 header an OAUTHBEARER message is ^A, key=value^A pairs, then ^A "
                         "(RFC 7628 §3.1)")
    body = rest[1:-1]
    items = body.split(KVSEP) if body else [""]
    if items[-1] != "":
        raise InputError("each OAUTHBEARER key=value pair ends with ^A (RFC 7628 §3.1)")
    pairs: dict[str, str] = {}
    for item in items[:-1]:
        key, eq, value = item.partition("=")
        if not eq or not _KEY.fullmatch(key) or not _VALUE.fullmatch(value):
            raise InputError(f"an OAUTHBEARER pair is letters=value (RFC 7628 §3.1), not {item[:30]!r}")
        pairs[key] = value
    return pairs


def parse(blob: bytes) -> OAuthBearerMessage:
    """Split an OAUTHBEARER client message; InputError if it breaks RFC 7628 §3.1."""
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("an OAUTHBEARER message is UTF-8 (RFC 7628 §3.1)") from None
    header, rest = gs2.parse(text)
    if header.flag == "p":
        raise InputError("OAUTHBEARER has no channel binding, so the GS2 flag must be n or y, not p= (RFC 7628 §3.1)")
    pairs = _pairs(rest)
    match = _AUTH.fullmatch(pairs.get("auth", ""))
    if not match or match.group(1).lower() != "bearer":
        raise InputError("an OAUTHBEARER message needs auth=Bearer <token> (RFC 7628 §3.1)")
    return OAuthBearerMessage(header.authzid, match.group(2), pairs.get("host", ""), pairs.get("port", ""),
                              header.flag, pairs)


def steps(user: str, token: str, host: str = "", port: int | str | None = None) -> list[Step]:
    """The GS2 header, each pair, and the joined message, for teaching."""
    message = build(user, token, host, port)
    out = [Step("oauth.step.gs2-header", gs2.build("n", user), "oauth.note.gs2-header", {"user": user})]
    if host:
        out.append(Step("oauth.step.host", host, "oauth.note.host"))
    if port is not None:
        out.append(Step("oauth.step.port", str(port), "oauth.note.port"))
    out.append(Step("oauth.step.token", token, "oauth.note.token", secret=True))
    out.append(Step("oauth.step.message", message, "oauth.note.oauthbearer-message", {"octets": len(message)},
                    secret=True))
    return out


class OAuthBearerClient(BearerClient):
    """Client side: the message as the initial response; after a JSON error challenge, a single ^A (0x01)."""

    name = NAME
    ACK = b"\x01"                 # RFC 7628 §3.2.3: the client MUST answer an error with a single %x01 (or abort)
    ACK_NOTE = "oauth.note.oauthbearer-ack"

    def __init__(self, credentials: Credentials, host: str = "", port: int | str | None = None) -> None:
        super().__init__()
        self._creds, self._host, self._port = credentials, host, port

    def message(self) -> tuple[bytes, list[Step]]:
        user = self._creds.authzid or self._creds.authcid
        args = (user, self._creds.secret, self._host, self._port)
        return build(*args), steps(*args)


class OAuthBearerServer(BearerServer):
    """Server side: `token_check(user, token)` with the GS2 authzid as the user; errors as RFC 7628 §3.2.2 JSON."""

    name = NAME
    ACK = b"\x01"
    ACK_NOTE = "oauth.note.oauthbearer-ack"
    DEFAULT_ERROR = RFC_ERROR

    def __init__(self, token_check: TokenCheck, error: dict | None = None) -> None:
        super().__init__(token_check, error)

    def parse(self, blob: bytes) -> tuple[str, str, list[Step]]:
        msg = parse(blob)
        trail = [Step("sasl.step.server.username", msg.authzid)]
        if msg.flag == "y":
            trail.append(Step("oauth.step.gs2-header", "y", "oauth.note.gs2-y"))
        if msg.host or msg.port:
            trail.append(Step("oauth.step.host", f"{msg.host}:{msg.port}", "oauth.note.host-port"))
        trail.append(Step("oauth.step.token", msg.token, "oauth.note.token", secret=True))
        return msg.authzid, msg.token, trail


def lab_server(lookup: SecretLookup, secret_key: bytes | str = tokens.LAB_KEY, **options) -> OAuthBearerServer:
    """The registry's server(lookup, **options): accepts tokens.issue(user) for users `lookup` knows."""
    return OAuthBearerServer(tokens.checker(lookup, secret_key), **options)
