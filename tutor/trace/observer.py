"""Observer mode: both directions of one captured session fed, in order, into the protocol core.

The client side of the core (tutor.protocol.client.ClientConnection) pairs each reply with what it answers
and tracks the state; the observer feeds it the client's lines as if typed and the server's lines as
received, checks every command against the legality table (tutor.protocol.states) when its reply arrives
(so pipelined commands are judged in the state they were meant for), and collects rows and AUTH attempts.
"""

from __future__ import annotations

from collections import deque

from tutor import escapes, explain
from tutor.explain import Note
from tutor.protocol import commands
from tutor.protocol.client import AUTH_RESPONSE, COMMAND, GREETING, BadReply, ClientConnection, ReplyReceived
from tutor.protocol.replies import Reply
from tutor.protocol.states import EXPECTED, State, is_legal
from tutor.trace import annotate, partial
from tutor.trace.annotate import note
from tutor.trace.observer_partial import PartialSessions, close_cut_reply
from tutor.trace.records import Logged, Mark
from tutor.trace.report import Attempt, Row, SessionReport

MAX_ROWS = 5000            # rows kept per session; the rest are counted (bounded memory)
MESSAGE_ROWS = 8           # message text lines shown before the rest are counted
ROW_TEXT = 16 * 1024       # characters of one row kept (RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets)


