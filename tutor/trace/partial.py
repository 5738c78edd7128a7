"""What a listener still reads from a partial capture: credential lines by their role (masked even when they do
not decode), lines cut short by the snap length, and the mechanism of an exchange whose AUTH command is missing.
"""

from __future__ import annotations

import base64
import binascii
import re

from tutor import escapes
from tutor.explain import Note
from tutor.sasl.identify import identify
from tutor.sasl.registry import first_secret_message
from tutor.trace.annotate import is_redacted, note
from tutor.trace.report import Attempt


def credential_from(mechanism: str) -> int | None:
    """The first client payload (0: the initial response) that carries a password or a bearer token: the
    registry's roles say (PLAIN's message, LOGIN's second answer, the XOAUTH2/OAUTHBEARER message). An exchange
    whose AUTH command was not captured ("") is treated as carrying one throughout."""
    if not mechanism:
        return 0
    first = first_secret_message(mechanism)
    return None if first is None else first - 1


_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]{2,}={0,2}")
_MIME_WIDTHS = (64, 72, 76)        # line widths of base64 attachments (RFC 2045 §6.8: at most 76)
_NOTHING = (b"", b"=", b"*")


def credential_role(mechanism: str, index: int, payload: bytes) -> bool:
    """True when a client payload at this place of the exchange carries a credential, decoded or not."""
    first = credential_from(mechanism)
    return first is not None and index >= first and payload.strip() not in _NOTHING and not is_redacted(payload)


def _prefix(text: bytes) -> bytes:
    """The decodable start of a base64 text cut anywhere (whole 4-character groups)."""
    text = text.strip()
    try:
        return base64.b64decode(text[:len(text) // 4 * 4], validate=True)
    except (binascii.Error, ValueError):
        return b""


def cut_payload(attempt: Attempt, text: bytes, index: int, notes: list[Note]) -> None:
    """A client payload cut short by the capture: the user name if the part captured holds it whole; the
    password never (what was captured of it is not the password)."""
    data, mech = _prefix(text), attempt.mechanism.upper()
    user = None
    if mech == "PLAIN" and data.count(b"\0") >= 2:
        user = data.split(b"\0")[1]
    elif mech == "LOGIN" and index == 0:
        user = None                                    # the user name itself is cut
    elif mech == "CRAM-MD5" and b" " in data:
        user = data.split(b" ")[0]
    elif mech.startswith("SCRAM-") and b",n=" in data:
        user = data.split(b",n=", 1)[1].split(b",")[0]
    first = credential_from(mech)
    if first is not None and index >= first:
        attempt.cut = True
    if user:
        attempt.user = attempt.user or escapes.show(user)
        notes.append(note("note.cut-payload-user", user=escapes.show(user)))
    else:
        notes.append(note("note.cut-payload"))


def mechanism_from_challenge(text: bytes) -> tuple[str, str]:
    """(mechanism, evidence) for a 334 challenge seen without its AUTH command: LOGIN's prompts, CRAM-MD5's
    msg-id; ("?", "") when the challenge does not tell."""
    data = _prefix(text[4:] if text[:4] in (b"334 ", b"334-") else text)
    found = identify(data, "", from_server=True)
    if data.rstrip(b":").lower() in (b"username", b"user name", b"password"):
        return "LOGIN", escapes.show(data)
    if found.kind == "cram-challenge":
        return "CRAM-MD5", "challenge <...@...>"
    return "?", ""


def mask_notes(notes: list[Note], start: int) -> None:
    """The notes made for a credential line (from `start` on) that show its decoded bytes become secret, so
    `shown` is masked like a password unless --reveal (the line did not parse as its mechanism's message, so
    the bytes may hold the password anywhere)."""
    for index in range(start, len(notes)):
        found = notes[index]
        if "shown" in found.params and not found.secret:
            notes[index] = Note(found.key, found.params, found.source, True)


def looks_like_auth_answer(line: bytes) -> bool:
    """A client line seen without context that is more likely an AUTH answer than message text: one short run
    of base64, not as wide as an attachment's lines."""
    line = line.strip()
    return len(line) <= 200 and len(line) not in _MIME_WIDTHS and _BASE64_LINE.fullmatch(line) is not None
