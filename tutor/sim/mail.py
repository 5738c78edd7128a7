"""The simulated server's mail transaction: MAIL, RCPT, DATA and the message, under a submission policy.

RFC 5321 §3.3 (the transaction), RFC 4954 §5 (MAIL FROM's AUTH= parameter) and §7 (ESMTPA in Received),
RFC 6409 §4.3 via RFC 4954 §6 (530 5.7.0 when a submission server needs AUTH first). Nothing is relayed:
accepted messages go to a tutor.sim.sink.Sink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate

from tutor.protocol.commands import Command, parse_path
from tutor.protocol.server import MessageReceived
from tutor.sim.output import Collector, clean, echo
from tutor.sim.profiles import Profile
from tutor.sim.sink import Message, Sink

_BODY_VALUES = ("7BIT", "8BITMIME")   # RFC 6152 BODY= parameter


@dataclass
class Transaction:
    """The envelope being built: the sender from MAIL, the recipients from RCPT."""

    mail_from: str
    rcpts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Session:
    """What the transaction needs to know about the session it runs in."""

    user: str | None
    tls: bool
    helo: str
    esmtp: bool


class MailHandler:
    """MAIL / RCPT / DATA for one session; each handler returns False when the command was malformed."""

    def __init__(self, profile: Profile, sink: Sink, emit: Collector, reply: Callable[..., None],
                 hostname: str, clock: Callable[[], float]) -> None:
        self._profile = profile
        self._sink = sink
        self._emit = emit
        self._reply = reply
        self._hostname = hostname
        self._clock = clock
        self.tx: Transaction | None = None

    def reset(self) -> None:
        """Abandon the transaction (RSET, EHLO, STARTTLS)."""
        self.tx = None

    def mail(self, command: Command, session: Session) -> bool:
        if self._profile.auth_requires_tls and not session.tls:
            self._emit.note("sim.mail.need-tls")
            self._reply("starttls-first")
            return True
        if session.user is None:
            self._emit.note("sim.mail.need-auth")   # a submission server: RFC 4954 §6 530 5.7.0
            self._reply("auth-required")
            return True
        path = parse_path(command.argument)
        if path is None or path.keyword != "FROM":
            self._reply("syntax-mail")
            return False
        for key, value in path.params.items():
            verdict = self._mail_param(key, value)
            if verdict != "ok":
                return verdict == "refused"
        self._emit.note("sim.mail.sender", address=clean(path.address) or "(empty: a bounce)")
        self.tx = Transaction(path.address)
        self._reply("sender-ok")
        return True

    def _mail_param(self, key: str, value: str) -> str:
        """"ok", "refused" (a well-formed parameter we say no to) or "bad" (after replying)."""
        if key == "AUTH":   # RFC 4954 §5: a server offering AUTH MUST accept the parameter
            self._emit.note("sim.mail.auth-param", value=clean(value))
            return "ok"
        if key == "BODY" and value.upper() in _BODY_VALUES:
            return "ok"
        if key == "SIZE" and value.isdigit():   # RFC 1870: the size the client declares
            if int(value) <= self._profile.max_message_size:
                return "ok"
            self._reply("too-big", limit=self._profile.max_message_size)
            return "refused"
        self._reply("bad-param", param=echo(f"{key}={value}" if value else key))
        return "bad"

    def rcpt(self, command: Command) -> bool:
        path = parse_path(command.argument)
        if path is None or path.keyword != "TO" or not path.address:
            self._reply("syntax-rcpt")
            return False
        if path.params:
            self._reply("bad-param", param=echo(" ".join(path.params)))
            return False
        assert self.tx is not None
        if len(self.tx.rcpts) >= self._profile.max_recipients:
            self._reply("too-many-rcpts")
            return True
        self.tx.rcpts.append(path.address)
        self._emit.note("sim.rcpt.accepted", address=clean(path.address))
        self._reply("rcpt-ok")
        return True

    def data(self, command: Command) -> bool:
        if command.argument:
            self._reply("syntax-noarg", verb="DATA")
            return False
        self._emit.note("sim.data.start")
        self._reply("data")
        return True

    def message(self, event: MessageReceived, session: Session) -> None:
        """The end of the message text: check it, store it, answer 250 (or why not)."""
        tx, self.tx = self.tx, None
        if tx is None:   # pragma: no cover - DATA is only legal inside a transaction
            self._reply("bad-sequence")
            return
        if event.long_lines:   # RFC 5321 §4.5.3.1.6: text lines are at most 1000 octets with CRLF
            self._emit.note("sim.data.long-lines", count=event.long_lines)
            self._reply("long-text-line", limit=1000)
            return
        if event.oversize or len(event.data) > self._profile.max_message_size:
            self._reply("too-big", limit=self._profile.max_message_size)
            return
        message = self._make(tx, event.data, session)
        try:
            self._sink.deliver(message)
        except OSError as exc:
            self._emit.note("sim.data.sink-failed", error=str(exc))
            self._reply("sink-failed")
            return
        self._emit.note("sim.data.queued", id=message.id, user=session.user or "nobody",
                        octets=len(event.data), count=len(tx.rcpts), sink=self._sink.label)
        self._emit.note("sim.data.received", line=message.received.decode("utf-8", "replace").rstrip())
        self._reply("queued", id=message.id)

    def _make(self, tx: Transaction, data: bytes, session: Session) -> Message:
        """The message with its Received line; `with ESMTPSA` etc. per RFC 3848 and RFC 4954 §7."""
        proto = "ESMTP" if session.esmtp else "SMTP"
        if session.esmtp:
            proto += ("S" if session.tls else "") + ("A" if session.user else "")
        queue_id = self._sink.next_id()
        who = f" (authenticated as {session.user})" if session.user else ""
        received = (f"Received: from {echo(session.helo) or 'unknown'} by {self._hostname} with {proto}{who} "
                    f"id {queue_id}; {formatdate(self._clock())}\r\n")
        return Message(queue_id, tx.mail_from, tuple(tx.rcpts), data, session.user, received.encode("utf-8"))

