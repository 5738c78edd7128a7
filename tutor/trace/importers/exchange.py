"""Microsoft Exchange SMTP protocol logs (SmtpReceive / SmtpSend, CSV): after `#Fields: date-time,connector-id,
session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context`, one row per event: `+` connect,
`-` disconnect, `<` a line received, `>` a line sent, `*` Exchange's remark. Rows of one session-id make one
session (sessions interleave). In a Send log (`#Log-type: SMTP Send Protocol Log`) Exchange is the client, so
`>` is the client's line and `<` the server's. Exchange writes `<authentication response>` in place of AUTH
payloads (and of the 334 challenge text); a `*` row whose context is `authenticated` names the user."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from tutor.trace.importers.clientlog import Event, Reader
from tutor.trace.records import Record
from tutor.trace.source import Source

HIDDEN = b"<authentication response>"
_DEFAULT_FIELDS = ("date-time", "connector-id", "session-id", "sequence-number", "local-endpoint",
                   "remote-endpoint", "event", "data", "context")


class _Exchange:
    def __init__(self) -> None:
        self.fields: tuple[str, ...] = _DEFAULT_FIELDS
        self.sending = False                    # a Send log: Exchange is the client

    def parse(self, line: bytes) -> Event | None:
        text = line.decode("utf-8", "replace")
        if text.startswith("#Fields:"):
            self.fields = tuple(f.strip() for f in text[8:].split(","))
            return None
        if text.startswith("#Log-type:"):
            self.sending = "send" in text.lower()
            return None
        if text.startswith("#") or not text.strip():
            return None
        try:
            row = dict(zip(self.fields, next(csv.reader([text])), strict=False))   # short rows: fewer fields
        except (csv.Error, StopIteration):
            return None
        if self.sending and row.get("event") in ("<", ">"):
            row["event"] = "<" if row["event"] == ">" else ">"
        return _event(row)


def _event(row: dict) -> Event | None:
    key, kind = row.get("session-id", ""), row.get("event", "")
    data = row.get("data", "").encode("utf-8", "surrogateescape")
    if not key or not kind:
        return None
    if kind == "+":
        return Event("begin", f"{row.get('remote-endpoint', '?')} to {row.get('local-endpoint', '?')}".encode(), key)
    if kind == "-":
        return Event("end", b"", key)
    if kind == "<":
        return Event("C", data, key)
    if kind == ">":
        return Event("S", b"334 " if data.startswith(b"334 ") and HIDDEN in data else data, key)
    if kind == "*" and row.get("context", "").strip().lower() == "authenticated" and data:
        return Event("auth", b"authenticated " + data, key, {"user": data.decode("utf-8", "replace")})
    return None


def score(lines: list[bytes]) -> int:
    header = any(line.startswith(b"#Fields: date-time,connector-id,session-id") for line in lines)
    return 5 + sum(1 for line in lines if line.count(b",") >= 7) if header else 0


def read(src: Source) -> Iterator[Record]:
    return Reader(src, "Exchange", "exchange", _Exchange().parse, hidden=(HIDDEN,)).records()
