"""Strict base64 (RFC 4648 §4) as RFC 4954 §4 demands of AUTH lines, with errors that say what is wrong."""

from __future__ import annotations

import base64
import binascii
import re

from tutor.errors import InputError

_ALPHABET = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def encode(data: bytes) -> str:
    """Standard base64 with padding, as text."""
    return base64.b64encode(data).decode("ascii")


def decode(text: str | bytes) -> bytes:
    """Decode strictly: RFC 4954 §4 says both sides MUST reject characters outside the alphabet and `=`
    anywhere but the end. Raises InputError with a one-line explanation."""
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else bytes(text)
    raw = raw.strip()
    if not raw:
        raise InputError("empty base64: nothing to decode")
    match = _ALPHABET.fullmatch(raw)
    if not match:
        raise InputError(_why_invalid(raw))
    if len(raw) % 4:
        raise InputError(f"invalid base64: length {len(raw)} is not a multiple of 4 (missing '=' padding?)")
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error as exc:  # pragma: no cover - the checks above catch what binascii would
        raise InputError(f"invalid base64: {exc}") from None


def _why_invalid(raw: bytes) -> str:
    """One line naming the first offending character and why."""
    for pos, byte in enumerate(raw):
        if byte == ord("=") and raw[pos:].strip(b"=") :
            return f"invalid base64: '=' padding may only appear at the end (found at position {pos})"
        if byte != ord("=") and not (byte < 128 and (chr(byte).isalnum() or byte in b"+/")):
            shown = f"'{chr(byte)}'" if 32 < byte < 127 else ("a space" if byte == 32 else f"byte 0x{byte:02x}")
            return (f"invalid base64: {shown} at position {pos} is not in the base64 alphabet"
                    " (A-Z a-z 0-9 + / and '=' only at the end)")
    return "invalid base64: more than two '=' at the end"


def looks_like(text: str) -> bool:
    """A cheap guess: could this token be a base64 blob (alphabet, padding, length)?"""
    raw = text.strip().encode("utf-8", "replace")
    return bool(raw) and len(raw) % 4 == 0 and _ALPHABET.fullmatch(raw) is not None
