"""The DIGEST-MD5 mechanism (RFC 2831, Historic since RFC 6331): fields, response and rspauth, both sides."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from tutor.errors import InputError
from tutor.sasl.base import AuthResult, Challenge, Credentials, Done, SecretLookup, ServerOutcome, Stage, Staged, Step

NAME = "DIGEST-MD5"
MAX_CHALLENGE = 2048            # RFC 2831 §2.1.1: the challenge is at most 2048 bytes
MAX_RESPONSE = 4096             # RFC 2831 §2.1.2: the response is at most 4096 bytes
MAX_FIELDS = 64
CHALLENGE_FIELDS = ("realm", "nonce", "qop", "algorithm", "charset", "maxbuf", "stale", "cipher")
RESPONSE_FIELDS = ("username", "realm", "nonce", "cnonce", "nc", "qop", "digest-uri", "response", "authzid",
                   "charset", "maxbuf")
ZERO_BODY = ":00000000000000000000000000000000"   # RFC 2831 §2.1.2.1: A2's suffix for qop auth-int / auth-conf
STEP_KEYS = "mechs.step.digest."


def _split(data: bytes, limit: int) -> list[tuple[str, str]]:
    """`name=value, name="quoted \\" value"` pairs in order; InputError when malformed."""
    if len(data) > limit:
        raise InputError(f"a DIGEST-MD5 message is at most {limit} bytes (RFC 2831 §2.1.1, §2.1.2); "
                         f"this one has {len(data)}")
    text = data.decode("utf-8", "replace")
    pairs: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        at = _skip(text, at)
        if at >= len(text):
            break
        equals = text.find("=", at)
        if equals < 0:
            raise InputError(f"a DIGEST-MD5 field has no '=': {text[at:at + 40]!r}")
        name = text[at:equals].strip().lower()
        value, at = _value(text, equals + 1)
        pairs.append((name, value))
        if len(pairs) > MAX_FIELDS:
            raise InputError(f"a DIGEST-MD5 message has more than {MAX_FIELDS} fields")
    return pairs


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t,":
        at += 1
    return at


def _value(text: str, at: int) -> tuple[str, int]:
    """One value: a quoted-string (backslash quotes the next character) or a token up to the next comma."""
    if at < len(text) and text[at] == '"':
        out, at = [], at + 1
        while at < len(text) and text[at] != '"':
            if text[at] == "\\" and at + 1 < len(text):
                at += 1
            out.append(text[at])
            at += 1
        if at >= len(text):
            raise InputError("a DIGEST-MD5 quoted value is not closed")
        return "".join(out), at + 1
    end = text.find(",", at)
    end = len(text) if end < 0 else end
    return text[at:end].strip(), end


def parse_challenge(data: bytes) -> dict[str, str]:
    """The server's digest-challenge (RFC 2831 §2.1.1): realms joined by ", ", the rest as given."""
    fields: dict[str, str] = {}
    for name, value in _split(data, MAX_CHALLENGE):
        fields[name] = f"{fields[name]}, {value}" if name == "realm" and name in fields else value
    if "nonce" not in fields:
        raise InputError("a DIGEST-MD5 challenge must have a nonce (RFC 2831 §2.1.1)")
    return fields


def parse_response(data: bytes) -> dict[str, str]:
    """The client's digest-response (RFC 2831 §2.1.2); InputError if a required field is missing."""
    fields = dict(_split(data, MAX_RESPONSE))
    missing = [k for k in ("username", "nonce", "cnonce", "nc", "digest-uri", "response") if k not in fields]
    if missing:
        raise InputError(f"a DIGEST-MD5 response lacks {', '.join(missing)} (RFC 2831 §2.1.2)")
    fields.setdefault("qop", "auth")
    fields.setdefault("realm", "")
    return fields


def is_rspauth(data: bytes) -> bool:
    return data.lstrip().lower().startswith(b"rspauth=")


def _encode(text: str, charset_utf8: bool) -> bytes:
    """RFC 2831 §2.1.2.1: with charset=utf-8, values that fit ISO 8859-1 are hashed in ISO 8859-1."""
    if charset_utf8:
        try:
            return text.encode("iso-8859-1")
        except UnicodeEncodeError:
            return text.encode("utf-8")
    return text.encode("iso-8859-1", "replace")


def _hex(data: bytes) -> bytes:
    return hashlib.md5(data).hexdigest().encode("ascii")


def user_hash(fields: Mapping[str, str], password: bytes) -> bytes:
    """H({ username-value, ":", realm-value, ":", passwd }): 16 octets, what a server may store instead."""
    utf8 = fields.get("charset", "").lower() == "utf-8"
    return hashlib.md5(_encode(fields["username"], utf8) + b":" + _encode(fields.get("realm", ""), utf8)
                       + b":" + password).digest()


def _digest(fields: Mapping[str, str], stored: bytes, a2_prefix: bytes) -> str:
    """RFC 2831 §2.1.2.1 (and §2.1.3 for rspauth, whose A2 has no "AUTHENTICATE")."""
    a1 = stored + f":{fields['nonce']}:{fields['cnonce']}".encode()
    if fields.get("authzid"):
        a1 += b":" + fields["authzid"].encode("utf-8")
    qop = fields.get("qop", "auth")
    a2 = a2_prefix + b":" + fields["digest-uri"].encode("utf-8") + (ZERO_BODY.encode() if qop != "auth" else b"")
    kd = b":".join((_hex(a1), fields["nonce"].encode("utf-8"), fields["nc"].encode("ascii", "replace"),
                    fields["cnonce"].encode("utf-8"), qop.encode("ascii", "replace"), _hex(a2)))
    return hashlib.md5(kd).hexdigest()


