"""What a student's AUTH payload tells the classroom: the user name it carries and the mistake in it, if any.

Sans-IO and secret-free in its results: the decoded bytes are read here and dropped; only a user name
(never a password field) and mistake keys come out.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor import escapes
from tutor.errors import InputError
from tutor.protocol import auth
from tutor.sasl.identify import identify

MAX_USER = 64   # a user name longer than this is cut (one table cell)
# mistakes read from a payload: they explain a 535 better than "wrong password"
PAYLOAD_MISTAKES = ("wrong-string", "literal-nul", "missing-nul", "trailing-newline", "plain-to-login", "cram-format")
# A class sends the same payloads again and again (each student's client, in a loop): the readings of the last
# ones seen are kept (payloads up to CACHED_LENGTH characters; the cache is emptied when it reaches MAX_CACHED;
# like the sessions' kept steps, it is memory only, never written anywhere).
MAX_CACHED = 512
CACHED_LENGTH = 1024


@dataclass(frozen=True)
class Reading:
    """A payload's user name ("" if it names none) and the mistake keys it shows (tutor/data/classroom.toml)."""

    user: str = ""
    mistakes: tuple[str, ...] = ()
    misplaced: bool = False     # the shape does not fit the role: it may hold a password where none belongs


def decode(text: str, initial: bool) -> bytes | None:
    """The bytes of an initial response (`=` is empty, RFC 4954 §4) or of a 334 answer; None if not base64."""
    decoded = auth.decode_initial(text) if initial else auth.decode_response(text.encode("utf-8", "replace"))
    return None if decoded.cancelled else decoded.data


_readings: dict[tuple[str, str, bool, int], tuple[Reading, bool] | None] = {}


def read_text(mechanism: str, text: str, initial: bool, index: int) -> tuple[Reading, bool] | None:
    """decode() then read(): the reading and whether the payload held any bytes; None if it is not base64."""
    key = (mechanism, text, initial, index)
    if key in _readings:
        return _readings[key]
    data = decode(text, initial)
    found = None if data is None else (read(mechanism, data, index), bool(data))
    if len(text) <= CACHED_LENGTH:
        if len(_readings) >= MAX_CACHED:
            _readings.clear()
        _readings[key] = found
    return found


def read(mechanism: str, data: bytes, index: int) -> Reading:
    """The `index`-th client message of an exchange with `mechanism` (0 = the first, initial or not)."""
    if mechanism == "PLAIN":
        return _plain(data)
    if mechanism == "LOGIN":
        return _login(data, index)
    if mechanism == "CRAM-MD5":
        return _cram(data)
    if mechanism.startswith(("SCRAM-", "XOAUTH2", "OAUTHBEARER")):
        found = identify(data, mechanism, from_server=False)
        fields = {f.label: f.value for f in found.fields if not f.secret}
        known = found.kind.startswith("scram-") or found.kind in ("xoauth2", "oauthbearer", "oauthbearer-ack", "empty")
        return Reading(_name(fields.get("user") or fields.get("authzid") or "") if index == 0 else "", (), not known)
    return Reading("", (), True)     # an unknown mechanism's payload: nothing says what it holds


def _plain(data: bytes) -> Reading:
    """RFC 4616 §2: authzid NUL authcid NUL password; anything else is the wrong string."""
    newline = ("trailing-newline",) if data.endswith(b"\n") else ()
    nuls = data.count(b"\0")
    if nuls == 2:
        return Reading(_name(data.split(b"\0")[1]), newline)
    if nuls == 1:
        return Reading(_name(data.split(b"\0")[0]), ("missing-nul",) + newline)
    if data.count(b"\\0") == 2:    # `\0` typed as a backslash and a zero
        return Reading(_name(data.split(b"\\0")[1]), ("literal-nul",) + newline)
    return Reading("", newline or ("wrong-string",))


def _login(data: bytes, index: int) -> Reading:
    """LOGIN's answers by position (draft-murchison-sasl-login §2.1): the user name, then the password."""
    mistakes: tuple[str, ...] = ("trailing-newline",) if data.endswith(b"\n") else ()
    if data.count(b"\0") == 2:
        return Reading(_name(data.split(b"\0")[1]) if index == 0 else "", ("plain-to-login",) + mistakes, True)
    return Reading(_name(data.rstrip(b"\r\n")) if index == 0 else "", mistakes, index > 1)


def _cram(data: bytes) -> Reading:
    found = identify(data, "CRAM-MD5", from_server=False)
    if found.kind != "cram-response":
        return Reading("", ("cram-format",), True)
    return Reading(_name({f.label: f.value for f in found.fields}["user"]))


def _name(value: bytes | str) -> str:
    """A user name as one safe cell: control characters escaped, bounded."""
    if isinstance(value, str):
        value = value.encode("utf-8", "replace")
    if value.isascii() and value.isalnum() and len(value) <= MAX_USER:   # the usual name: nothing to escape
        return value.decode("ascii")
    try:
        shown = escapes.show(value)
    except InputError:   # pragma: no cover - show() takes any bytes
        shown = "?"
    return shown if len(shown) <= MAX_USER else shown[:MAX_USER - 1] + "…"
