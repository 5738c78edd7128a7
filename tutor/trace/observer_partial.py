"""The observer's reading of partial sessions: a capture that starts mid-session (the state is inferred from
the first line seen), a server side that is missing (one-way captures: the client's lines are read by their
place in the exchange), and lines cut short by the capture (snap length)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.protocol import commands
from tutor.protocol.client import AUTH_RESPONSE, ReplyReceived
from tutor.protocol.states import State
from tutor.trace import partial
from tutor.trace.annotate import note
from tutor.trace.report import Attempt, Row

if TYPE_CHECKING:
    from collections import deque

    from tutor.protocol.client import ClientConnection
    from tutor.trace.report import SessionReport

_GREETINGS = (b"220", b"421", b"554")
_AUTH_REPLIES = (b"334", b"235", b"535", b"534", b"538", b"454", b"500", b"501", b"504")
_HELLOS = ("EHLO", "HELO", "LHLO")


def close_cut_reply(data: bytes) -> bytes:
    """A reply line cut short ends its reply: `250-...` becomes `250 ...` (the rest was not captured)."""
    return data[:3] + b" " + data[4:] if data[3:4] == b"-" else data


class PartialSessions:
    """Mixed into tutor.trace.observer.Observer (uses its _conn, _pending, _attempt, _payloads, _add, report)."""

    _one_way = False
    _last_sent = ""             # verb of the last command sent, "AUTH" also for the answers inside AUTH
    _server_lines = 0           # reply lines really captured

    if TYPE_CHECKING:           # what the Observer provides, declared for the type checker only
        report: SessionReport
        _conn: ClientConnection
        _pending: deque[Row | None]
        _attempt: Attempt | None
        _payloads: int
        _tls: bool

        def _add(self, row: Row) -> None: ...
        def _missing_greeting(self) -> None: ...
        def _skip_to_ready(self) -> None: ...

    # ---- the capture starts in the middle ---------------------------------------------------------------
    def _start_from_client(self, data: bytes, where: str) -> None:
        """The first line is the client's: after the greeting (EHLO), after EHLO (a command), inside an AUTH
        exchange (a short base64 line) or inside a message (any other text)."""
        verb = commands.parse(data).verb
        if verb in _HELLOS:
            self._missing_greeting()
            return
        self._skip_to_ready()
        if verb in commands.VERBS or verb in ("AUTH", "STARTTLS"):
            self._add(Row("mark", "", where, kind="mark", notes=[note("mark.starts-after-ehlo")]))
        elif partial.looks_like_auth_answer(data):
            self._add(Row("mark", "", where, kind="mark",
                          notes=[note("mark.starts-in-auth", mechanism="?", evidence="a base64 answer")]))
            self._resume_auth("?", where)
            self._stand_in(b"334 ")
        else:
            self._add(Row("mark", "", where, kind="mark", notes=[note("mark.starts-in-message")]))
            self._conn.send_line(b"DATA")
            self._pending.append(None)
            self._stand_in(b"354 ")

    def _resume_auth(self, mechanism: str, where: str) -> None:
        """An AUTH exchange whose AUTH command is not in the capture."""
        self._conn.send_line(b"AUTH " + (mechanism if mechanism != "?" else "X-UNKNOWN").encode())
        self._pending.append(None)
        self._attempt = Attempt("" if mechanism == "?" else mechanism, where, self._tls)
        self.report.attempts.append(self._attempt)
        self._payloads = 0
        self._last_sent = "AUTH"

    def _start_from_server(self, data: bytes, where: str) -> None:
        """The first line is a reply but not a greeting: the session is under way (perhaps inside AUTH)."""
        code = data[:3]
        if code in _GREETINGS:
            return
        self._skip_to_ready()
        if code not in _AUTH_REPLIES:
            self._add(Row("mark", "", where, kind="mark", notes=[note("mark.starts-mid-session")]))
            answers = b"DATA" if code == b"354" else b"EHLO not-captured" if data[:4] == b"250-" else b"NOOP"
            self._conn.send_line(answers)                  # what this reply answers (250-: an EHLO reply)
            self._pending.append(None)
            return
        mechanism, evidence = partial.mechanism_from_challenge(data) if code == b"334" else ("?", "")
        self._add(Row("mark", "", where, kind="mark",
                      notes=[note("mark.starts-in-auth", mechanism=mechanism, evidence=evidence or "?")]))
        self._resume_auth(mechanism, where)
        self._payloads = 1 if mechanism == "LOGIN" and b"UGFzc3dvcmQ6" in data else 0

    # ---- the server's side is missing -------------------------------------------------------------------
    def _answer_missing_replies(self, data: bytes, where: str) -> None:
        """Before a client line: if replies it must have waited for are missing, stand in for them (not shown)."""
        if not self._pending or self._conn.state in (State.GREETING, State.DATA):
            return
        verb = commands.parse(data).verb
        is_command = verb in commands.VERBS or verb in ("AUTH", "STARTTLS")
        waited = self._last_sent in ("AUTH", "DATA")
        # a command right after AUTH proves nothing when replies were captured (a client may pipeline it)
        if not self._one_way and not (waited and (not is_command or not self._server_lines)):
            return
        if not self._one_way:
            self._one_way = True
            self._add(Row("mark", "", where, kind="mark", notes=[note("mark.server-missing")]))
        while len(self._pending) > 1:
            self._stand_in(b"250 not captured")
        if self._last_sent == "AUTH":
            self._stand_in(b"535 not captured" if is_command else b"334 ")
        elif self._last_sent == "DATA" and not is_command:
            self._stand_in(b"354 not captured")
        else:
            self._stand_in(b"250 not captured")

    def _stand_in(self, reply: bytes) -> None:
        """A reply that is not in the capture: moves the state only; an AUTH result stays unknown."""
        self._conn.receive_data(reply + b"\r\n")
        while (event := self._conn.next_event()) is not None:
            if isinstance(event, ReplyReceived):
                if self._pending:
                    self._pending.popleft()
                answers = event.answers
                in_auth = answers.kind == AUTH_RESPONSE or (answers.command is not None and
                                                            answers.command.verb == "AUTH")
                if event.reply.code != 334 and in_auth:
                    self._attempt = None

    # ---- lines cut short ---------------------------------------------------------------------------------
    def _cut_client(self, data: bytes, row: Row, initial: bool) -> None:
        """A client line whose end the capture lost: read what is whole, mask by role."""
        row.notes.append(note("note.cut-line"))
        if self._attempt is None:
            return
        partial.cut_payload(self._attempt, data, 0 if initial else self._payloads, row.notes)
        row.secret = partial.credential_role(self._attempt.mechanism, 0 if initial else self._payloads, data)
