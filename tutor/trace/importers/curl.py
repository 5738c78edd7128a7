"""`curl -v` output: `> ` client, `< ` server, `* ` curl's own remarks (connects, TLS, closing).

With `2>file` curl's progress meter goes to the same file: each update is a CR and a row of numbers, written
between -v lines without a newline, so a line can start with meter updates before its `< 535 ...`; they are
taken off the front of the line before it is read."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.trace.importers.base import Sessions
from tutor.trace.records import Record
from tutor.trace.source import Source

_WIRE = re.compile(rb"^([<>])(?: (.*))?$", re.DOTALL)
_INFO = re.compile(rb"^\* (.*)$", re.DOTALL)
_METER = re.compile(rb"^(?:\r[0-9 .:kMGTPB-]*)+")    # progress meter updates: CR, then digits, times, speeds


def score(lines: list[bytes]) -> int:
    lines = [_METER.sub(b"", line, count=1) for line in lines]
    wire = sum(1 for line in lines if _WIRE.match(line))
    info = sum(1 for line in lines if line.startswith(b"* "))
    return wire + info if info else 0


def read(src: Source) -> Iterator[Record]:
    sessions = Sessions(src.name, "curl")
    for sessions.number, line in src.numbered():
        line = _METER.sub(b"", line, count=1)
        if match := _WIRE.match(line):
            yield from sessions.wire("C" if match.group(1) == b">" else "S", match.group(2) or b"")
        elif match := _INFO.match(line):
            yield from _info(sessions, match.group(1).decode("utf-8", "replace"), src.name)
    yield from sessions.end()


def _info(sessions: Sessions, text: str, name: str) -> Iterator[Record]:
    if text.startswith("Connected to"):
        yield from sessions.begin(f"{name}: curl {text.lower()}")
    elif text.startswith(("Closing connection", "Connection #")) and sessions.open:
        yield from sessions.end()
    elif text.startswith("SSL connection using") and sessions.open:
        yield from sessions.mark("trace.mark.tool", tool="curl", said=text)
        sessions.tls = True
