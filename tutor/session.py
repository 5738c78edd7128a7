"""The one pump between a Transport and a ClientConnection: send a line, collect its replies, record it all.

Every line that crosses the wire and every note shown goes into a Transcript (AUTH responses and initial
responses marked secret). The caller gets display items back, in the order a learner should read them.
Reading waits at most `timeout` seconds for an expected reply, so a silent live server gives a tutor line,
never a hang; the in-memory simulator answers at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from tutor import escapes
from tutor.errors import TransportError
from tutor.explain import Note
from tutor.protocol import auth as auth_framing
from tutor.protocol import commands
from tutor.protocol.client import (
    AUTH_RESPONSE,
    MESSAGE,
    BadReply,
    ClientConnection,
    Outgoing,
    ReplyReceived,
    Sent,
    ServerClosed,
)
from tutor.protocol.replies import Reply
from tutor.protocol.states import State
from tutor.transcript import Entry, Transcript
from tutor.transport.base import ReadTimeout, TlsInfo, Transport

QUIT_CLOSE_WAIT = 2.0   # seconds a session waits for the server to close after answering QUIT with 221


class ItemKind(StrEnum):
    """What a display item is (equal to its short string, as transcripts and front ends spell it)."""

    __hash__ = str.__hash__     # as the string it equals, at C speed (these are looked up per line)

    CLIENT = "C"
    SERVER = "S"
    NOTE = "note"
    SIM = "sim"            # what the simulated server thought
    DETAIL = "detail"      # verbose: the octets on the wire
    ERROR = "error"


CLIENT, SERVER, NOTE, SIM, DETAIL, ERROR = ItemKind


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while waiting for the server: carries what was already received and shown, so nothing is lost."""

    def __init__(self, items: list) -> None:
        super().__init__()
        self.items = items


@dataclass(frozen=True)
class Item:
    """One thing to show: a wire line (C/S), a tutor note, a simulator note, a detail or an error.

    `typed` marks the echo of a line the learner typed (an interactive terminal already shows it).
    """

    kind: str
    text: str
    secret: bool = False
    key: str = ""
    typed: bool = False


@dataclass
class AuthView:
    """What the session knows of the AUTH exchange in progress (or the last one)."""

    mechanism: str | None = None
    responses: int = 0                   # client messages sent so far, the initial response included
    last_challenge: bytes | None = None  # the last 334 challenge, decoded
    active: bool = False
    messages: list = field(default_factory=list)   # ("C" | "S", decoded bytes) in order: what :scram walks


class Annotator(Protocol):
    """Turns lines into explanatory notes (tutor.display.annotations implements it)."""

    def client(self, line: bytes, kind: str, auth: AuthView) -> list[Note]: ...

    def reply(self, reply: Reply, answers: Sent, auth: AuthView) -> list[Note]: ...


