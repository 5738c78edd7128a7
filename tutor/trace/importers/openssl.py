"""A pasted `openssl s_client` session: certificate and handshake report first, then the SMTP lines as the
terminal showed them, unprefixed: a line starting with a reply code is the server's, any other the user's.

With `-starttls smtp` openssl does the greeting, EHLO and STARTTLS itself and shows none of it, except (a
quirk) the last line of the EHLO reply; everything shown is inside TLS. With `-quiet` (the usual way to type
a session by hand) there is no report at all: only `depth=` / `verify return:` lines, then the SMTP lines; the
next `depth=` line after some SMTP lines is the next connection.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.trace.importers.base import Sessions
from tutor.trace.records import Record
from tutor.trace.source import Source

_REPLY = re.compile(rb"^[2-5][0-9][0-9](?:[ -]|$)")
_MARKERS = (b"CONNECTED(", b"depth=", b"verify return:", b"Certificate chain", b"SSL handshake has read",
            b"Verify return code:", b"New, TLSv", b"Server certificate")
_NOISE = (b"DONE", b"read R BLOCK", b"RENEGOTIATING", b"closed", b"read:errno=", b"KEYUPDATE",
          b"Can't use SSL_get_servername", b"verify error:", b"verify return:")
_COMMAND_LETTERS = (b"Q", b"R", b"k", b"K")   # s_client's connected commands (not with -quiet / -ign_eof)
_COMMAND_SAID = (b"DONE", b"RENEGOTIATING", b"KEYUPDATE")
_QUIET_START = (b"depth=", b"Can't use SSL_get_servername")   # a new -quiet connection (no CONNECTED line)


def score(lines: list[bytes]) -> int:
    return sum(3 for line in lines if line.startswith(_MARKERS))


class _State:
    def __init__(self) -> None:
        self.header = True            # inside the certificate / handshake report
        self.pem = False              # inside -----BEGIN ... -----END
        self.verified = False         # "Verify return code" seen: the next `---` ends the report
        self.skipping = False         # inside a `---` ... `---` block after the report (session tickets)
        self.seen_client = False
        self.seen_server = False
        self.interactive = False      # the full report was shown: no -quiet, so Q R k K are openssl's commands
        self.held: tuple[int, bytes] | None = None   # a typed line that may have been such a command


def read(src: Source) -> Iterator[Record]:
    sessions = Sessions(src.name, "openssl")
    state = _State()
    for sessions.number, line in src.numbered():
        if state.held is not None:
            yield from _release(sessions, state, line)
        if line.startswith(b"CONNECTED("):
            yield from _begin(sessions, src.name)
            state = _State()
            state.interactive = True
        elif line.startswith(_QUIET_START) and (state.seen_client or state.seen_server):
            yield from sessions.end()                   # -quiet: the next connection's verify lines
            state = _State()
        elif state.header and not state.pem and _REPLY.match(line):
            state.header = False                        # -quiet: no report, the SMTP lines start here
            if not sessions.open:
                yield from _begin(sessions, src.name)
            yield from _protocol_line(sessions, state, line)
        elif state.header:
            state.pem = line.startswith(b"-----BEGIN") or (state.pem and not line.startswith(b"-----END"))
            state.verified |= line.strip().startswith(b"Verify return code:")
            state.header = not (state.verified and line.rstrip() == b"---")
        else:
            yield from _protocol_line(sessions, state, line)
    if state.held is not None:
        yield from _release(sessions, state, b"")
    yield from sessions.end()


def _release(sessions: Sessions, state: _State, following: bytes) -> Iterator[Record]:
    """A held line starting with Q, R, k or K: openssl's own command if openssl said so on the next line."""
    assert state.held is not None, "called only while a line is held"
    number, line = state.held
    state.held = None
    current, sessions.number = sessions.number, number
    if following.startswith(_COMMAND_SAID):
        yield from sessions.mark("trace.mark.openssl-command", shown=line.decode("utf-8", "replace"))
    else:
        yield from sessions.wire("C", line)
    sessions.number = current


def _begin(sessions: Sessions, name: str) -> Iterator[Record]:
    """openssl s_client speaks TLS from the start (implicit TLS, or -starttls done before anything is shown)."""
    yield from sessions.begin(f"{name}: openssl s_client session")
    sessions.tls = True


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
        if state.interactive and line[:1] in _COMMAND_LETTERS:
            state.held = (sessions.number, line)        # decided by the next line (DONE, RENEGOTIATING...)
            return
        yield from sessions.wire("C", line)
