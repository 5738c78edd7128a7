"""The simulated SMTP submission server (sans-IO): policy and explanations over tutor.protocol's ServerConnection.

Bytes in, an Output out (bytes to send, notes on what the server did and why, transcript lines, whether to
close or start TLS). The same object serves the REPL in memory and `smtp-tutor serve` on a socket.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from tutor.errors import InputError
from tutor.protocol.auth import looks_like_an_answer
from tutor.protocol.commands import Command
from tutor.protocol.framing import COMMAND_LINE_LIMIT
from tutor.protocol.server import (
    AuthResponseReceived,
    CommandReceived,
    ConnectionClosed,
    LineTooLongReceived,
    MessageReceived,
    ServerConnection,
    ServerEvent,
)
from tutor.protocol.states import EXPECTED, State
from tutor.sim import lenient, replies
from tutor.sim.accounts import Accounts
from tutor.sim.outcome import CONTINUE, ERROR, FAILURE, SUCCESS, Outcome
from tutor.sim.output import MASK, Collector, Output, client_line, echo, show
from tutor.sim.profiles import DEFAULT_HOSTNAME, PROFILES, Profile, canonical_name, check_max_auth_failures
from tutor.sim.sink import Sink
from tutor.sim.verbs import HANDLERS, Verbs

if TYPE_CHECKING:
    from tutor.sim.auth import AuthHandler
    from tutor.sim.mail import MailHandler, Session


_SYSTEM_RANDOM = random.SystemRandom()   # no state of its own: one serves every session that is given no rng


def _knows_no_one(name: str) -> None:
    """The impostor profile's password lookup: a fake server never knew anyone's password."""
    return None


@cache
def _auth_side() -> tuple:
    """(AuthHandler, the challenge factory maker, ScramBearerMechanisms): imported at the first AUTH, not at
    start-up, and then kept (three import statements run for every session cost ~2 us)."""
    from tutor.sim.auth import AuthHandler
    from tutor.sim.challenges import factory
    from tutor.sim.scram_bearer import ScramBearerMechanisms

    return AuthHandler, factory, ScramBearerMechanisms


def get_profile(name: str) -> Profile:
    """The profile called `name`; InputError listing the known ones otherwise."""
    try:
        return PROFILES[canonical_name(name)]
    except KeyError:
        raise InputError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None


class SimServer(Verbs):
    """One simulated SMTP session. Call connect() once, then receive(bytes) for everything the client sends.

    Deterministic when asked: `rng` and `clock` make the CRAM-MD5 challenges, SCRAM salts and nonces
    (ARCHITECTURE.md convention 9), `fixed_challenge` pins the CRAM-MD5 ones. `starttls=False` when the transport
    cannot do TLS (STARTTLS then gets 454). `max_auth_failures` overrides the profile's limit of failed logins
    before the 421 (0 = never; lessons pass LESSON_MAX_AUTH_FAILURES).
    """

    def __init__(self, profile: Profile | str = "lab", accounts: Accounts | None = None, *,
                 rng: random.Random | None = None, clock: Callable[[], float] | None = None,
                 sink: Sink | None = None, hostname: str = DEFAULT_HOSTNAME, starttls: bool = True,
                 fixed_challenge: bytes | None = None, max_auth_failures: int | None = None) -> None:
        self.profile = profile if isinstance(profile, Profile) else get_profile(profile)
        self.max_auth_failures = check_max_auth_failures(
            self.profile.max_auth_failures if max_auth_failures is None else max_auth_failures)
        self.accounts = (accounts if accounts is not None else Accounts.default()).including(self.profile.accounts)
        self.sink = sink if sink is not None else Sink()
        self.hostname = hostname
        self.user: str | None = None
        self._clock = clock or time.time
        self._offers_starttls = starttls
        self._conn = ServerConnection(max_message_size=self.profile.max_message_size + 1)
        self._emit = Collector()
        self._book = replies.book(self.profile, hostname)   # replies built once per profile and host name
        replier = replies.Replier(self._book, self._conn, self._emit)
        self._reply, self._send = replier.reply, replier.send
        self._rng = rng or _SYSTEM_RANDOM
        self._fixed_challenge = fixed_challenge
        # The AUTH and mail sides (the SASL mechanisms, e-mail headers) are made on first use: a start-up, and
        # a connection that never gets that far, import and build none of it.
        self._auth_handler: AuthHandler | None = None
        self._mail_handler: MailHandler | None = None
        self._helo = ""
        self._esmtp = False
        self._auth_failures = 0
        self._bad_commands = 0
        self._auth_ended = False        # the command just before ended an AUTH exchange (235, 535, 501, ...)

    # ---- what the REPL and the transports look at ------------------------------------------------------

    @property
    def state(self) -> State:
        return self._conn.state

    @property
    def authenticated(self) -> bool:
        return self._conn.authenticated

    @property
    def tls(self) -> bool:
        return self._conn.tls

    @property
    def closed(self) -> bool:
        return self._conn.state is State.CLOSED

    @property
    def explaining(self) -> bool:
        """Whether Outputs carry notes and transcript lines (True unless turned off)."""
        return self._emit.explain

    @explaining.setter
    def explaining(self, on: bool) -> None:
        """Off when nothing will read the notes or the transcript (serve with no log, record or view): the
        replies and the session's course are the same, only the explanations are not made."""
        self._emit.explain = on

    def summarise(self, note_keys: frozenset[str]) -> None:
        """For a reader that needs only the client's lines and a few notes (serve's classroom view, with no log or
        record): Outputs carry the client's transcript lines and the notes with these keys, nothing else."""
        self._emit.summarise(note_keys)

    @property
    def _authn(self) -> AuthHandler:
        """The AUTH side, made at the first AUTH command."""
        if self._auth_handler is None:
            AuthHandler, challenge_factory, ScramBearerMechanisms = _auth_side()
            factory = challenge_factory(self.profile.challenge, rng=self._rng, clock=self._clock,
                                        host=self.hostname, fixed=self._fixed_challenge)
            scram_bearer = ScramBearerMechanisms(self.profile, self.accounts, self._rng)
            lookup = _knows_no_one if self.profile.impostor else self.accounts.lookup
            self._auth_handler = AuthHandler(self.profile, lookup, factory, self._emit, self._reply, self._send,
                                             scram_bearer, accounts=self.accounts)
        return self._auth_handler

    @property
    def _mail(self) -> MailHandler:
        """The mail side, made at the first command that needs it."""
        if self._mail_handler is None:
            from tutor.sim.mail import MailHandler

            self._mail_handler = MailHandler(self.profile, self.sink, self._emit, self._reply, self.hostname,
                                             self._clock)
        return self._mail_handler

    def _reset_mail(self) -> None:
        if self._mail_handler is not None:
            self._mail_handler.reset()

    # ---- the transport's calls -------------------------------------------------------------------------

    def connect(self) -> Output:
        """The greeting (RFC 5321 §4.3.1: 220)."""
        if self.tls:
            self._emit.note("sim.connect.implicit-tls")
        self._emit.note("sim.connect.greeting", profile=self.profile.name, summary=self.profile.summary)
        self._reply("greeting")
        return self._emit.take()

    def receive(self, data: bytes) -> Output:
        """Bytes from the client (b"" when it closed its side); every complete line is answered."""
        if self.closed:
            return Output(close=True)
        self._conn.receive_data(data)
        while not (self._emit.close or self._emit.start_tls):
            event = self._conn.next_event()
            if event is None:
                break
            self._dispatch(event)
        return self._emit.take()

    def tls_established(self) -> Output:
        """Call after the transport's TLS handshake. Before connect(): implicit TLS (RFC 8314 §3.3).

        After STARTTLS, RFC 3207 §4.2: the server MUST discard what it learnt from the client before TLS, so
        the EHLO, any login and any transaction are forgotten. Returns the notes on it (no bytes to send).
        """
        if self._conn.state is State.GREETING:
            self._conn.tls = True
            return self._emit.take()
        self._conn.tls_established()
        self._forget_session()
        self._emit.note("sim.tls.established")
        return self._emit.take()

    def timeout(self) -> Output:
        """The client was idle too long: 421 and close (RFC 5321 §4.5.3.2.7)."""
        return self._closing("timeout", "sim.close.timeout")

    def busy(self) -> Output:
        """Instead of the greeting when the transport has too many clients: 421 and close."""
        return self._closing("busy", "sim.close.busy")

    def shutdown(self) -> Output:
        """The server is stopping: 421 and close (RFC 5321 §3.8)."""
        return self._closing("shutdown", "sim.close.shutdown")

    def _closing(self, key: str, note: str) -> Output:
        if not self.closed:
            self._emit.note(note)
            self._reply(key)
        self._emit.close = True
        return self._emit.take()

    # ---- events ----------------------------------------------------------------------------------------

    def _dispatch(self, event: ServerEvent) -> None:
        kind = type(event)
        if kind is CommandReceived:
            self._command(event)   # type: ignore[arg-type]  # (the type test above, at C speed)
        elif kind is AuthResponseReceived:
            self._auth_response(event)   # type: ignore[arg-type]
        elif isinstance(event, MessageReceived):
            self._emit.client(f"<message text: {len(event.data)} octets>")
            self._emit.client(".")
            if self._emit.explain:
                self._emit.all(lenient.message_notes(event.bare_lf_lines, event.bare_lf_end))
            self._mail.message(event, self._session())
        elif isinstance(event, LineTooLongReceived):
            self._too_long(event)
        elif isinstance(event, ConnectionClosed):
            self._emit.note("sim.close.client" if self.state is not State.DATA else "sim.close.client-in-data")
            self._conn.state = State.CLOSED
            self._emit.close = True

    def _command(self, event: CommandReceived) -> None:
        command, legal, bare_lf = event
        emit = self._emit
        after_auth, self._auth_ended = self._auth_ended, False
        if emit.lines:   # (Collector.client, inline: for every command a log or view reads)
            masked = self._authn.masked_command(command.argument) if command.verb == "AUTH" else None
            emit.transcript.append(client_line(show(command.raw), masked))
        elif emit.raw:   # a classroom view: the line as received (read only the first time the view sees it)
            emit.received(command.raw, command.verb == "AUTH" and self._authn.command_carries_secret(command.argument))
        if bare_lf:
            emit.note("sim.command.bare-lf")
        handler = HANDLERS.get(command.verb)
        if handler is None:
            if after_auth and looks_like_an_answer(command.raw):   # a late answer to a 334 the exchange is past
                emit.note("sim.command.after-auth", verb=echo(command.verb))
            else:
                emit.note("sim.command.unknown", verb=echo(command.verb))
            self._reply("unknown")
            self._bad_command()
        elif not legal:
            self._out_of_sequence(command)
        else:
            if emit.explain:
                emit.all(lenient.command_notes(command))   # what a stricter server would refuse, named
            if handler(self, command) is False:
                self._bad_command()

    def _out_of_sequence(self, command: Command) -> None:
        """RFC 5321 §4.1.4 / RFC 4954 §4: a command in the wrong place gets 503; the note says what fits."""
        state, verb = self.state, command.verb
        if state is State.INITIAL:
            key = "need-ehlo"
        elif verb == "AUTH":
            key = "auth-in-transaction"
        else:
            key = {"MAIL": "nested-mail", "RCPT": "need-mail", "DATA": "need-rcpt"}.get(verb, "bad-sequence")
        self._emit.note("sim.sequence.need-ehlo" if state is State.INITIAL else EXPECTED[state])
        self._reply(key)
        self._bad_command()

    def _auth_response(self, event: AuthResponseReceived) -> None:
        if self._emit.lines:
            self._emit.client(show(event.line), MASK if self._authn.next_is_secret else None)
        elif self._emit.raw:
            self._emit.received(event.line, self._authn.next_is_secret)
        self._auth_outcome(self._authn.respond(event.line))

    def _auth_outcome(self, outcome: Outcome) -> None:
        self._auth_ended = outcome.kind != CONTINUE
        if outcome.kind == SUCCESS:
            self.user = outcome.user
        elif outcome.kind == FAILURE:
            self._auth_failures += 1
            if self.max_auth_failures and self._auth_failures >= self.max_auth_failures:
                self._emit.note("sim.auth.too-many", count=self._auth_failures, limit=self.max_auth_failures)
                self._reply("too-many-auth", limit=self.max_auth_failures)
        elif outcome.kind == ERROR:
            self._bad_command()
        # CONTINUE: a 334 was sent; CANCELLED: the client's right (RFC 4954 §4), counted as neither

    def _too_long(self, event: LineTooLongReceived) -> None:
        self._emit.client(f"<a line of {event.length} octets, over the {event.limit}-octet limit>")
        if event.in_auth:   # RFC 4954 §4: a line longer than the authentication buffer fails AUTH with 500
            self._emit.note("sim.auth.line-too-long", length=event.length, limit=event.limit)
            self._authn.line_too_long()
        elif event.auth_command:   # an AUTH command whose initial response overflows the same buffer
            self._emit.note("sim.auth.command-too-long", length=event.length, limit=event.limit)
            self._reply("auth-line-too-long")
        else:   # any other line: RFC 5321 §4.5.3.1.4 (512 octets), §4.5.3.1.9 ("500 Line too long")
            self._emit.note("sim.command.too-long", length=event.length)
            self._reply("long-line", limit=COMMAND_LINE_LIMIT)
        self._bad_command()

    def _bad_command(self) -> None:
        self._bad_commands += 1
        if self._bad_commands >= self.profile.max_bad_commands and not self.closed:
            self._emit.note("sim.command.too-many-errors", count=self._bad_commands)
            self._reply("too-many-errors")

    # ---- sending ---------------------------------------------------------------------------------------

    def _session(self) -> Session:
        from tutor.sim.mail import Session

        return Session(self.user, self.tls, self._helo, self._esmtp)

    def _forget_session(self) -> None:
        self._helo, self._esmtp, self.user = "", False, None
        self._reset_mail()
