"""The client side of the SMTP wire as a sans-IO state machine: lines out as bytes, replies in as events.

It pairs every reply with what it answers (pipelining-safe), tracks the session state, the advertised
capabilities and the AUTH exchange, and says when a line is out of sequence. It never refuses to send:
the learner must see the server's real answer (docs/ARCHITECTURE.md convention 2).
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum

from tutor.protocol import capabilities, commands
from tutor.protocol.record import Record, _set
from tutor.protocol.replies import MalformedReply, Reply, ReplyParser
from tutor.protocol.states import EXPECTED, State, Trigger, is_legal, next_state


class LineKind(StrEnum):
    """What a client line is, by the state it is sent in; also what a reply answers (Sent.kind)."""

    __hash__ = str.__hash__     # as the string it equals, at C speed (these are looked up per line)

    GREETING = "greeting"               # (what the first reply answers: nothing was sent)
    COMMAND = "command"
    AUTH_RESPONSE = "auth-response"     # an answer to a 334 (base64 or `*`), RFC 4954 §4
    MESSAGE = "message"                 # a line of message text, after 354
    MESSAGE_END = "message-end"         # the lone "." that ends it (RFC 5321 §4.1.1.4)
    UNSOLICITED = "unsolicited"         # (a reply nothing asked for)


GREETING, COMMAND, AUTH_RESPONSE, MESSAGE, MESSAGE_END = (
    LineKind.GREETING, LineKind.COMMAND, LineKind.AUTH_RESPONSE, LineKind.MESSAGE, LineKind.MESSAGE_END)


class Sent(Record):
    """What a reply answers: its kind and, for a command, the parsed command."""

    __slots__ = ("kind", "command", "line")
    kind: LineKind
    command: commands.Command | None
    line: bytes

    def __init__(self, kind: LineKind, command: commands.Command | None = None, line: bytes = b"") -> None:
        # "command" given as a string still compares by `is`
        _set(self, "kind", kind if type(kind) is LineKind else LineKind(kind))
        _set(self, "command", command)
        _set(self, "line", line)


class Outgoing(Record):
    """A line the learner is about to send, read once: its kind and, for a command, the parsed command."""

    __slots__ = ("line", "kind", "command")
    line: bytes
    kind: LineKind
    command: commands.Command | None

    def __init__(self, line: bytes, kind: LineKind, command: commands.Command | None = None) -> None:
        _set(self, "line", line)
        _set(self, "kind", kind)
        _set(self, "command", command)


class ReplyReceived(Record):
    """A reply, what it answers, and the state the session was in when it arrived."""

    __slots__ = ("reply", "answers", "state_before")
    reply: Reply
    answers: Sent
    state_before: State

    def __init__(self, reply: Reply, answers: Sent, state_before: State) -> None:
        _set(self, "reply", reply)
        _set(self, "answers", answers)
        _set(self, "state_before", state_before)


class BadReply(Record):
    """A reply line that could not be read as one."""

    __slots__ = ("malformed",)
    malformed: MalformedReply

    def __init__(self, malformed: MalformedReply) -> None:
        _set(self, "malformed", malformed)


class ServerClosed(Record):
    """The server closed the connection."""

    __slots__ = ()


ClientEvent = ReplyReceived | BadReply | ServerClosed
_TRIGGERS = {GREETING: Trigger.GREETING, AUTH_RESPONSE: Trigger.AUTH_RESPONSE, MESSAGE_END: Trigger.MESSAGE_END}


class ClientConnection:
    """Sans-IO SMTP client endpoint: `send_line`, `receive_data`, `next_event`."""

    def __init__(self) -> None:
        self.state = State.GREETING
        self.capabilities = capabilities.Capabilities()
        self.authenticated = False
        self.auth_ended = False   # the last reply ended an AUTH exchange (anything but 334 to AUTH or an answer)
        self.tls = False
        self.last_reply: Reply | None = None
        self._parser = ReplyParser()
        self._awaiting: deque[Sent] = deque([Sent(GREETING)])
        self._closed_reported = False

    # ---- outgoing -------------------------------------------------------------------------------
    def line_kind(self) -> LineKind:
        """What a line typed now would be: a command, an AUTH response or message text."""
        if self.state is State.AUTH:
            return AUTH_RESPONSE
        if self.state is State.DATA:
            return MESSAGE
        return COMMAND

    def outgoing(self, line: bytes) -> Outgoing:
        """Read a line to send once: its kind now and, for a command, the parsed command."""
        kind = self.line_kind()
        return Outgoing(line, kind, commands.parse(line) if kind is COMMAND else None)

    def sequence_problem(self, line: bytes | Outgoing) -> str | None:
        """A notes key when this command is out of sequence in the current state, else None."""
        out = line if isinstance(line, Outgoing) else self.outgoing(line)
        if out.command is None:
            return None
        verb = out.command.verb
        if verb and verb not in commands.VERBS:
            if self.auth_ended:
                from tutor.protocol.auth import looks_like_an_answer  # (rare: not on the start-up path)
                if looks_like_an_answer(out.line):
                    return "sequence.after-auth"
            return "sequence.unknown-verb"
        if self.state is State.READY and verb == "AUTH" and self.authenticated:
            return "sequence.auth-twice"
        return None if is_legal(self.state, verb) else EXPECTED[self.state]

    def send_line(self, line: bytes | Outgoing) -> bytes:
        """Bytes for one line typed as is (no CRLF in `line`); message text goes via send_message_line."""
        out = line if isinstance(line, Outgoing) else self.outgoing(line)
        if out.kind is MESSAGE:
            return self.send_message_line(out.line)
        self._awaiting.append(Sent(out.kind, out.command, out.line))
        return out.line + b"\r\n"

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
        return self._event(item)

    def receive_line(self, line: bytes) -> ClientEvent | None:
        """One line from the server without its CRLF (a tracer's lines come split): the same as
        receive_data(line + CRLF) then next_event(), with one parse of the line."""
        item = self._parser.take_line(line)
        if item is None:
            return self.next_event() if self._parser.eof else None
        return self._event(item)

    def _event(self, item: Reply | MalformedReply) -> ClientEvent:
        if isinstance(item, MalformedReply):
            return BadReply(item)
        answers = self._awaiting.popleft() if self._awaiting else Sent(LineKind.UNSOLICITED)
        before = self.state
        self._apply(item, answers)
        self.last_reply = item
        return ReplyReceived(item, answers, before)

    def _apply(self, reply: Reply, answers: Sent) -> None:
        """Move the state by the one transition table; learn the capabilities from EHLO/HELO."""
        verb = answers.command.verb if answers.kind is COMMAND and answers.command is not None else ""
        if verb == "EHLO" and reply.code == 250:
            self.capabilities = capabilities.parse(reply)
        elif verb == "HELO" and reply.code == 250:
            self.capabilities = capabilities.Capabilities(reply.lines[0].split(" ", 1)[0])
        before, answered = self.state, verb or _TRIGGERS.get(answers.kind, Trigger.UNSOLICITED)
        self.state = next_state(before, answered, reply.code)
        in_auth = verb == "AUTH" or answers.kind is AUTH_RESPONSE
        self.auth_ended = in_auth and reply.code != 334
        if reply.code == 235 and in_auth:
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
