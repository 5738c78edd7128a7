"""swaks output: ` -> ` client, `<-  ` server (`<~` / ` ~>` inside TLS, `*` marks an error reply), `=== ` info."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.trace.importers.base import Sessions
from tutor.trace.records import Record
from tutor.trace.source import Source

_SERVER = re.compile(rb"^<[-~*][ *] (.*)$", re.DOTALL)
_CLIENT = re.compile(rb"^[ *][-~*]> (.*)$", re.DOTALL)


def score(lines: list[bytes]) -> int:
    """How many of the first lines look like swaks output."""
    return sum(1 for line in lines if _SERVER.match(line) or _CLIENT.match(line) or line.startswith(b"=== "))


def read(src: Source) -> Iterator[Record]:
    sessions = Sessions(src.name, "swaks")
    for sessions.number, line in src.numbered():
        if line.startswith(b"=== Trying"):
            yield from sessions.begin(f"{src.name}: swaks {line[11:].decode('utf-8', 'replace').rstrip('.')}")
        elif line.startswith(b"=== TLS started"):
            yield from sessions.tls_started(line[4:].decode("utf-8", "replace"))
        elif line.startswith(b"=== Connection closed"):
            yield from sessions.end()
        elif match := _SERVER.match(line):
            yield from sessions.wire("S", match.group(1))
        elif match := _CLIENT.match(line):
            yield from sessions.wire("C", match.group(1))
        elif line.startswith(b"*** "):
            yield from sessions.mark("trace.mark.tool", tool="swaks", said=line[4:].decode("utf-8", "replace"))
    yield from sessions.end()
