"""Reply codes on the wire: a basic code (three digits) and an enhanced code (RFC 3463 §2) checked and parsed,
and the step a reply answers. What a code means (the teaching table) is tutor/explain_codes.py.
"""

from __future__ import annotations

import re
from typing import Any

from tutor.errors import InputError
from tutor.protocol import commands

_CODE = re.compile(r"\d{3}", re.ASCII)
_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})", re.ASCII)  # RFC 3463 §2: class "." 1*3digit "." 1*3digit
_LOOKS_ENHANCED = re.compile(r"\d+(?:\.\d*){1,2}", re.ASCII)  # meant as an enhanced code, well-formed or not
_REPLY_START = re.compile(r"(\S+?)(?:[\s-](.*))?", re.DOTALL)  # `535 text` or a continuation line `250-text`


# Steps a reply can answer besides a command verb (tutor.protocol.client's Sent kinds, and `*` picked out).
GREETING, AUTH_RESPONSE, AUTH_CANCEL, MESSAGE_END, UNKNOWN_VERB, UNSOLICITED = (
    "greeting", "auth-response", "auth-cancel", "message-end", "unknown-verb", "unsolicited")


def check_code(code: int | str) -> int:
    """The code as an int, or InputError unless it is three digits 200-599."""
    text = str(code).strip() if isinstance(code, (int, str)) and not isinstance(code, bool) else None
    if text is None or not _CODE.fullmatch(text) or not 200 <= int(text) <= 599:
        raise InputError(f"reply codes are three digits 200-599, got {code!r}")
    return int(text)


def check_enhanced(enhanced: str, code: int | None = None) -> str:
    """A well-formed enhanced status code `class.subject.detail`, or InputError; its class must match the reply's."""
    text = str(enhanced).strip()
    match = _ENHANCED.fullmatch(text)
    if not match:
        raise InputError(
            f"enhanced status codes are class.subject.detail, class 2, 4 or 5, up to 3 digits each "
            f"(RFC 3463 §2), got {enhanced!r}"
        )
    if code is not None and int(match.group(1)) != code // 100:
        raise InputError(f"enhanced code {text} is class {match.group(1)}, but reply {code} is class {code // 100}")
    return f"{match.group(1)}.{int(match.group(2))}.{int(match.group(3))}"


def step_of(sent: Any) -> str:
    """What a reply answers, as `reading()` takes it, from a tutor.protocol.client.Sent (kind, command, line)."""
    kind = getattr(sent, "kind", "")
    if kind == "command" and getattr(sent, "command", None) is not None:
        verb = sent.command.verb
        return verb if verb in commands.VERBS else UNKNOWN_VERB
    if kind == AUTH_RESPONSE:
        return AUTH_CANCEL if bytes(getattr(sent, "line", b"")).strip() == b"*" else AUTH_RESPONSE
    return kind if kind in (GREETING, MESSAGE_END, UNSOLICITED) else ""


def parse_code_args(args: list[str]) -> tuple[int, str | None]:
    """(code, enhanced or None) from `535`, `535 5.7.8`, `535 5.7.8 text...` or a whole reply line."""
    line = " ".join(args).strip()
    if not line:
        raise InputError("give a reply code, e.g. `535` or `535 5.7.8`")
    match = _REPLY_START.fullmatch(line)
    assert match is not None  # any non-empty stripped line matches
    code = check_code(match.group(1))
    rest = (match.group(2) or "").split(maxsplit=1)
    if rest and _LOOKS_ENHANCED.fullmatch(rest[0]):
        return code, check_enhanced(rest[0], code)
    return code, None
