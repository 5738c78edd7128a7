"""The simulated server's command handlers, one per verb (RFC 5321 §4.1.1, AUTH: RFC 4954, STARTTLS: RFC 3207).

A mixin of tutor.sim.server.SimServer, which holds the session they work on; each returns False when the command
was malformed (the server counts it as a bad command).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tutor.protocol.commands import Command
from tutor.protocol.replies import Reply, make
from tutor.sim import ehlo, replies
from tutor.sim.output import echo

if TYPE_CHECKING:
    from tutor.sim.auth import AuthHandler
    from tutor.sim.mail import MailHandler, Session
    from tutor.sim.outcome import Outcome
    from tutor.sim.output import Collector
    from tutor.sim.profiles import Profile


class Verbs:
    """The handlers; what they use of the session is SimServer's (declared here for the type checker)."""

    if TYPE_CHECKING:
        profile: Profile
        hostname: str
        user: str | None
        _emit: Collector
        _book: replies.ReplyBook
        _reply: Callable[..., None]
        _send: Callable[..., None]
        _helo: str
        _esmtp: bool
        _offers_starttls: bool
        _mail_handler: MailHandler | None

        @property
        def tls(self) -> bool: ...
        @property
        def authenticated(self) -> bool: ...
        @property
        def _authn(self) -> AuthHandler: ...
        @property
        def _mail(self) -> MailHandler: ...
        def _reset_mail(self) -> None: ...
        def _auth_outcome(self, outcome: Outcome) -> None: ...
        def _session(self) -> Session: ...

    def _ehlo(self, command: Command) -> bool:
        if not command.argument:
            self._reply("syntax-ehlo", verb=command.verb)
            return False
        in_transaction = self._mail_handler is not None and self._mail_handler.tx is not None
        self._helo, self._esmtp = command.argument.split()[0], command.verb == "EHLO"
        self._reset_mail()   # RFC 5321 §4.1.4: EHLO/HELO also reset a transaction in progress
        if in_transaction:
            self._emit.note("sim.ehlo.reset")
        if command.verb == "HELO":
            self._emit.note("sim.ehlo.helo")
            self._reply("helo")
            return True
        self._send(*self._ehlo_reply())
        if self._emit.explain:
            self._emit.all(ehlo.notes(self.profile, self.tls))
        return True

    def _ehlo_reply(self) -> tuple[Reply, bytes]:
        """The EHLO reply (RFC 2034 §3: no enhanced codes on it), made once per client name and kept in the book."""
        tls, profile = self.tls, self.profile
        key = (self._helo, tls, self._offers_starttls, profile.offered(tls))
        made = self._book.ehlo.get(key)
        if made is None:
            greeting = profile.ehlo_greeting.format(host=self.hostname, client=echo(self._helo))
            reply = make(250, greeting, *ehlo.extensions(profile, tls, self._offers_starttls))
            if len(self._book.ehlo) >= replies.EHLO_LIMIT:
                self._book.ehlo.clear()
            made = self._book.ehlo[key] = (reply, reply.to_bytes())
        return made

    def _auth(self, command: Command) -> bool:
        if self.authenticated:
            self._emit.note("sim.auth.twice", user=self.user or "")
            self._reply("auth-twice")   # RFC 4954 §4: after a successful AUTH, further AUTH MUST get 503
            return False
        if self._after_helo("helo-no-auth"):
            return True
        if self.profile.auth_requires_tls and not self.tls:
            self._emit.note("sim.auth.need-tls")
            self._reply("starttls-first")
            return True
        self._auth_outcome(self._authn.start(command.argument, self.tls))
        return True

    def _mail_from(self, command: Command) -> bool:
        if self.user is None and self._after_helo("helo-no-mail"):
            return True
        return self._mail.mail(command, self._session())

    def _after_helo(self, refusal: str) -> bool:
        """AUTH (or MAIL before AUTH) after HELO, not EHLO: AUTH is an extension, offered only in an EHLO reply
        (RFC 4954 §3, RFC 5321 §2.2). The lab accepts it with a note, as Postfix does; `strict` refuses it with
        503. True when refused."""
        if self._esmtp or not self._helo:
            return False
        self._emit.note("sim.helo.no-extensions")
        if not self.profile.auth_needs_ehlo:
            return False
        self._emit.note("sim.helo.refused")
        self._reply(refusal)
        return True

    def _rcpt(self, command: Command) -> bool:
        return self._mail.rcpt(command)

    def _data(self, command: Command) -> bool:
        return self._mail.data(command)

    def _rset(self, command: Command) -> bool:
        if command.argument:
            self._reply("syntax-noarg", verb="RSET")
            return False
        self._reset_mail()
        self._emit.note("sim.rset", user=self.user or "")
        self._reply("ok")
        return True

    def _noop(self, command: Command) -> bool:
        self._reply("ok")
        return True

    def _help(self, command: Command) -> bool:
        self._reply("help")
        return True

    def _vrfy(self, command: Command) -> bool:
        if not command.argument:
            self._reply("syntax-ehlo", verb="VRFY")
            return False
        self._emit.note("sim.vrfy")
        self._reply("vrfy")   # RFC 5321 §3.5.3: 252 when the server will not say
        return True

    def _expn(self, command: Command) -> bool:
        self._reply("expn")
        return True

    def _quit(self, command: Command) -> bool:
        self._emit.note("sim.quit")
        self._reply("bye")
        self._emit.close = True
        return True

    def _starttls(self, command: Command) -> bool:
        if not self.profile.advertises("STARTTLS"):
            self._reply("not-implemented", verb="STARTTLS")
            return False
        if self.tls:
            self._reply("tls-active")
            return False
        if command.argument:   # RFC 3207 §4: "501 Syntax error (no parameters allowed)"
            self._reply("syntax-noarg", verb="STARTTLS")
            return False
        if not self._offers_starttls:
            self._emit.note("sim.tls.unavailable")
            self._reply("starttls-unavailable")
            return True
        self._emit.note("sim.tls.ready")
        self._reply("starttls-ready")
        self._reset_mail()
        self._emit.start_tls = True
        return True


# Verb -> handler: one plain dict (ARCHITECTURE.md convention 6).
HANDLERS: dict[str, Callable[[Verbs, Command], bool]] = {
    "EHLO": Verbs._ehlo, "HELO": Verbs._ehlo, "AUTH": Verbs._auth, "MAIL": Verbs._mail_from,
    "RCPT": Verbs._rcpt, "DATA": Verbs._data, "RSET": Verbs._rset, "NOOP": Verbs._noop,
    "HELP": Verbs._help, "VRFY": Verbs._vrfy, "EXPN": Verbs._expn, "QUIT": Verbs._quit,
    "STARTTLS": Verbs._starttls,
}