@dataclass
class Session:
    """A connection in use: the transport, the client state machine, the transcript it feeds."""

    transport: Transport
    transcript: Transcript = field(default_factory=Transcript)
    annotator: Annotator | None = None
    timeout: float = 10.0
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.client = ClientConnection()
        self.auth = AuthView()
        # Implicit TLS (RFC 8314 §3.3): the transport finished the handshake before the greeting.
        self.tls_info: TlsInfo | None = getattr(self.transport, "tls_info", None)
        self.client.tls = self.tls_info is not None
        self.closed = False
        self.quit_sent = False      # after QUIT the server closing is expected (RFC 5321 §4.1.1.10), not news
        self._quit_answered = False  # ...and once its 221 came, the close is waited for (QUIT_CLOSE_WAIT)
        self.logged_in_with: str | None = None   # the mechanism that got 235 (a later refused AUTH keeps it)
        if not self.transcript.target:
            self.transcript.target = self.transport.description

    # ---- what the REPL shows about the connection ------------------------------------------------
    @property
    def state(self) -> State:
        return self.client.state

    @property
    def target(self) -> str:
        return self.transport.description

    @property
    def last_reply(self) -> Reply | None:
        return self.client.last_reply

    # ---- driving ---------------------------------------------------------------------------------
    def open(self) -> list[Item]:
        """Read the greeting (and what the server thought while making it)."""
        items = self._server_notes()
        if self.tls_info is not None and not self.transport.is_simulator:
            items.append(self._note(Note("transport.tls.implicit-up", {"summary": self.tls_info.summary()})))
        return items + self._collect(1, items)

    def send(self, line: bytes, *, typed: bool = True) -> list[Item]:
        """Send one line as the client state says it is (command, AUTH response, message text)."""
        if self.closed:
            return [self._note(Note("repl.note.not-connected"), ERROR)]
        outgoing = self.client.outgoing(line)          # read once: kind and parsed command
        kind = outgoing.kind
        problem = self.client.sequence_problem(outgoing)
        wire = self.client.send_line(outgoing)
        secret = self._is_secret(outgoing)
        items = [self._line(CLIENT, wire[:-2], secret, typed),
                 Item(DETAIL, Note("repl.verbose.sent", {"octets": len(wire), "wire": escapes.show(wire)}).text(),
                      secret)]
        if problem:
            items.append(self._note(Note(problem)))
        if self.annotator is not None:
            items += [self._note(n) for n in self.annotator.client(line, kind, self.auth)]
        self._track_sent(outgoing)
        try:
            self.transport.send(wire)
        except TransportError as exc:
            return items + self._lost(str(exc))
        expected = 0 if kind is MESSAGE and line != b"." else 1
        items += self._server_notes()
        return items + self._collect(expected, items)

    def start_tls(self) -> list[Item]:
        """Do the TLS handshake now (after a 220 to STARTTLS)."""
        if self.closed:
            return [self._note(Note("repl.note.not-connected"), ERROR)]
        try:
            info = self.transport.start_tls()
        except TransportError as exc:
            return self._lost(str(exc), "repl.note.tls-failed")
        except KeyboardInterrupt:   # the transport closed the socket: a half-done handshake is of no use
            raise Interrupted(self._lost("", "repl.note.tls-stopped")) from None
        dropped = self.client.tls_established()
        self.tls_info = info
        summary = info.summary() if info is not None else "?"
        items = [self._note(Note("repl.note.tls-up", {"summary": summary}))]
        octets = len(dropped) + getattr(info, "discarded", 0)   # the parser's and the socket's clear text
        if octets:
            items.append(self._note(Note("repl.note.tls-dropped", {"octets": octets})))
        return items + self._server_notes() + self._drain()

    def close(self, key: str = "repl.note.closed-by-us") -> list[Item]:
        """Close our side without a word to the server."""
        if self.closed:
            return []
        self.transport.close()
        self.closed = True
        return [self._note(Note(key, {"target": self.target}))]

    # ---- reading ---------------------------------------------------------------------------------
    def _collect(self, expected: int, before: Sequence[Item] = ()) -> list[Item]:
        """Read until `expected` replies arrived, then take whatever else is already there.

        Ctrl-C while waiting raises Interrupted with `before`, what came so far and a note saying so.
        """
        items: list[Item] = []
        got = 0
        while not self.closed:
            try:
                # the replies expected, then whatever else is there; after QUIT's 221 the server closes
                # (RFC 5321 §4.1.1.10), which a live server's FIN may take a moment to show: wait for it
                wait = self.timeout if got < expected else (
                    min(self.timeout, QUIT_CLOSE_WAIT) if self._quit_answered else 0.0)
                data = self.transport.receive(wait)
            except KeyboardInterrupt:
                raise Interrupted([*before, *items, self._note(Note("repl.note.stopped-waiting"))]) from None
            except ReadTimeout:
                if got < expected:
                    items.append(self._note(Note("repl.note.timeout", {"seconds": f"{self.timeout:g}"})))
                break
            except TransportError as exc:
                return items + self._lost(str(exc))
            self.client.receive_data(data)
            try:
                more, replies = self._events()
            except Interrupted as stop:   # Ctrl-C during a STARTTLS handshake
                stop.items[:0] = [*before, *items]
                raise
            items += more
            got += replies
        return items

    def _drain(self) -> list[Item]:
        return self._collect(0)

    def _events(self) -> tuple[list[Item], int]:
        items: list[Item] = []
        replies = 0
        while (event := self.client.next_event()) is not None:
            if isinstance(event, ReplyReceived):
                replies += 1
                items += self._on_reply(event)
            elif isinstance(event, BadReply):
                items.append(self._line(SERVER, event.malformed.raw))
                items.append(self._note(Note("repl.note.bad-reply", {"why": event.malformed.why})))
            elif isinstance(event, ServerClosed):
                items += self.close("shell.note.closed-after-quit" if self.quit_sent else "repl.note.server-closed")
        return items, replies

    def _on_reply(self, event: ReplyReceived) -> list[Item]:
        reply = event.reply
        raw = reply.raw or reply.to_bytes()
        items = [self._line(SERVER, part) for part in raw.split(b"\r\n") if part]
        if self.annotator is not None:
            items += [self._note(n) for n in self.annotator.reply(reply, event.answers, self.auth)]
        self._track_reply(reply, event.answers)
        command = event.answers.command
        if command is not None and command.verb == "QUIT" and reply.code == 221:
            self._quit_answered = True
        if command is not None and command.verb == "STARTTLS" and reply.code == 220:
            items += self.start_tls()
        return items

    def _lost(self, why: str, key: str = "repl.note.transport-error") -> list[Item]:
        items = [self._note(Note(key, {"error": why}), ERROR)]
        return items + self.close("repl.note.connection-lost")

    def _server_notes(self) -> list[Item]:
        return [self._note(n, SIM) for n in self.transport.notes()]

    # ---- the AUTH exchange -----------------------------------------------------------------------
    def _is_secret(self, outgoing: Outgoing) -> bool:
        """Does the line carry a client message of an AUTH exchange the registry says is recorded secret
        (RFC 4954 §4: AUTH responses and initial responses carry credentials; `*` does not)?"""
        from tutor.sasl import registry as sasl_registry  # every mechanism: not needed to greet

        if outgoing.kind is AUTH_RESPONSE:
            cancel = outgoing.line.strip() == auth_framing.CANCEL
            return not cancel and sasl_registry.recorded_as_secret(self.auth.mechanism, self.auth.responses + 1)
        if outgoing.command is None:
            return False
        # any whitespace: a server that splits on tabs reads `AUTH<TAB>PLAIN blob` too
        words = outgoing.line.split(None, 2)
        if len(words) != 3 or words[0].upper() != b"AUTH":
            return False
        return sasl_registry.recorded_as_secret(words[1].decode("ascii", "replace"), 1)

    def _track_sent(self, outgoing: Outgoing) -> None:
        if outgoing.kind is AUTH_RESPONSE:
            self.auth.responses += 1
            self._keep_message(auth_framing.decode_response(outgoing.line).data)
            return
        command = outgoing.command
        self.quit_sent = self.quit_sent or (command is not None and command.verb == "QUIT")
        if command is None or command.verb != "AUTH":
            return
        parsed = commands.parse_auth(command.argument)
        mechanism = parsed.mechanism if parsed else None
        self.auth = AuthView(mechanism, int(bool(parsed and parsed.initial_response)), None, True)
        if parsed is not None and parsed.initial_response is not None:
            self._keep_message(auth_framing.decode_initial(parsed.initial_response).data)

    def _keep_message(self, data: bytes | None, direction: str = "C") -> None:
        if data is not None and len(self.auth.messages) < 16:   # bounded: an exchange has a few messages
            self.auth.messages.append((direction, data))

    def _track_reply(self, reply: Reply, answers: Sent) -> None:
        about_auth = answers.kind == AUTH_RESPONSE or (answers.command is not None and answers.command.verb == "AUTH")
        if not about_auth:
            return
        if reply.code == 334:
            self.auth.last_challenge = auth_framing.decode_challenge(reply.lines[0]).data
            self._keep_message(self.auth.last_challenge, "S")
        else:
            self.auth.active = False
            if reply.code == 235:
                self.logged_in_with = self.auth.mechanism

    # ---- recording -------------------------------------------------------------------------------
    def _line(self, direction: str, data: bytes, secret: bool = False, typed: bool = False) -> Item:
        self.transcript.add(Entry(direction, data, self.clock(), self.client.tls, secret))
        return Item(direction, escapes.show(data), secret, typed=typed)

    def _note(self, note: Note, kind: str | None = None) -> Item:
        text = note.text()
        self.transcript.add(Entry("note", t=self.clock(), secret=note.secret, key=note.key, text=text,
                                  source=note.source))
        shown = kind or (SIM if note.source == "server" else NOTE)
        return Item(shown, text, note.secret, note.key)
