"""Python smtplib debug output (`set_debuglevel(1)` or 2 with timestamps): `send: '...'`, `reply: b'...'`.

The quoted values are Python literals, read with ast.literal_eval (never eval); one `send:` may hold several
lines (message text), so it is split at CRLF. `connect: (host, port)` starts a session.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tutor.trace.importers.base import Sessions
from tutor.trace.records import Record
from tutor.trace.source import Source

_LINE = re.compile(rb"^(?:(\d\d):(\d\d):(\d\d(?:\.\d+)?) )?(send|reply|connect|data): (.*)$", re.DOTALL)


def score(lines: list[bytes]) -> int:
    return sum(2 for line in lines if (m := _LINE.match(line)) and m.group(4) in (b"send", b"reply"))


def _literal(text: bytes) -> bytes | None:
    try:
        value = ast.literal_eval(text.decode("utf-8", "replace"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return value if isinstance(value, bytes) else None


def _seconds(match: re.Match) -> float | None:
    if match.group(1) is None:
        return None
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))


def read(src: Source) -> Iterator[Record]:
    sessions = Sessions(src.name, "smtplib")
    for sessions.number, line in src.numbered():
        match = _LINE.match(line)
        if match is None:
            continue
        kind, rest = match.group(4), match.group(5)
        if kind == b"connect":
            if rest.startswith((b"b'", b'b"')):        # the greeting's text again, after its `reply:` lines
                continue
            yield from sessions.begin(f"{src.name}: smtplib connect {rest.decode('utf-8', 'replace')}")
            continue
        if kind == b"data" or rest.startswith(b"retcode"):
            continue
        value = _literal(rest)
        if value is None:
            yield from sessions.mark("trace.mark.unreadable", shown=rest[:80].decode("utf-8", "replace"))
            continue
        direction = "C" if kind == b"send" else "S"
        for piece in _split(value):
            yield from sessions.wire(direction, piece, _seconds(match))
    yield from sessions.end()


def _split(value: bytes) -> list[bytes]:
    pieces = value.split(b"\r\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return pieces
