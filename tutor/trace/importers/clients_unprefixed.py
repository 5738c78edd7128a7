"""Client debug transcripts that print the SMTP lines bare: gsasl's SMTP client (`gsasl --smtp --verbose`,
sessions start at `Trying ‘host’...`) and Jakarta Mail / JavaMail with `mail.debug=true` (its own remarks start
`DEBUG`; `mail.debug.auth=true` shows the AUTH exchange, otherwise it says `AUTH PLAIN command trace
suppressed` and then whether it `succeeded` or `failed`). A line starting with a reply code is the server's,
any other the client's (message text stays the client's until its `.`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.trace.importers.clientlog import REPLY, Event, Reader
from tutor.trace.records import Record
from tutor.trace.source import Source

# ---- gsasl --smtp --verbose ------------------------------------------------------------------------------------
_GSASL_TRYING = re.compile("^Trying (?:‘|')(.*)(?:’|')\\.\\.\\.$".encode(), re.DOTALL)


def parse_gsasl(line: bytes) -> Event | None:
    if match := _GSASL_TRYING.match(line):
        return Event("begin", b"connection to " + match.group(1))
    if line.startswith(b"gsasl: "):
        return Event("note", line)                      # gsasl's own error message
    return Event("line", line)


def score_gsasl(lines: list[bytes]) -> int:
    trying = sum(5 for line in lines if _GSASL_TRYING.match(line))
    return trying + sum(1 for line in lines if REPLY.match(line)) if trying else 0


# ---- Jakarta Mail / JavaMail mail.debug --------------------------------------------------------------------------
_JAVA_CONNECT = re.compile(rb'^DEBUG SMTP: trying to connect to host "(.*)", port (\d+)')
_JAVA_LOGIN = re.compile(rb"^DEBUG SMTP: protocolConnect login, host=[^,]*, user=(.*), password=")
_JAVA_RESULT = re.compile(rb"^DEBUG SMTP: AUTH ([\w-]+) (succeeded|failed)$")
_JAVA_SUPPRESSED = re.compile(rb"^DEBUG SMTP: AUTH ([\w-]+) command trace suppressed$")
_JAVA_TLS = b"DEBUG SMTP: STARTTLS"


class _Jakarta:
    """Jakarta Mail says the user name before AUTH and, when the exchange was suppressed, only its outcome."""

    def __init__(self) -> None:
        self.user = ""
        self.suppressed = ""

    def parse(self, line: bytes) -> Event | None:
        if match := _JAVA_CONNECT.match(line):
            self.user, self.suppressed = "", ""
            return Event("begin", b"connection to " + match.group(1) + b":" + match.group(2))
        if not line.startswith(b"DEBUG"):
            return Event("line", line)
        if match := _JAVA_LOGIN.match(line):
            self.user = match.group(1).decode("utf-8", "replace")
        elif match := _JAVA_SUPPRESSED.match(line):
            self.suppressed = match.group(1).decode("ascii", "replace").upper()
            return Event("note", line)
        elif (match := _JAVA_RESULT.match(line)) and self.suppressed:
            self.suppressed = ""
            params = {"mechanism": match.group(1).decode("ascii", "replace").upper(), "user": self.user,
                      "result": "success" if match.group(2) == b"succeeded" else "failure"}
            return Event("auth", line, "", params)
        elif line.startswith(_JAVA_TLS):
            return Event("note", line)
        return None


def score_jakarta(lines: list[bytes]) -> int:
    smtp = sum(3 for line in lines if line.startswith(b"DEBUG SMTP: "))
    return smtp + sum(1 for line in lines if REPLY.match(line)) if smtp else 0


def read_gsasl(src: Source) -> Iterator[Record]:
    return Reader(src, "gsasl", "gsasl", parse_gsasl).records()


def read_jakarta(src: Source) -> Iterator[Record]:
    return Reader(src, "Jakarta Mail", "jakarta", _Jakarta().parse).records()
