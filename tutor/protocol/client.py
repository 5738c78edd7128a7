"""The client side of the SMTP wire as a sans-IO state machine: lines out as bytes, replies in as events.

It pairs every reply with what it answers (pipelining-safe), tracks the session state, the advertised
capabilities and the AUTH exchange, and says when a line is out of sequence. It never refuses to send:
the learner must see the server's real answer (ARCHITECTURE.md convention 2).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tutor.protocol import capabilities, commands
from tutor.protocol.replies import MalformedReply, Reply, ReplyParser
from tutor.protocol.states import EXPECTED, State, after_command, is_legal

GREETING, COMMAND, AUTH_RESPONSE, MESSAGE_END = "greeting", "command", "auth-response", "message-end"


@dataclass(frozen=True)
class Sent:
    """What a reply answers: its kind and, for a command, the parsed command."""

    kind: str
    command: commands.Command | None = None
    line: bytes = b""


@dataclass(frozen=True)
class ReplyReceived:
    reply: Reply
    answers: Sent
    state_before: State


@dataclass(frozen=True)
class BadReply:
    malformed: MalformedReply


@dataclass(frozen=True)
class ServerClosed:
    """The server closed the connection."""


ClientEvent = ReplyReceived | BadReply | ServerClosed


class ClientConnection:
    """Sans-IO SMTP client endpoint: `send_line`, `receive_data`, `next_event`."""

    def __init__(self) -> None:
        self.state = State.GREETING
        self.capabilities = capabilities.Capabilities()
        self.authenticated = False
        self.tls = False
        self.last_reply: Reply | None = None
        self._parser = ReplyParser()
        self._awaiting: deque[Sent] = deque([Sent(GREETING)])
        self._closed_reported = False

    # ---- outgoing -------------------------------------------------------------------------------
    def line_kind(self) -> str:
        """What a line typed now would be: a command, an AUTH response or message text."""
        if self.state is State.AUTH:
            return AUTH_RESPONSE
        if self.state is State.DATA:
            return "message"
        return COMMAND

    def sequence_problem(self, line: bytes) -> str | None:
        """A notes key when this command is out of sequence in the current state, else None."""
        if self.line_kind() != COMMAND:
            return None
        verb = commands.parse(line).verb
        if verb and verb not in commands.VERBS:
            return "sequence.unknown-verb"
        if self.state is State.READY and verb == "AUTH" and self.authenticated:
            return "sequence.auth-twice"
        return None if is_legal(self.state, verb) else EXPECTED[self.state]

    def send_line(self, line: bytes) -> bytes:
        """Bytes for one line typed as is (no CRLF in `line`); message text must go via send_message_line."""
        kind = self.line_kind()
        if kind == "message":
            return self.send_message_line(line)
        sent = Sent(kind, commands.parse(line) if kind == COMMAND else None, line)
        self._awaiting.append(sent)
        return line + b"\r\n"

    def send_message_line(self, line: bytes) -> bytes:
        """One line of message text, dot-stuffed (RFC 5321 §4.5.2); a lone "." ends the message."""
        if line == b".":
            self._awaiting.append(Sent(MESSAGE_END, None, line))
            return b".\r\n"
        return (b"." + line if line.startswith(b".") else line) + b"\r\n"

    # ---- incoming -------------------------------------------------------------------------------
    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the server; b"" when it closed."""
        self._parser.receive_data(data)

    def next_event(self) -> ClientEvent | None:
        """The next reply event, or None when more data is needed."""
        item = self._parser.next_reply()
        if item is None:
            if self._parser.eof and not self._closed_reported:
                self._closed_reported = True
                self.state = State.CLOSED
                return ServerClosed()
            return None
        if isinstance(item, MalformedReply):
            return BadReply(item)
        answers = self._awaiting.popleft() if self._awaiting else Sent("unsolicited")
        before = self.state
        self._apply(item, answers)
        self.last_reply = item
        return ReplyReceived(item, answers, before)

    def _apply(self, reply: Reply, answers: Sent) -> None:
        code = reply.code
        if code == 421:
            self.state = State.CLOSED
        elif answers.kind == GREETING:
            self.state = State.INITIAL if code == 220 else State.CLOSED
        elif answers.kind == COMMAND and answers.command is not None:
            self._after_command(answers.command.verb, reply)
        elif answers.kind == AUTH_RESPONSE:
            self._after_auth(code)
        elif answers.kind == MESSAGE_END:
            self.state = State.READY

    def _after_command(self, verb: str, reply: Reply) -> None:
        if verb == "EHLO" and reply.code == 250:
            self.capabilities = capabilities.parse(reply)
        elif verb == "HELO" and reply.code == 250:
            self.capabilities = capabilities.Capabilities(reply.lines[0].split(" ", 1)[0])
        self.state = after_command(self.state, verb, reply.code)
        if verb == "AUTH" and reply.code == 235:
            self.authenticated = True

    def _after_auth(self, code: int) -> None:
        self.state = after_command(State.AUTH, "AUTH", code)
        if code == 235:
            self.authenticated = True

    def tls_established(self) -> bytes:
        """RFC 3207 §4.2: the client MUST discard knowledge obtained before TLS (the capability list) and
        anything the server sent before the handshake; it should EHLO again. Returns the discarded bytes."""
        dropped = self._parser.reader.discard_pending()
        self._parser = ReplyParser()
        self.capabilities = capabilities.Capabilities()
        self.tls = True
        self.authenticated = False
        self.state = State.INITIAL
        self._awaiting.clear()
        return dropped
