"""SCRAM message syntax (RFC 5802 §5.1, §7): build and parse the four messages, nonces, base64, e= values."""

from __future__ import annotations

import binascii
import re
import secrets

from tutor.errors import InputError
from tutor.sasl import gs2

# RFC 5802 §7 server-error-value; "Unrecognized errors should be treated as other-error".
ERRORS = (
    "invalid-encoding", "extensions-not-supported", "invalid-proof", "channel-bindings-dont-match",
    "server-does-support-channel-binding", "channel-binding-not-supported", "unsupported-channel-binding-type",
    "unknown-user", "invalid-username-encoding", "no-resources", "other-error",
)
_NONCE = re.compile(r"[\x21-\x2b\x2d-\x7e]+")   # RFC 5802 §7: printable = %x21-2B / %x2D-7E (no comma)


def b64encode(data: bytes) -> str:
    """Attribute base64 (salt, proof, signature, c=): part of SCRAM's own syntax, not SMTP framing."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Strict base64 of one attribute; InputError naming the attribute if it is not valid."""
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InputError(f"the SCRAM {what} is not valid base64: {text[:40]!r}") from None


def make_nonce() -> str:
    """A fresh random nonce: 24 printable characters from 18 random bytes."""
    return secrets.token_urlsafe(18)


def check_nonce(nonce: str, who: str) -> str:
    """`nonce` if it is non-empty printable ASCII without a comma (RFC 5802 §7), else InputError."""
    if not _NONCE.fullmatch(nonce):
        raise InputError(f"the {who} nonce must be printable ASCII without ',' (RFC 5802 §7): {nonce!r}")
    return nonce


def error_key(value: str) -> str:
    """The words key for an `e=` value; unknown values count as other-error (RFC 5802 §7)."""
    return "scram.error." + (value if value in ERRORS else "other-error")


# ---- building -------------------------------------------------------------------------------------------

def client_first(username: str, c_nonce: str, header: str = "n,,") -> tuple[str, str]:
    """(client-first-message, client-first-message-bare) for an already SASLprepped user name."""
    bare = f"n={gs2.escape(username)},r={check_nonce(c_nonce, 'client')}"
    return header + bare, bare


def server_first(nonce: str, salt: bytes, iterations: int) -> str:
    """`r=<client nonce + server nonce>,s=<base64 salt>,i=<iteration count>`."""
    return f"r={nonce},s={b64encode(salt)},i={iterations}"


def client_final_without_proof(header: str, nonce: str) -> str:
    """`c=<base64 of the GS2 header>,r=<nonce>`: without channel binding c= carries only the header (`biws`)."""
    return f"c={b64encode(header.encode('utf-8'))},r={nonce}"


# ---- parsing --------------------------------------------------------------------------------------------

def _attributes(text: str, what: str) -> list[tuple[str, str]]:
    out = []
    for item in text.split(","):
        name, equals, value = item.partition("=")   # one ASCII letter, "=", then the value (which may hold "=")
        if not (equals and len(name) == 1 and name.isascii() and name.isalpha()):
            raise InputError(f"the {what} has {item[:30]!r} where an attribute 'x=value' belongs (RFC 5802 §7)")
        out.append((name, value))
    return out


def _expect(attrs: list[tuple[str, str]], names: str, what: str) -> dict[str, str]:
    """The attributes in `names` order (an optional leading m= kept); extensions after them kept too."""
    found: dict[str, str] = {}
    if attrs and attrs[0][0] == "m":
        found["m"] = attrs.pop(0)[1]
    for want in names:
        if not attrs or attrs[0][0] != want:
            got = f"{attrs[0][0]}=" if attrs else "the end"
            raise InputError(f"the {what} needs {want}= next (RFC 5802 §7); found {got}")
        found[want] = attrs.pop(0)[1]
    for name, value in attrs:
        found.setdefault(name, value)
    return found


def _client_first(text: str) -> dict[str, str]:
    header, bare = gs2.parse(text)
    found = _expect(_attributes(bare, "client-first message"), "nr", "client-first message")
    found["n"] = gs2.unescape(found["n"])
    out = {"kind": "client-first", "gs2": header.flag, "gs2-header": str(header), "bare": bare, **found}
    if header.cb_name:
        out["cb-name"] = header.cb_name
    if header.authzid:
        out["a"] = header.authzid
    return out


def _server_first(text: str) -> dict[str, str]:
    found = _expect(_attributes(text, "server-first message"), "rsi", "server-first message")
    if not found["i"].isdigit():
        raise InputError(f"the iteration count i= must be a number (RFC 5802 §7), got {found['i']!r}")
    b64decode(found["s"], "salt s=")
    return {"kind": "server-first", **found}


def _client_final(text: str) -> dict[str, str]:
    without_proof, sep, proof = text.rpartition(",p=")
    if not sep:
        raise InputError("the client-final message ends with the proof p= (RFC 5802 §7); there is none")
    found = _expect(_attributes(without_proof, "client-final message"), "cr", "client-final message")
    b64decode(found["c"], "channel binding c=")
    b64decode(proof, "proof p=")
    return {"kind": "client-final", **found, "p": proof, "without-proof": without_proof}


def _server_final(text: str) -> dict[str, str]:
    attrs = _attributes(text, "server-final message")
    name, value = attrs[0]
    if name == "e":
        return {"kind": "server-error", "e": value}
    b64decode(value, "server signature v=")
    return {"kind": "server-final", "v": value}


def parse_message(data: bytes) -> dict[str, str]:
    """Any SCRAM message as {"kind": ..., attribute letter: value, ...}; InputError if it is not one.

    Kinds: client-first (plus "gs2", "gs2-header", "bare", "a" for an authzid; "n" unescaped),
    server-first, client-final (plus "without-proof"), server-final, server-error ("e").
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("a SCRAM message is UTF-8 (RFC 5802 §7); this one is not") from None
    if text[:2] in ("n,", "y,") or text.startswith("p="):
        return _client_first(text)
    if text.startswith(("r=", "m=")):
        return _server_first(text)
    if text.startswith("c="):
        return _client_final(text)
    if text.startswith(("v=", "e=")):
        return _server_final(text)
    raise InputError(f"not a SCRAM message: {text[:40]!r} (they start with n, y, p=, r=, c=, v= or e=)")
