"""The server side of the SMTP wire as a sans-IO state machine: bytes in, events out; replies in, bytes out.

It frames lines, knows what a line means in the current state (command, AUTH response, message text) and
moves the state when a reply is sent. Policy (who may log in, what is accepted) is the caller's: tutor.sim.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from tutor.protocol import commands
from tutor.protocol.framing import AUTH_LINE_LIMIT, COMMAND_LINE_LIMIT, TEXT_LINE_LIMIT, Line, LineReader, LineTooLong
from tutor.protocol.replies import Reply
from tutor.protocol.states import State, Trigger, is_legal, next_state

# The events are NamedTuples: immutable like frozen dataclasses, and made for every line a server reads at a
# fraction of their cost.


class CommandReceived(NamedTuple):
    command: commands.Command
    legal: bool                 # per tutor.protocol.states.LEGAL in the state it arrived in
    bare_lf: bool = False


class AuthResponseReceived(NamedTuple):
    line: bytes                 # still base64 (or "*"); decode with tutor.protocol.auth.decode_response


class MessageReceived(NamedTuple):
    data: bytes                 # dot-unstuffed (RFC 5321 §4.5.2), lines ended by CRLF
    long_lines: int = 0         # lines over the 1000-octet text limit (RFC 5321 §4.5.3.1.6)
    oversize: bool = False      # over max_message_size: the rest was dropped, `data` is only its start
    bare_lf_lines: int = 0      # text lines that ended in LF alone (RFC 5321 §4.1.1.4: MUST NOT be accepted)
    bare_lf_end: bool = False   # the final "." ended in LF alone: "<LF>.<LF>" taken as the end of data


class LineTooLongReceived(NamedTuple):
    limit: int
    length: int
    in_auth: bool               # inside an AUTH exchange (a client response after 334)
    auth_command: bool = False  # the line began with the AUTH verb (an initial response too long)


class ConnectionClosed(NamedTuple):
    """The client closed its side."""


ServerEvent = CommandReceived | AuthResponseReceived | MessageReceived | LineTooLongReceived | ConnectionClosed
# What a reply answers when the last event was not a command (a command: its verb).
_TRIGGERS: dict[type, str] = {AuthResponseReceived: Trigger.AUTH_RESPONSE, MessageReceived: Trigger.MESSAGE_END,
                              LineTooLongReceived: Trigger.LINE_TOO_LONG}
# The one transition table's answers, remembered: the same few (state, verb, code) come back on every session.
_next_state = lru_cache(maxsize=1024)(next_state)


class ServerConnection:
    """Sans-IO SMTP server endpoint: `receive_data`, `next_event`, `send(reply)`."""

    def __init__(self, max_message_size: int = 64 * 1024 * 1024) -> None:
        self.max_message_size = max_message_size     # bounds memory: text past it is counted, not kept
        self.state = State.GREETING
        self.authenticated = False
        self.tls = False
        self._reader = LineReader(AUTH_LINE_LIMIT)
        self._last: ServerEvent | None = None
        self._message = bytearray()
        self._long_lines = 0
        self._oversize = False
        self._bare_lf_lines = 0

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the client; b"" when it closed."""
        if self.state is State.TLS_PENDING:
            return   # RFC 3207 §4.2 / STARTTLS injection: nothing sent before the handshake may be used
        self._reader.receive_data(data)

    def next_event(self) -> ServerEvent | None:
        """The next event, or None when more data is needed."""
        while True:
            item = self._reader.next_line()
            if item is None:
                return ConnectionClosed() if self._reader.eof and self.state is not State.CLOSED else None
            event = self._interpret(item)
            if event is not None:
                self._last = event
                return event

    def _interpret(self, item: Line | LineTooLong) -> ServerEvent | None:
        if self.state is State.DATA:
            return self._message_line(item)
        if isinstance(item, LineTooLong):
            in_auth = self.state is State.AUTH
            is_auth = not in_auth and commands.parse(item.head).verb == "AUTH"
            return LineTooLongReceived(item.limit, item.length, in_auth, is_auth)
        if self.state is State.AUTH:
            return AuthResponseReceived(item.data)
        command = commands.parse(item.data)
        if command.verb != "AUTH" and len(item.data) + 2 > COMMAND_LINE_LIMIT:
            return LineTooLongReceived(COMMAND_LINE_LIMIT, len(item.data) + 2, False)
        return CommandReceived(command, is_legal(self.state, command.verb), item.bare_lf)

    def _message_line(self, item: Line | LineTooLong) -> ServerEvent | None:
        if isinstance(item, LineTooLong):
            self._long_lines += 1
            return None
        if item.data == b".":
            event = MessageReceived(bytes(self._message), self._long_lines, self._oversize, self._bare_lf_lines,
                                    item.bare_lf)
            self._message.clear()
            self._long_lines = self._bare_lf_lines = 0
            self._oversize = False
            return event
        self._bare_lf_lines += item.bare_lf
        data = item.data[1:] if item.data.startswith(b".") else item.data   # RFC 5321 §4.5.2 dot-unstuffing
        if len(item.data) + 2 > TEXT_LINE_LIMIT:
            self._long_lines += 1
        if len(self._message) + len(data) + 2 > self.max_message_size:
            self._oversize = True
        else:
            self._message += data + b"\r\n"
        return None

    def send(self, reply: Reply, wire: bytes | None = None) -> bytes:
        """Serialise a reply and move the state according to what it answers. `wire`: the reply's bytes when the
        caller already has them (a reply it sends often, serialised once)."""
        self._advance(reply.code)
        return reply.to_bytes() if wire is None else wire

    def _advance(self, code: int) -> None:
        """Move the state by the one transition table (tutor.protocol.states.TRANSITIONS)."""
        before, last = self.state, self._last
        command = last.command if type(last) is CommandReceived else None
        if before is State.GREETING:
            answered: str = Trigger.GREETING
        elif command is not None:
            answered = command.verb
        else:
            answered = _TRIGGERS.get(type(last), Trigger.UNSOLICITED)
        after = self.state = _next_state(before, answered, code)
        if code == 235 and ((command is not None and command.verb == "AUTH" and before is State.READY) or
                            (type(last) is AuthResponseReceived and before is State.AUTH)):
            self.authenticated = True
        if after is State.TLS_PENDING and before is not State.TLS_PENDING:
            self._reader.discard_pending()     # STARTTLS injection defence (RFC 3207 §4.2)
        self._reader.limit = TEXT_LINE_LIMIT if after is State.DATA else AUTH_LINE_LIMIT

    def tls_established(self) -> None:
        """RFC 3207 §4.2: after the handshake the session is reset; the client must EHLO again."""
        self.tls = True
        self.authenticated = False
        self.state = State.INITIAL
        self._reader = LineReader(AUTH_LINE_LIMIT)
