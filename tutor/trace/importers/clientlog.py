"""Reading a mail client's debug transcript, whatever the tool: each tool's module turns a line into an event
(a client or server line, a connection opening, a note), and this reader keeps the connections apart, starts
a new session at a second greeting, keeps message text on the client side, and handles what tools write in
place of a credential (PHPMailer's `[credentials hidden]`, nodemailer's `/* secret */`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tutor.errors import InputError
from tutor.protocol import b64
from tutor.trace.records import Begin, End, Mark, Record, Wire
from tutor.trace.source import Source
from tutor.transcript import REDACTED

REDACTED_BYTES = REDACTED.encode()
REPLY = re.compile(rb"^[2-5][0-9][0-9](?:[ -]|$)")
MAX_CONNECTIONS = 1000              # connections open at once in one transcript (bounded memory)


@dataclass(slots=True)
class Event:
    """What one line of a transcript says. kind: C, S (a wire line), line (unprefixed: the reader decides the
    direction), data (message text, only inside DATA), begin, end, tls, note, decoded (a tool's decoding of a
    base64 line, printed beside it), auth (the tool says who logged in or how it went), mechanism (the tool
    says which mechanism it tries next)."""

    kind: str
    data: bytes = b""
    key: str = ""
    params: dict = field(default_factory=dict)


Parse = Callable[[bytes], "Event | None"]


@dataclass(slots=True)
class _Connection:
    sid: str
    lines: int = 0
    last_client: bytes = b""
    last_server: bytes = b""
    in_data: bool = False
    tls: bool = False
    mechanism: str = ""             # the AUTH exchange in progress
    hidden_command: bool = False    # the tool hid a whole command (Thunderbird's AUTH PLAIN): its reply tells
    announced: str = ""             # the mechanism the tool said it would use next (for a hidden AUTH command)
    payloads: int = 0               # client answers in it so far


class Reader:
    """Turns a tool's events into records; `tool` names it in labels and notes."""

    def __init__(self, src: Source, tool: str, fmt: str, parse: Parse, hidden: tuple[bytes, ...] = (),
                 hidden_decoded: bytes = b"") -> None:
        self.src, self.tool, self.fmt, self.parse = src, tool, fmt, parse
        self.hidden = hidden                    # whole lines the tool writes instead of a credential
        self.hidden_decoded = hidden_decoded    # what the tool puts inside base64 instead of a secret
        self.open: dict[str, _Connection] = {}
        self.count = 0
        self.number = 0

    def where(self) -> str:
        return f"{self.src.name}:{self.number}"

    def records(self) -> Iterator[Record]:
        for self.number, line in self.src.numbered():  # noqa: B020 - the line number is kept for errors
            event = self.parse(line)
            if event is not None:
                yield from self._event(event)
        for key in list(self.open):
            yield from self._end(key)

    # ---- sessions -------------------------------------------------------------------------------------
    def _begin(self, key: str, label: str = "") -> Iterator[Record]:
        yield from self._end(key)
        if len(self.open) >= MAX_CONNECTIONS:
            yield from self._end(next(iter(self.open)))
        self.count += 1
        sid = f"{self.src.name}#{self.count}"
        self.open[key] = _Connection(sid)
        yield Begin(sid, f"{self.src.name}: {self.tool} {label or 'connection'} ({self.count})", self.fmt)

    def _end(self, key: str) -> Iterator[Record]:
        conn = self.open.pop(key, None)
        if conn is not None:
            yield End(conn.sid)

    def _conn(self, key: str) -> Iterator[Record]:
        if key not in self.open:
            yield from self._begin(key)

    # ---- events ---------------------------------------------------------------------------------------
    def _event(self, event: Event) -> Iterator[Record]:
        kind, key = event.kind, event.key
        if kind == "begin":
            yield from self._begin(key, event.data.decode("utf-8", "replace"))
        elif kind == "end":
            yield from self._end(key)
        elif kind == "line":
            yield from self._unprefixed(event)
        elif kind == "data":
            if key in self.open and self.open[key].in_data:
                yield from self._wire(key, "C", event.data)
        elif kind in ("C", "S"):
            yield from self._wire(key, kind, event.data)
        elif kind == "mechanism":
            yield from self._conn(key)
            self.open[key].announced = event.data.decode("ascii", "replace").upper()
        else:
            yield from self._conn(key)
            yield from self._remark(self.open[key], event)

    def _remark(self, conn: _Connection, event: Event) -> Iterator[Record]:
        text = event.data.decode("utf-8", "replace")
        if event.kind == "tls":
            conn.tls = True
            yield Mark(conn.sid, "trace.mark.tls-started", self.where(), {"said": text})
        elif event.kind == "decoded":
            secret = event.params.get("side") == "C" and (conn.mechanism == "PLAIN" or (
                conn.mechanism == "LOGIN" and conn.payloads >= 1))
            yield Mark(conn.sid, "trace.mark.recorded", self.where(), {"source": self.tool, "secret": secret}, text)
        elif event.kind == "auth":
            params = {"tool": self.tool, "said": text, **event.params}
            yield Mark(conn.sid, "trace.mark.tool-auth", self.where(), params)
        else:
            yield Mark(conn.sid, "trace.mark.tool", self.where(), {"tool": self.tool, "said": text})

    def _unprefixed(self, event: Event) -> Iterator[Record]:
        """A line without a direction (gsasl, Jakarta Mail): a reply code makes it the server's, except inside
        the message; an empty line is the client's only as the answer to a 334 (an empty response)."""
        conn = self.open.get(event.key)
        data = event.data
        if conn is None:
            return
        if conn.in_data:
            yield from self._wire(event.key, "C", data)
        elif REPLY.match(data):
            yield from self._wire(event.key, "S", data)
        elif data or conn.last_server.startswith(b"334"):
            yield from self._wire(event.key, "C", data)

    def _wire(self, key: str, direction: str, data: bytes) -> Iterator[Record]:
        conn = self.open.get(key)
        if conn is not None and direction == "S" and data.startswith(b"220") and conn.lines and not conn.in_data \
                and conn.last_client.strip().upper() != b"STARTTLS" and conn.last_server[3:4] != b"-":
            yield from self._begin(key)                 # a second greeting: the next connection
        yield from self._conn(key)
        conn = self.open[key]
        conn.lines += 1
        extra: list[Record] = []
        if direction == "C":
            data = self._client(conn, data, extra)
        else:
            self._server(conn, data, extra)
        yield Wire(conn.sid, direction, data, self.where(), None, conn.tls)
        yield from extra
        if direction == "S" and data.startswith(b"221 ") and conn.last_client.strip().upper() == b"QUIT":
            yield from self._end(key)                   # over: what the tool prints next is not this session's

    def _client(self, conn: _Connection, data: bytes, extra: list[Record]) -> bytes:
        if conn.in_data:
            conn.in_data = data != b"."
            return data
        conn.last_client = data
        if data.strip() in self.hidden and not conn.mechanism:
            conn.hidden_command = True
            return data
        words = data.split(b" ", 2)
        if words[0].upper() == b"AUTH" and len(words) > 1:
            conn.mechanism, conn.payloads = words[1].decode("ascii", "replace").upper(), 0
            if len(words) == 3:
                return b"AUTH " + words[1] + b" " + self._payload(conn, words[2], extra)
            return data
        if conn.mechanism:
            return self._payload(conn, data, extra)
        return data

    def _payload(self, conn: _Connection, data: bytes, extra: list[Record]) -> bytes:
        """A client answer inside AUTH; what the tool wrote instead of the secret becomes the redaction mark,
        and the user name it left visible is said (nodemailer keeps `\\0user\\0` and `user ` in clear)."""
        conn.payloads += 1
        if data.strip() in self.hidden:
            return REDACTED_BYTES
        if not self.hidden_decoded:
            return data
        try:
            decoded = b64.decode(data)
        except InputError:
            return data
        if self.hidden_decoded not in decoded:
            return data
        user = _visible_user(conn.mechanism, decoded, self.hidden_decoded)
        params = {"tool": self.tool, "said": f"the secret was hidden ({self.hidden_decoded.decode()})"}
        extra.append(Mark(conn.sid, "trace.mark.tool-auth", self.where(), {**params, "user": user}))
        return REDACTED_BYTES

    def _server(self, conn: _Connection, data: bytes, extra: list[Record]) -> None:
        conn.last_server = data
        if conn.hidden_command and data[3:4] != b"-" and not data.startswith(b"334"):
            conn.hidden_command = False
            result = "success" if data.startswith(b"235") else "failure" if data[:1] in (b"4", b"5") else ""
            if result:
                params = {"tool": self.tool, "said": "a hidden command (AUTH) was answered " + data[:3].decode(
                    "ascii", "replace"), "result": result, "mechanism": conn.announced}
                extra.append(Mark(conn.sid, "trace.mark.tool-auth", self.where(), params))
        if data.startswith(b"354"):
            conn.in_data = True
        elif conn.mechanism and not data.startswith(b"334") and data[3:4] != b"-":
            conn.mechanism = ""


def _visible_user(mechanism: str, decoded: bytes, marker: bytes) -> str:
    if mechanism == "PLAIN":
        parts = decoded.split(b"\0")
        user = parts[1] if len(parts) == 3 else b""
    elif mechanism == "CRAM-MD5":
        user = decoded.partition(b" " + marker)[0] if marker in decoded else decoded.rpartition(b" ")[0]
    else:
        user = b""
    return "" if marker in user else user.decode("utf-8", "replace")