def response_value(fields: Mapping[str, str], password: bytes) -> str:
    """The response= the client computes from the password (RFC 2831 §2.1.2.1)."""
    return _digest(fields, user_hash(fields, password), b"AUTHENTICATE")


def rspauth_value(fields: Mapping[str, str], password: bytes) -> str:
    """The rspauth= the server sends back to prove it knows the password too (RFC 2831 §2.1.3)."""
    return _digest(fields, user_hash(fields, password), b"")


def matches(fields: Mapping[str, str], password: bytes) -> bool:
    got = fields.get("response", "").lower().encode("utf-8", "replace")      # compare_digest: bytes, any input
    return hmac.compare_digest(response_value(fields, password).encode("ascii"), got)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_response(creds: Credentials, challenge: Mapping[str, str], cnonce: str, service: str = "smtp") -> bytes:
    """The client's digest-response to a parsed challenge (first realm offered, qop auth, nc 00000001)."""
    realm = challenge.get("realm", "").split(", ")[0]
    fields = {"charset": "utf-8", "username": creds.authcid, "realm": realm, "nonce": challenge["nonce"],
              "nc": "00000001", "cnonce": cnonce, "digest-uri": f"{service}/{realm or 'localhost'}", "qop": "auth"}
    if creds.authzid:
        fields["authzid"] = creds.authzid
    fields["response"] = response_value(fields, creds.secret.encode("utf-8"))
    plain = {"nc", "qop", "response", "charset"}
    return ",".join(f"{k}={v if k in plain else _quote(v)}" for k, v in fields.items()).encode("utf-8")


def field_steps(fields: Mapping[str, str], label: str) -> list[Step]:
    return [Step(label, f"{name}={value}") for name, value in fields.items()]


class DigestClient(Staged):
    """Client side: answer the challenge, then check the server's rspauth and acknowledge it."""

    name = NAME

    def __init__(self, credentials: Credentials, cnonce: str | None = None) -> None:
        self._creds, self._cnonce = credentials, cnonce or secrets.token_hex(8)
        self._stage, self._sent, self._steps = Stage.SERVER_REPLY, {}, []   # type: ignore[var-annotated]

    def initial_response(self) -> None:
        return None                                # RFC 2831 §2.1.1: the server starts (no initial response)

    def respond(self, challenge: bytes) -> bytes:
        stage = self.require("has nothing more to answer", Stage.SERVER_REPLY, Stage.SERVER_FINAL)
        if stage is Stage.SERVER_FINAL:
            self._stage = Stage.FINAL_REPLY
            want = rspauth_value(self._sent, self._creds.secret.encode("utf-8"))
            got = challenge.decode("ascii", "replace").partition("=")[2].strip()
            self._steps.append(Step(STEP_KEYS + "rspauth", got, "mechs.note.digest.rspauth-ok" if got == want
                                    else "mechs.note.digest.rspauth-bad"))
            return b""
        parsed = parse_challenge(challenge)
        self._steps = field_steps(parsed, STEP_KEYS + "challenge")
        answer = make_response(self._creds, parsed, self._cnonce)
        self._sent = parse_response(answer)
        self._steps.append(Step(STEP_KEYS + "response", self._sent["response"], "mechs.note.digest.offline"))
        self._stage = Stage.SERVER_FINAL
        return answer

    def steps(self) -> list[Step]:
        return list(self._steps)


class DigestServer(Staged):
    """Server side: a challenge with a fresh nonce, a check of the response, then rspauth as a 334."""

    name = NAME

    def __init__(self, lookup: SecretLookup, realm: str = "localhost", nonce: str | None = None) -> None:
        self._lookup, self._realm = lookup, realm
        self._nonce = nonce or secrets.token_urlsafe(16)
        self._stage, self._result = Stage.START, AuthResult(False)

    def start(self, initial: bytes | None) -> ServerOutcome:
        self.require("server already started", Stage.START)
        if initial is not None:
            self._stage = Stage.DONE
            return Done(AuthResult(False, reason="initial-response-not-allowed"))
        self._stage = Stage.CLIENT_MESSAGE
        return Challenge(f'realm="{self._realm}",nonce="{self._nonce}",qop="auth",charset=utf-8,'
                         f'algorithm=md5-sess'.encode("ascii"))

    def receive(self, response: bytes) -> ServerOutcome:
        stage = self.require("server got a response out of turn", Stage.CLIENT_MESSAGE, Stage.CLIENT_ACK)
        if stage is Stage.CLIENT_ACK:
            self._stage = Stage.DONE
            return Done(self._result)
        self._stage = Stage.DONE
        try:
            fields = parse_response(response)
        except InputError as exc:
            return Done(AuthResult(False, reason="malformed"), (Step(STEP_KEYS + "malformed", str(exc)),))
        user, secret = fields["username"], self._lookup(fields["username"])
        if secret is None:
            return Done(AuthResult(False, user, reason="no-such-user"))
        if fields["nonce"] != self._nonce or not matches(fields, secret.encode("utf-8")):
            return Done(AuthResult(False, user, reason="bad-password"))
        self._result = AuthResult(True, user, fields.get("authzid") or user)
        self._stage = Stage.CLIENT_ACK          # RFC 2831 §2.1.3: rspauth, then the client's empty answer
        return Challenge(f"rspauth={rspauth_value(fields, secret.encode('utf-8'))}".encode("ascii"))
