"""RFC-style transcripts: `C: line` / `S: line` (RFC 4954 §4, RFC 2195 §2 examples); a blank line or a
second greeting after some lines starts a new session. The one space after the colon is not data: `S: 334 `
keeps its trailing space (RFC 4954 §4's empty challenge). A 220 that answers STARTTLS is not a greeting."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.trace.importers.base import Sessions
from tutor.trace.records import Record
from tutor.trace.source import Source

_LINE = re.compile(rb"^\s*([CS]):(?: (.*)|)$", re.DOTALL)


def score(lines: list[bytes]) -> int:
    return sum(1 for line in lines if _LINE.match(line))


def read(src: Source) -> Iterator[Record]:
    sessions = Sessions(src.name, "rfc")
    lines_in_session, last_client = 0, b""
    for sessions.number, line in src.numbered():
        match = _LINE.match(line)
        if match is None:
            if not line.strip() and lines_in_session:
                yield from sessions.end()
                lines_in_session = 0
            continue
        direction, data = match.group(1).decode(), match.group(2) or b""
        if direction == "S" and data.startswith(b"220") and lines_in_session and sessions.open \
                and last_client.strip().upper() != b"STARTTLS":
            yield from sessions.end()
            lines_in_session = 0
        if direction == "C":
            last_client = data
        lines_in_session += 1
        yield from sessions.wire(direction, data)
    yield from sessions.end()
