"""hashcat mode 10200 `$cram_md5$` lines (also read by John the Ripper jumbo's HMAC-MD5 format): `$cram_md5$<base64
challenge>$<base64 response>`,
each read as one CRAM-MD5 exchange so `--password` / `--wordlist` can test it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.trace.importers.base import Sessions
from tutor.trace.records import Record
from tutor.trace.source import Source

_LINE = re.compile(rb"^(?:[^:$]*:)?\$cram_md5\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]*)\s*$")


def score(lines: list[bytes]) -> int:
    return sum(5 for line in lines if _LINE.match(line))


def read(src: Source) -> Iterator[Record]:
    sessions = Sessions(src.name, "hashcat")
    for sessions.number, line in src.numbered():
        match = _LINE.match(line)
        if match is None:
            continue
        yield from sessions.begin(f"{src.name}:{sessions.number}: hashcat $cram_md5$ line")
        yield from sessions.mark("trace.mark.mid-session")
        yield from sessions.wire("C", b"AUTH CRAM-MD5")
        yield from sessions.wire("S", b"334 " + match.group(1))
        yield from sessions.wire("C", match.group(2))
    yield from sessions.end()
