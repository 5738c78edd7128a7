"""RFC 4954 §4 AUTH framing around a SASL mechanism: initial response, 334 challenges, `=`, `*`, base64."""

from __future__ import annotations

import re

from tutor.errors import InputError
from tutor.protocol import b64
from tutor.protocol.framing import AUTH_LINE_LIMIT
from tutor.protocol.record import Record, _set

CANCEL = b"*"          # RFC 4954 §4: a line with a single "*" cancels; the server MUST reply 501
EMPTY_RESPONSE = "="   # RFC 4954 §4: a zero-length initial response is sent as a single "="
_BASE64_WORD = re.compile(rb"[A-Za-z0-9+/]+={0,2}")


def looks_like_an_answer(line: bytes) -> bool:
    """A line that is one word of base64 of some length, or the cancel "*": what a client sends after a 334.
    Typed after the exchange has ended, it is read as a command (a late answer; tutor.protocol.client and the
    simulator say so)."""
    word = line.rstrip(b"\r\n")
    return word == CANCEL or (len(word) >= 8 and _BASE64_WORD.fullmatch(word) is not None)


def encode_initial(data: bytes) -> str:
    """Text after `AUTH MECH `: "=" for empty (RFC 4954 §4), else base64."""
    return EMPTY_RESPONSE if data == b"" else b64.encode(data)


def auth_command(mechanism: str, initial: bytes | None) -> str:
    """`AUTH MECH [ir]`; the initial response is dropped when the line would pass the limit (RFC 4954 §4:
    the client MUST NOT send an initial response that would exceed it) — the caller then answers the 334."""
    if initial is None:
        return f"AUTH {mechanism}"
    line = f"AUTH {mechanism} {encode_initial(initial)}"
    return line if len(line) + 2 <= AUTH_LINE_LIMIT else f"AUTH {mechanism}"


def encode_response(data: bytes) -> bytes:
    """A client's answer to a 334: base64 of the bytes (an empty answer is an empty line)."""
    return b64.encode(data).encode("ascii")


class DecodedChallenge(Record):
    """A 334 challenge: the text as sent, and its decoded bytes (None if it was not valid base64)."""

    __slots__ = ("text", "data", "error")
    text: str
    data: bytes | None
    error: str

    def __init__(self, text: str, data: bytes | None, error: str = "") -> None:
        _set(self, "text", text)
        _set(self, "data", data)
        _set(self, "error", error)


def decode_challenge(text: str) -> DecodedChallenge:
    """Decode a 334 reply's text; `"334 "` is an empty challenge (RFC 4954 §4)."""
    stripped = text.strip()
    if stripped == "":
        return DecodedChallenge(text, b"")
    try:
        return DecodedChallenge(text, b64.decode(stripped))
    except InputError as exc:
        # RFC 4954 §4: a client that cannot decode a challenge MUST cancel with "*".
        return DecodedChallenge(text, None, str(exc))


class DecodedResponse(Record):
    """A client's AUTH response line as the server reads it."""

    __slots__ = ("cancelled", "data", "error")
    cancelled: bool
    data: bytes | None
    error: str

    def __init__(self, cancelled: bool, data: bytes | None, error: str = "") -> None:
        _set(self, "cancelled", cancelled)
        _set(self, "data", data)
        _set(self, "error", error)


def decode_response(line: bytes) -> DecodedResponse:
    """Server side: `*` cancels; anything else must be strict base64 (RFC 4954 §4: else 501 5.5.2)."""
    stripped = line.strip()
    if stripped == CANCEL:
        return DecodedResponse(True, None)
    if stripped == b"":
        return DecodedResponse(False, b"")
    try:
        return DecodedResponse(False, b64.decode(stripped))
    except InputError as exc:
        return DecodedResponse(False, None, str(exc))


def decode_initial(text: str) -> DecodedResponse:
    """Server side: the initial response of `AUTH MECH ir`; "=" means empty (RFC 4954 §4)."""
    if text == EMPTY_RESPONSE:
        return DecodedResponse(False, b"")
    return decode_response(text.encode("utf-8", "replace"))
