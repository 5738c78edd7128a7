"""What the simulator forgives, named (issue 11 §4): each leniency a stricter server or the RFC's grammar would
refuse, as a note key and its params. The server still accepts the line; the student learns it was lucky.
"""

from __future__ import annotations

import re

from tutor.protocol.commands import Command
from tutor.protocol.framing import COMMAND_LINE_LIMIT

_SPACE_BEFORE_PATH = re.compile(r"(FROM|TO):[ \t]+<", re.IGNORECASE)
_PATH = re.compile(r"<[^>]*>")
_NOTE = "sim.lenient."
PATH_LIMIT = 256   # RFC 5321 §4.5.3.1.3: a reverse-path or forward-path, "<" and ">" included


def command_notes(command: Command) -> list[tuple[str, dict]]:
    """Notes for the leniencies in one command line of a known verb (none for a well-formed line)."""
    raw = command.raw.decode("utf-8", "replace")
    notes: list[tuple[str, dict]] = []
    if raw[:1] in (" ", "\t") or re.match(r"\S+(\t| [ \t])", raw.lstrip(" \t")):
        notes.append((_NOTE + "extra-space", {}))
    if raw.rstrip(" \t") != raw and raw.strip(" \t"):
        notes.append((_NOTE + "trailing-space", {}))   # RFC 5321 §4.1.1: receivers SHOULD tolerate it
    match = _SPACE_BEFORE_PATH.match(command.argument)
    if command.verb in ("MAIL", "RCPT") and match:
        notes.append((_NOTE + ("space-before-from" if command.verb == "MAIL" else "space-before-to"), {}))
    if command.verb in ("EHLO", "HELO", "MAIL", "RCPT", "VRFY") and not command.raw.isascii():
        notes.append((_NOTE + "non-ascii", {}))
    path = _PATH.search(command.argument) if command.verb in ("MAIL", "RCPT") else None
    if path and len(path.group(0).encode("utf-8")) > PATH_LIMIT:
        notes.append((_NOTE + "long-path", {"length": len(path.group(0).encode("utf-8"))}))
    if command.verb == "QUIT" and command.argument:
        notes.append((_NOTE + "quit-argument", {}))
    if command.verb == "AUTH" and len(command.raw) + 2 > COMMAND_LINE_LIMIT:
        notes.append((_NOTE + "auth-long-command", {"length": len(command.raw) + 2}))
    return notes


def auth_response_notes(line: bytes) -> list[tuple[str, dict]]:
    """White space around an AUTH answer: stripped here, though RFC 4954 §4 says MUST reject it."""
    return [(_NOTE + "auth-space", {})] if line.strip() and line != line.strip() else []


def message_notes(bare_lf_lines: int, bare_lf_end: bool) -> list[tuple[str, dict]]:
    """Bare LF line ends in the message text (RFC 5321 §4.1.1.4: servers MUST NOT accept them)."""
    notes: list[tuple[str, dict]] = []
    if bare_lf_lines:
        notes.append((_NOTE + "data-bare-lf", {"count": bare_lf_lines}))
    if bare_lf_end:
        notes.append((_NOTE + "data-bare-lf-end", {}))
    return notes
