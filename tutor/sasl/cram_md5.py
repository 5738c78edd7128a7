"""The CRAM-MD5 mechanism (RFC 2195, draft-ietf-sasl-crammd5): challenges, HMAC-MD5 responses, both sides, steps."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import NamedTuple

from tutor.errors import InputError
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

NAME = "CRAM-MD5"
BLOCK = 64                      # MD5 block size: HMAC pads (or first hashes) the key to this (RFC 2104 §2)
IPAD, OPAD = 0x36, 0x5C
HEX = frozenset(b"0123456789abcdefABCDEF")
P = "sasl.problem.cram."        # prefix of the challenge problem keys
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
# draft-ietf-sasl-crammd5 §3: challenge = "<" 3*(%x21-3B / %x3D / %x3F-7E) ">"; an octet that is neither one of
# those nor a control character (reported on its own) is a bad character.
_BAD = re.compile(rb"[^\x00-\x1f\x7f\x21-\x3b\x3d\x3f-\x7e]")


class CramResponse(NamedTuple):
    """A parsed client response: `user SP digest`. Unpacks as (user, digest)."""

    user: str
    digest: str

    @property
    def uppercase(self) -> bool:
        """RFC 2195 §2 says lower-case hex; we accept upper case but flag it."""
        return self.digest != self.digest.lower()


def _utf8(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def digest(secret: bytes, challenge: bytes) -> str:
    """HMAC-MD5 of the challenge keyed with the secret, as lower-case hex (RFC 2195 §2)."""
    return hmac.digest(secret, challenge, "md5").hex()


def response(user: str, secret: str | bytes, challenge: bytes) -> bytes:
    """The client's answer, `user SP digest`, over the exact challenge octets."""
    return _utf8(user) + b" " + digest(_utf8(secret), challenge).encode("ascii")


def parse_response(data: bytes) -> CramResponse:
    """Split a response at its LAST space (user names may contain spaces); InputError if malformed."""
    user, space, hexdigest = data.rpartition(b" ")
    if not space:
        raise InputError("a CRAM-MD5 response is `user digest` with a space between; this one has no space")
    if not user:
        raise InputError("a CRAM-MD5 response starts with the user name; this one has none before the space")
    if len(hexdigest) != 32 or not set(hexdigest) <= HEX:
        raise InputError(f"the CRAM-MD5 digest must be 32 hex digits (RFC 2195 §2); got {hexdigest[:40]!r}")
    try:
        return CramResponse(user.decode("utf-8"), hexdigest.decode("ascii"))
    except UnicodeDecodeError:
        raise InputError("the CRAM-MD5 user name is not UTF-8") from None


def _body(challenge: bytes) -> bytes:
    body = challenge[1:] if challenge.startswith(b"<") else challenge
    return body[:-1] if body.endswith(b">") else body


def control_chars(challenge: bytes) -> list[str]:
    """The control characters in a challenge, each shown escaped (`\\n`, `\\x02`)."""
    return [repr(bytes([o]))[2:-1] for o in challenge if o < 0x20 or o == 0x7F]


def check_challenge(challenge: bytes) -> list[str]:
    """Problem keys for a challenge that breaks RFC 2195 §2 / the draft's grammar; [] if conformant."""
    problems = []
    if not challenge.startswith(b"<"):
        problems.append(P + "no-open-angle")
    if not challenge.endswith(b">"):
        problems.append(P + "no-close-angle")
    body = _body(challenge)
    if len(body) < 3:
        problems.append(P + "too-short")
    if _CONTROL.search(body):
        problems.append(P + "control-chars")
    if _BAD.search(body):
        problems.append(P + "bad-chars")
    if b"@" not in body:
        problems.append(P + "no-at")  # RFC 2195 §2: the challenge has the syntax of an RFC 822 msg-id
    return problems


def make_challenge(rng_digits: str, timestamp: int, host: str) -> bytes:
    """`<digits.timestamp@host>`: random digits, a timestamp and the server's host name (RFC 2195 §2)."""
    if not (rng_digits.isascii() and rng_digits.isdigit()):
        raise InputError(f"CRAM-MD5 challenge digits must be ASCII digits, got {rng_digits!r}")
    if not host or not host.isascii():
        raise InputError(f"CRAM-MD5 challenge host must be a non-empty ASCII host name, got {host!r}")
    challenge = f"<{rng_digits}.{int(timestamp)}@{host}>".encode("ascii")
    problems = check_challenge(challenge)
    if problems:
        names = ", ".join(p.removeprefix(P) for p in problems)
        raise InputError(f"CRAM-MD5 challenge {challenge!r} is not conformant: {names}")
    return challenge


def random_challenge(host: str = "localhost") -> bytes:
    """A fresh challenge from 10 random digits and the clock in Unix seconds (the default server factory)."""
    return make_challenge(f"{secrets.randbelow(10**10):010d}", int(time.time()), host)


def challenge_steps(challenge: bytes, label: str = "sasl.step.cram.challenge") -> list[Step]:
    """The challenge, then one step per problem with it (the draft: clients still MUST NOT reject it)."""
    out = [Step(label, challenge, "sasl.note.cram.challenge", {"octets": len(challenge)})]
    chars = " ".join(control_chars(challenge))
    for problem in check_challenge(challenge):
        out.append(Step("sasl.step.cram.challenge-problem", challenge, problem, {"chars": chars}))
    return out


