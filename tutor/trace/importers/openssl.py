"""A pasted `openssl s_client` session: certificate and handshake report first, then the SMTP lines as the
terminal showed them, unprefixed: a line starting with a reply code is the server's, any other the user's.

With `-starttls smtp` openssl does the greeting, EHLO and STARTTLS itself and shows none of it, except (a
quirk) the last line of the EHLO reply; everything shown is inside TLS.
"""

from __future__ import annotations

import re
from typing import Iterator

from tutor.trace.importers.base import Sessions
from tutor.trace.records import Record
from tutor.trace.source import Source

_REPLY = re.compile(rb"^[2-5][0-9][0-9](?:[ -]|$)")
_MARKERS = (b"CONNECTED(", b"depth=", b"verify return:", b"Certificate chain", b"SSL handshake has read",
            b"Verify return code:", b"New, TLSv", b"Server certificate")
_NOISE = (b"DONE", b"read R BLOCK", b"RENEGOTIATING", b"closed", b"read:errno=", b"KEYUPDATE")


def score(lines: list[bytes]) -> int:
    return sum(3 for line in lines if line.startswith(_MARKERS))


class _State:
    def __init__(self) -> None:
        self.header = True            # inside the certificate / handshake report
        self.verified = False         # "Verify return code" seen: the next `---` ends the report
        self.skipping = False         # inside a `---` ... `---` block after the report (session tickets)
        self.seen_client = False
        self.seen_server = False


def read(src: Source) -> Iterator[Record]:
    sessions = Sessions(src.name, "openssl")
    state = _State()
    for sessions.number, line in enumerate(src.lines(), 1):
        if line.startswith(b"CONNECTED("):
            yield from sessions.begin(f"{src.name}: openssl s_client session")
            sessions.tls = True
            state = _State()
        elif state.header:
            state.verified |= line.strip().startswith(b"Verify return code:")
            state.header = not (state.verified and line.rstrip() == b"---")
        else:
            yield from _protocol_line(sessions, state, line)
    yield from sessions.end()


def _protocol_line(sessions: Sessions, state: _State, line: bytes) -> Iterator[Record]:
    if line.rstrip() == b"---":
        state.skipping = not state.skipping
    elif state.skipping or line.startswith(_NOISE) or line.startswith(b"    ") or not line.strip():
        return
    elif _REPLY.match(line):
        if not state.seen_server and not state.seen_client and not line.startswith(b"220"):
            yield from sessions.mark("trace.mark.openssl-leftover", shown=line.decode("utf-8", "replace"))
            yield from sessions.mark("trace.mark.no-greeting")     # -starttls: openssl did greeting and EHLO
            state.seen_server = True
            return
        state.seen_server = True
        yield from sessions.wire("S", line)
    else:
        state.seen_client = True
        yield from sessions.wire("C", line)