class Observer(PartialSessions):
    """One session seen from outside: `line()` for each wire line, `mark()` for events, `finish()` at the end."""

    def __init__(self, sid: str, label: str, source: str = "", keep_rows: bool = True) -> None:
        self.report = SessionReport(sid, label, source)
        self._keep = keep_rows
        self._conn = ClientConnection()
        self._pending: deque[Row | None] = deque([None])   # mirrors the connection's queue of what replies answer
        self._reply_rows: list[Row] = []
        self._attempt: Attempt | None = None
        self._payloads = 0
        self._authed = False
        self._tls = False
        self._message_lines = 0
        self._message_ended = False
        self._server_seen = False
        self._logged: Attempt | None = None                # the exchange a log is telling about
        self._logged_payloads = 0
        self.done = False                                  # encrypted from here on: feed nothing more
        self._keylog = False                               # the TLS was decrypted with a key log (tls_flow)

    # ---- input --------------------------------------------------------------------------------------
    def line(self, direction: str, data: bytes, where: str = "", t: float | None = None,
             tls: bool = False, secret: bool = False, cut: bool = False) -> None:
        """One line without CRLF, "C" from the client or "S" from the server; `cut`: its end was not captured."""
        if self.done:
            return
        self.report.lines += 1
        if tls and not self._tls and self._conn.state is not State.TLS_PENDING:
            self._tls = True                               # the whole capture is inside TLS (e.g. port 465)
        if direction == "S":
            self._server(close_cut_reply(data) if cut else data, where, t, cut, shown=data)
        else:
            self._client(data, where, t, secret, cut)

    def mark(self, mark: Mark) -> None:
        """An event around the lines; TLS marks move the state (RFC 3207 §4.2: the session starts again)."""
        if mark.key == "trace.mark.mid-session":
            self._skip_to_ready()
            return
        if mark.key == "trace.mark.no-greeting" and not self._server_seen:
            self._missing_greeting()
            return
        if mark.key == "trace_tls.mark.decrypting":           # a key log opened the TLS: read on (tls_flow)
            self.done, self._keylog, self.report.encrypted = False, True, False
            if self._conn.state is State.TLS_PENDING:
                self._tls_started()
        elif mark.key == "trace.mark.tls-started":
            self._tls_started()
        elif mark.key == "trace.mark.evicted":
            self.report.evicted = True
        elif mark.key == "trace.mark.encrypted-bytes":
            self.report.encrypted_octets = int(mark.params.get("octets", 0))
        elif mark.key.startswith("trace_tls.mark.") and "octets" in mark.params:   # --keylog's last word (tls_flow)
            self.report.encrypted_octets = int(mark.params["octets"])
            self.report.tls_note = Note(mark.key, dict(mark.params))
        elif mark.key in ("trace.mark.encrypted", "trace.mark.implicit-tls"):
            self.report.encrypted = True
            self.done = True
        elif mark.key == "trace.mark.tool-auth":
            self._tool_auth(mark)
        self._add(Row("mark", mark.text, mark.where, kind="mark", tls=self._tls, secret=bool(mark.params.get("secret")),
                      notes=[] if mark.text else [Note(mark.key, dict(mark.params))]))

    def _tool_auth(self, mark: Mark) -> None:
        """What a client's debug output says about an AUTH exchange it hid (nodemailer's `/* secret */`, Jakarta
        Mail's `command trace suppressed`): the user name and result go to the open exchange, or to a new one
        marked redacted when the exchange itself is not shown."""
        params = mark.params
        attempt = self._attempt
        if attempt is None and params.get("result"):
            attempt = Attempt(params.get("mechanism", ""), mark.where, self._tls, redacted=True)
            self.report.attempts.append(attempt)
        if attempt is None:
            return
        attempt.user = attempt.user or params.get("user", "")
        if params.get("result") and attempt.result == "unanswered":
            attempt.result = params["result"]

    def logged(self, event: Logged) -> None:
        """A log line about AUTH: read as an attempt (a result joins the exchange it ends), its base64 decoded;
        a client payload is read like a wire line, so a password in a debug log is found and masked."""
        row = Row("log", event.line, event.where, kind="log")
        if event.mechanism or event.result:
            self._logged_attempt(event, row)
        elif event.user and self._logged is not None:
            self._logged.user = self._logged.user or event.user
        if event.secret:
            self._logged_secret(event, row)
        if event.payload:
            attempt = self._logged
            if event.side == "C" and attempt is not None and not event.result:
                index = self._logged_payloads
                row.secret = annotate.log_client_payload(attempt, event.payload, index, row.notes)
                if not row.secret and partial.credential_role(attempt.mechanism, index, event.payload.encode()):
                    row.secret = True                      # masked by role, not by decode success
                    partial.mask_notes(row.notes, 0)
                self._logged_payloads += 1
                row.keep = event.line.rfind(event.payload) if row.secret else 0
            else:
                annotate.log_payload(event.mechanism, event.payload, row.notes, attempt,
                                     last_challenge=event.result == "failure")
        self._add(row)

    def _logged_secret(self, event: Logged, row: Row) -> None:
        """A password the log line holds in clear: the exchange's password, and the line masked from it on."""
        attempt = self._logged
        if attempt is None:
            attempt = Attempt(event.mechanism, event.where, user=event.user, logged=True)
            self.report.attempts.append(attempt)
            self._logged, self._logged_payloads = attempt, 0
        if attempt.password is None:
            attempt.password = event.secret
        row.secret = True
        row.keep = max(0, event.line.find(event.secret))

    def _logged_attempt(self, event: Logged, row: Row) -> None:
        attempt = self._logged
        joins = (attempt is not None and event.result and attempt.result == "unanswered"
                 and event.mechanism in ("", attempt.mechanism))
        if joins and attempt is not None:
            attempt.result = event.result
            attempt.user = attempt.user or event.user
        else:
            attempt = Attempt(event.mechanism, event.where, user=event.user, result=event.result or "unanswered",
                              logged=True)
            self.report.attempts.append(attempt)
            self._logged, self._logged_payloads = attempt, 0
        key = f"note.log-{event.result or 'auth'}" + ("" if attempt.user or not event.result else "-no-user")
        row.notes.append(note(key, mechanism=attempt.mechanism or "?", user=attempt.user or "?"))

    def finish(self) -> SessionReport:
        """The report; an exchange still open at the end stays `unanswered`."""
        if self._message_lines > MESSAGE_ROWS:
            self._add(Row("mark", "", kind="mark", notes=[note("note.message-lines", count=self._message_lines)]))
        return self.report

    @property
    def state(self) -> State:
        return self._conn.state

    # ---- client side ---------------------------------------------------------------------------------
    def _client(self, data: bytes, where: str, t: float | None, secret: bool, cut: bool = False) -> None:
        if not self._keep and data != b"." and self._conn.state is State.DATA:
            self._message_lines += 1                       # message text, no listing: only counted (fast path)
            return
        if self._conn.state is State.GREETING and not self._server_seen:
            self._start_from_client(data, where)
        self._answer_missing_replies(data, where)
        if self._conn.state is State.TLS_PENDING:          # lines after STARTTLS shown decrypted
            self._tls_started()
            self._add(Row("mark", "", where, kind="mark", tls=True, notes=[note("mark.handshake-not-shown")]))
        kind = self._conn.line_kind()
        row = Row("C", self._text(data), where, t, self._tls, "data" if kind == "message" else "command")
        if kind == "message":
            self._message(data, row)
            return
        outgoing = self._conn.outgoing(data)               # read once: its kind and, for a command, the command
        self._conn.send_line(outgoing)
        self._pending.append(row)
        if outgoing.command is None:
            row.kind = "auth"
            self._last_sent = "AUTH"
            self._auth_response(data, row, cut)
        else:
            command = outgoing.command
            self._last_sent = command.verb
            self._command(command, row, cut)
        self._add(row)

    def _missing_greeting(self) -> None:
        """The capture starts after the greeting (smtplib, openssl -starttls): pretend a 220 came."""
        self._conn.receive_data(b"220 greeting not in the capture\r\n")
        self._conn.next_event()
        self._pending.popleft()
        self._add(Row("mark", "", kind="mark", notes=[note("mark.no-greeting")]))

    def _skip_to_ready(self) -> None:
        """The capture holds only an AUTH exchange (a hashcat line): greeting and EHLO assumed, not shown."""
        self._server_seen = True
        for line in (b"220 assumed\r\n", b"EHLO assumed", b"250 assumed\r\n"):
            if line.endswith(b"\r\n"):
                self._conn.receive_data(line)
                self._conn.next_event()
                self._pending.popleft()
            else:
                self._conn.send_line(line)
                self._pending.append(None)

    def _command(self, command: commands.Command, row: Row, cut: bool = False) -> None:
        if command.verb == "AUTH":
            self._auth_command(command, row, cut)
            return
        if cut:
            row.notes.append(note("note.cut-line"))
        elif command.verb == "STARTTLS":
            row.notes.append(note("note.starttls"))
        elif command.verb == "MAIL":
            path = commands.parse_path(command.argument)
            if path is not None and "AUTH" in path.params:
                row.notes.append(note("note.mail-auth", value=path.params["AUTH"]))
        elif command.verb and not command.known:
            row.notes.append(Note("sequence.unknown-verb"))

    def _auth_command(self, command: commands.Command, row: Row, cut: bool = False) -> None:
        parsed = commands.parse_auth(command.argument)
        if parsed is None:
            row.notes.append(note("note.cut-line" if cut else "problem.auth-no-mechanism"))
            return
        self._attempt = Attempt(parsed.mechanism, row.where, self._tls, keylog=self._keylog)
        self._payloads = 0
        self.report.attempts.append(self._attempt)
        caps = self._conn.capabilities
        if caps.auth_mechanisms and not caps.offers(parsed.mechanism):
            row.notes.append(note("problem.not-offered", mechanism=parsed.mechanism))
        if parsed.initial_response is not None and annotate.is_redacted(command.raw):
            self._attempt.redacted = True
            self._payloads = 1
            row.notes.append(note("note.redacted"))
        elif parsed.initial_response is not None:
            row.keep = len(command.raw) - len(parsed.initial_response)
            if cut:
                self._cut_client(parsed.initial_response.encode("utf-8", "replace"), row, initial=True)
            else:
                ir, first = parsed.initial_response, len(row.notes)
                row.secret = annotate.initial_response(self._attempt, ir, row.notes)
                if not row.secret and partial.credential_role(parsed.mechanism, 0, ir.encode("utf-8", "replace")):
                    row.secret = True                      # masked by role, not by decode success
                    partial.mask_notes(row.notes, first)
            self._payloads = 1
        else:
            row.notes.append(note("note.auth-start", mechanism=parsed.mechanism))

    def _auth_response(self, data: bytes, row: Row, cut: bool = False) -> None:
        if self._attempt is None:
            return
        if cut:
            self._cut_client(data, row, initial=False)
        else:
            first = len(row.notes)
            row.secret = annotate.auth_response(self._attempt, data, self._payloads, row.notes)
            if not row.secret and partial.credential_role(self._attempt.mechanism, self._payloads, data):
                row.secret = True                          # masked by role, not by decode success
                partial.mask_notes(row.notes, first)
        self._payloads += 1

    def _message(self, data: bytes, row: Row) -> None:
        self._conn.send_line(data)
        if data == b".":
            self._message_ended = True                     # the reply that follows answers the message
            self._pending.append(row)
            row.notes.append(note("note.message-end", count=self._message_lines))
            self._add(row)
            return
        self._message_lines += 1
        if self._message_lines <= MESSAGE_ROWS:
            self._add(row)

    # ---- server side ---------------------------------------------------------------------------------
    def _server(self, data: bytes, where: str, t: float | None, cut: bool = False, shown: bytes | None = None) -> None:
        if not self._server_seen and self._conn.state is State.GREETING:
            self._start_from_server(data, where)
        if self._conn.state is State.DATA and not self._message_ended:   # the tool did not show it (curl -v)
            self._conn.send_message_line(b".")
            self._pending.append(None)
            self._add(Row("mark", "", where, kind="mark", tls=self._tls, notes=[note("mark.message-hidden")]))
        self._server_seen = True
        self._message_ended = False
        self._server_lines += 1
        inner = not self._keep and not cut and data[3:4] == b"-"
        event = self._conn.receive_line(data) if inner else None
        if inner and event is None:
            return                           # a reply's inner line, no listing: nothing to show for it (fast path)
        row = Row("S", self._text(data if shown is None else shown), where, t, self._tls, "reply")
        if cut:
            row.notes.append(note("note.cut-line"))
        self._reply_rows.append(row)
        self._add(row)
        if not inner:
            event = self._conn.receive_line(data)
        while event is not None:
            if isinstance(event, ReplyReceived):
                self._reply(event, self._reply_rows[-1])
            elif isinstance(event, BadReply):
                row.kind = "bad"
                row.notes.append(note("problem.bad-reply", why=event.malformed.why))
            self._reply_rows = []
            event = self._conn.next_event()

    def _reply(self, event: ReplyReceived, row: Row) -> None:
        answered = self._pending.popleft() if event.answers.kind != "unsolicited" and self._pending else None
        kind, reply = event.answers.kind, event.reply
        if kind == COMMAND and event.answers.command is not None:
            if self._keep or answered is None:     # no listing: a row's notes would never be shown
                self._check_sequence(event, answered)
            self._after_command(event.answers.command.verb, event, row)
        elif kind == AUTH_RESPONSE and self._attempt is not None:
            self._auth_reply(reply, row)
        elif kind == "unsolicited":
            row.notes.append(note("problem.unsolicited"))
        elif kind == GREETING and reply.code != 220:
            row.notes.append(note("note.greeting-refused"))
        if self._keep and reply.code != 334:
            meaning = annotate.reply_meaning(reply, event.answers)
            if meaning is not None:
                row.notes.insert(0, meaning)
        self._authed = self._conn.authenticated

    def _check_sequence(self, event: ReplyReceived, answered: Row | None) -> None:
        """Strict: the legality table (tutor.protocol.states) in the state the command was meant for."""
        command = event.answers.command
        assert command is not None, "called for replies that answer a command"
        verb = command.verb
        target = answered.notes if answered is not None else self.report.problems
        if verb == "AUTH" and self._authed and event.state_before is State.READY:
            target.append(Note("sequence.auth-twice"))     # RFC 4954 §4: AUTH after success gets 503
        elif verb in commands.VERBS and not is_legal(event.state_before, verb):
            target.append(note("problem.sequence", verb=verb, state=event.state_before.value))
            target.append(Note(EXPECTED[event.state_before]))

    def _after_command(self, verb: str, event: ReplyReceived, row: Row) -> None:
        reply = event.reply
        if verb == "EHLO" and reply.code == 250:
            self.report.advertised = self._conn.capabilities.auth_mechanisms
            if self._keep:
                row.notes.extend(annotate.ehlo(self._conn.capabilities, self._tls))
        elif verb == "AUTH" and self._attempt is not None:
            self._auth_reply(reply, row)
        elif verb == "STARTTLS" and reply.code == 220:
            self.report.starttls = True
            row.notes.append(note("note.starttls-accepted"))

    def _auth_reply(self, reply: Reply, row: Row) -> None:
        attempt = self._attempt
        assert attempt is not None, "called only inside an AUTH exchange"
        if reply.code == 334:
            row.kind = "auth"
            annotate.challenge(attempt, reply, row.notes)
            return
        annotate.finish(attempt, reply, row.notes)
        self._attempt = None

    # ---- helpers -------------------------------------------------------------------------------------
    def _tls_started(self) -> None:
        self._conn.tls_established()                       # RFC 3207 §4.2: forget the capabilities, EHLO again
        self._pending.clear()
        self._tls = True
        self.report.starttls = True

    def _text(self, data: bytes) -> str:
        return escapes.show(data) if self._keep else ""

    def _add(self, row: Row) -> None:
        if not self._keep:
            return
        if len(self.report.rows) >= MAX_ROWS:
            self.report.dropped_rows += 1
            return
        if len(row.text) > ROW_TEXT:                       # bounded memory: SMTP lines are far shorter
            row.text = row.text[:ROW_TEXT] + explain.text("trace.render.row-cut", count=len(row.text) - ROW_TEXT)
        self.report.rows.append(row)
