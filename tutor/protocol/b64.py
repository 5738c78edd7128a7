"""Strict base64 (RFC 4648 §4) as RFC 4954 §4 demands of AUTH lines, with errors that say what is wrong.

Each mistake a learner makes gets its own message: missing `=` padding, too much padding, `=` in the
middle, a character outside the alphabet (base64url's `-` and `_` named as such), and, separately,
`typed_as_is()` spots the value itself typed where its base64 belongs (`tim` instead of `dGlt`).
"""

from __future__ import annotations

import base64
import binascii
import re

from tutor import explain
from tutor.errors import InputError

_ALPHABET = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_WORD = re.compile(r"[A-Za-z0-9]+")     # what a user name or password typed as is usually looks like
T = explain.text


def encode(data: bytes) -> str:
    """Standard base64 with padding, as text."""
    return base64.b64encode(data).decode("ascii")


def decode(text: str | bytes) -> bytes:
    """Decode strictly: RFC 4954 §4 says both sides MUST reject characters outside the alphabet and `=`
    anywhere but the end. Raises InputError with a one-line explanation."""
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else bytes(text)
    raw = raw.strip()
    if not raw:
        raise InputError(T("shell.b64.empty"))
    if not _ALPHABET.fullmatch(raw):
        raise InputError(_why_invalid(raw))
    if len(raw) % 4:
        raise InputError(_why_wrong_length(raw))
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error as exc:  # pragma: no cover - the checks above catch what binascii would
        raise InputError(T("shell.b64.other", error=exc)) from None


def _why_invalid(raw: bytes) -> str:
    """One line naming the first offending character and why."""
    for pos, byte in enumerate(raw):
        if byte == ord("=") and raw[pos:].strip(b"="):
            return T("shell.b64.padding-inside", position=pos)
        if byte in b"-_":
            return T("shell.b64.base64url", char=chr(byte), position=pos, standard="+" if byte == ord("-") else "/")
        if byte != ord("=") and not (byte < 128 and (chr(byte).isalnum() or byte in b"+/")):
            shown = f"'{chr(byte)}'" if 32 < byte < 127 else ("a space" if byte == 32 else f"byte 0x{byte:02x}")
            return T("shell.b64.stray", char=shown, position=pos)
    body = raw.rstrip(b"=")
    return T("shell.b64.too-much-padding", found=len(raw) - len(body), fixed=_padded(body).decode("ascii"))


def _why_wrong_length(raw: bytes) -> str:
    """Missing padding (it can be added), too much padding (it can be removed), or a length no padding fixes."""
    body = raw.rstrip(b"=")
    fixed = _padded(body)
    if len(body) % 4 == 1:
        return T("shell.b64.bad-length", length=len(raw))
    if len(fixed) < len(raw):
        return T("shell.b64.too-much-padding", found=len(raw) - len(body), fixed=fixed.decode("ascii"))
    return T("shell.b64.missing-padding", length=len(raw), missing=len(fixed) - len(raw), fixed=fixed.decode("ascii"))


def _padded(body: bytes) -> bytes:
    return body + b"=" * (-len(body) % 4)


def typed_as_is(text: str | bytes) -> bool:
    """True when `text` looks like the value itself rather than its base64: a plain word (letters and
    digits) that is not base64 at all, or whose base64 reading is not text (`tim`, `demo`, `tanstaaftanstaaf`).

    Base64 of a user name, password, PLAIN or SCRAM message decodes to UTF-8; these decode to stray bytes.
    """
    word = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    word = word.strip()
    if not _WORD.fullmatch(word):
        return False
    body = word.encode("ascii")
    if len(body) % 4 == 1:
        return True             # no padding can make this base64
    try:
        data = base64.b64decode(_padded(body), validate=True)
        data.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return True
    return False


def looks_like(text: str) -> bool:
    """A cheap guess: could this token be a base64 blob (alphabet, padding, length)?"""
    raw = text.strip().encode("utf-8", "replace")
    return bool(raw) and len(raw) % 4 == 0 and _ALPHABET.fullmatch(raw) is not None
