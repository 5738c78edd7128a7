"""What importers hand the tracer: wire lines, marks, log events, session ends and bad parts of the input."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_OPEN_SESSIONS = 10_000      # sessions open at once in one input; past it the least recently active is reported


@dataclass(slots=True)
class Wire:
    """One line that crossed the wire: "C" from the client, "S" from the server; `data` without CRLF."""

    session: str
    direction: str
    data: bytes
    where: str = ""
    t: float | None = None
    tls: bool = False
    secret: bool = False
    cut: bool = False             # the capture cut this line short (snap length, lost bytes): its end is missing
    user: str = ""                # a redacted credential line's user name, as its transcript kept it


@dataclass(slots=True)
class Mark:
    """Something that happened around the lines: TLS started, the rest is encrypted, bytes missing, a note.

    `key` is a `trace.mark.*` key in tutor/data/trace.toml (or any note key); `text` overrides the words
    (for notes recorded in a transcript, which arrive already worded).
    """

    session: str
    key: str
    where: str = ""
    params: dict = field(default_factory=dict)
    text: str = ""


@dataclass(slots=True)
class Logged:
    """A mail-server log line about an AUTH exchange (Postfix, Dovecot); `payload` is base64 found in it."""

    session: str
    line: str
    where: str = ""
    mechanism: str = ""
    user: str = ""
    result: str = ""              # "success", "failure" or ""
    payload: str = ""
    side: str = ""                # who sent the payload: "C" the client (may hold a password), "S" the server
    secret: str = ""              # a password the log line holds in clear (Dovecot's `(given password: X)`)


@dataclass(slots=True)
class Begin:
    """A session starts; `label` names it (file and number, or the TCP endpoints)."""

    session: str
    label: str
    source: str = ""              # the input format, e.g. "swaks", "pcap"


@dataclass(slots=True)
class End:
    """A session is over (connection closed); its report can be made and its memory freed."""

    session: str


@dataclass(slots=True)
class Bad:
    """A part of the input that could not be read; `message` is one line for standard error."""

    where: str
    message: str


Record = Wire | Mark | Logged | Begin | End | Bad