def steps(user: str, secret: str | bytes, challenge: bytes) -> list[Step]:
    """Every intermediate value of the client's computation, HMAC (RFC 2104) spelled out."""
    out = challenge_steps(challenge)
    raw = _utf8(secret)
    out.append(Step("sasl.step.cram.secret", raw, "sasl.note.cram.secret", {"octets": len(raw)}, secret=True))
    key = raw
    if len(raw) > BLOCK:  # RFC 2195 §2 / RFC 2104 §2: keys longer than the block are hashed first
        key = hashlib.md5(raw).digest()
        out.append(Step("sasl.step.cram.long-secret", key, "sasl.note.cram.long-secret", {"octets": len(raw)},
                        secret=True))
    padded = key.ljust(BLOCK, b"\x00")
    out.append(Step("sasl.step.cram.key", padded, "sasl.note.cram.key-padding", {"octets": len(key)}, secret=True))
    inner = hashlib.md5(bytes(b ^ IPAD for b in padded) + challenge).digest()
    out.append(Step("sasl.step.cram.inner", inner.hex(), "sasl.note.cram.inner"))
    hexdigest = hashlib.md5(bytes(b ^ OPAD for b in padded) + inner).hexdigest()
    exact = "sasl.note.cram.exact-bytes" if check_challenge(challenge) else "sasl.note.cram.digest"
    out.append(Step("sasl.step.cram.digest", hexdigest, exact))
    answer = _utf8(user) + b" " + hexdigest.encode("ascii")
    out.append(Step("sasl.step.cram.response", answer, "sasl.note.cram.offline-attack", {"user": user}))
    return out


def check(data: bytes, challenge: bytes, lookup: SecretLookup,
          teaching: bool = True) -> tuple[AuthResult, list[Step]]:
    """Verify a response as a server would, with its reasoning (expected vs got HMAC) as steps (none when not
    `teaching`)."""
    trail = Trail(teaching)
    trail.add("sasl.step.server.response", data)
    try:
        user, got = parsed = parse_response(data)
    except InputError as exc:
        trail.add("sasl.step.server.malformed", data, "sasl.note.server.malformed", {"error": str(exc)})
        return AuthResult(False, reason="malformed"), trail
    trail.add("sasl.step.server.username", user)
    secret = lookup(user)
    if secret is None:
        trail.add("sasl.step.server.lookup", user, "sasl.note.server.no-such-user", {"authcid": user})
        return AuthResult(False, user, reason="no-such-user"), trail
    expected = digest(_utf8(secret), challenge)
    trail.add("sasl.step.cram.expected", expected, "sasl.note.cram.expected", {"user": user})
    trail.add("sasl.step.cram.got", got, "sasl.note.cram.uppercase-digest" if parsed.uppercase else None)
    same = hmac.compare_digest(expected, got.lower())  # constant-time, so timing leaks nothing about the digest
    trail.add("sasl.step.server.compare", "match" if same else "no match", "sasl.note.server.constant-time")
    if not same:
        return AuthResult(False, user, reason="bad-password"), trail
    return AuthResult(True, user, user), trail


def verify(data: bytes, challenge: bytes, lookup: SecretLookup) -> AuthResult:
    """The server's verdict on a response to `challenge` (constant-time comparison)."""
    return check(data, challenge, lookup)[0]


class CramClient(Staged):
    """Client side: no initial response; one answer to the server's challenge."""

    name = NAME

    def __init__(self, credentials: Credentials) -> None:
        self._creds = credentials
        self._steps: list[Step] = []
        self._stage = Stage.SERVER_REPLY   # server-first: the challenge comes before anything is sent

    def initial_response(self) -> None:
        """CRAM-MD5 is server-first: there is never an initial response."""
        return None

    def respond(self, challenge: bytes) -> bytes:
        """`user SP hex(HMAC-MD5(password, challenge))` over the exact challenge octets.

        The challenge is not validated: the draft says the client "MUST NOT interpret or attempt to validate" it.
        """
        self.require("has one challenge and it was already answered", Stage.SERVER_REPLY)
        self._stage = Stage.FINAL_REPLY
        self._steps = steps(self._creds.authcid, self._creds.secret, challenge)
        return response(self._creds.authcid, self._creds.secret, challenge)

    def steps(self) -> list[Step]:
        return list(self._steps)


class CramServer(Staged):
    """Server side: send a fresh challenge, then check the HMAC the client sends back."""

    name = NAME

    def __init__(self, lookup: SecretLookup, challenge_factory: Callable[[], bytes] = random_challenge) -> None:
        self._lookup = lookup
        self._factory = challenge_factory
        self._challenge: bytes | None = None
        self._stage = Stage.START

    def start(self, initial: bytes | None) -> ServerOutcome:
        self.require("server already started", Stage.START)
        if initial is not None:  # RFC 4954 §4: initial response with a server-first mechanism -> reject (501 5.7.0)
            self._stage = Stage.DONE
            trail = Trail(self.teaching)
            trail.add("sasl.step.server.initial-refused", initial, "sasl.note.cram.initial-response-not-allowed")
            return Done(AuthResult(False, reason="initial-response-not-allowed"), tuple(trail))
        self._stage = Stage.CLIENT_MESSAGE
        self._challenge = challenge = self._factory()
        steps = challenge_steps(challenge, "sasl.step.cram.challenge-made") if self.teaching else ()
        return Challenge(challenge, tuple(steps))

    def receive(self, response: bytes) -> ServerOutcome:
        self.require("server got a response out of turn", Stage.CLIENT_MESSAGE)
        self._stage = Stage.DONE
        result, trail = check(response, self._challenge or b"", self._lookup, self.teaching)   # set with the stage
        return Done(result, tuple(trail))
