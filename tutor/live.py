"""What changes when the server is real: the clear-text guard, masked credentials, the live Shell.

The guard asks before credentials travel unencrypted to another host; masking hides credentials in what is
shown and saved (unless --show-secrets); LiveShell is what `smtp-tutor connect` starts on a live server.

The guard works on any shell through narrow attributes (`allow_cleartext`, `confirm`,
`session.transport.cleartext_exposed`); nothing here opens a socket itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from tutor import explain, sasl
from tutor.errors import InputError
from tutor.protocol import commands
from tutor.protocol.client import COMMAND
from tutor.repl import commands as repl_commands
from tutor.repl.shell import Shell
from tutor.session import CLIENT, NOTE, Item
from tutor.trace.transcript import redacted

if TYPE_CHECKING:
    from tutor.interfaces import GuardAsker, SessionLike
    from tutor.transport.tcp import TcpTransport

T = explain.text
ECHO = "echo"   # a script line shown back in batch mode
EHLO_NAME = "laptop.example"   # the name `connect --starttls` gives in its EHLO (the hints use the same)
# Notes marked secret that hide the password themselves when the annotator does not reveal (live servers).
SAFE_SECRET_NOTES = {"repl.ann.plain", "repl.ann.plain-authzid", "repl.ann.login-password"}


def auth_mechanism(line: str) -> str | None:
    """The mechanism named by an AUTH line, upper-cased ("" when none), or None when it is not AUTH.

    Any whitespace separates the words: `AUTH<TAB>PLAIN blob` is an AUTH to servers that split on
    whitespace as Postfix does, so the guard must treat it as one even where RFC 5321 §4.1.1 says SP.
    """
    words = line.split(None, 2)
    if not words or words[0].upper() != "AUTH":
        return None
    return words[1].upper() if len(words) > 1 else ""


def is_smtp_command(line: str) -> bool:
    """True when the line starts with an SMTP verb the tutor knows (any whitespace after it)."""
    words = line.split(None, 1)
    return bool(words) and words[0].upper() in commands.VERBS


def exposed_mechanism(session: SessionLike, line: str) -> str | None:
    """The mechanism when `line` starts an exchange whose credentials travel recoverably (PLAIN, LOGIN,
    XOAUTH2, OAUTHBEARER: the registry's `plaintext` flag) on a connection anyone on the path can read."""
    transport = session.transport
    if not getattr(transport, "cleartext_exposed", False) or session.client.line_kind() != COMMAND:
        return None
    mechanism = auth_mechanism(line)
    info = sasl.MECHANISMS.get(mechanism) if mechanism else None
    return mechanism if info is not None and info.plaintext else None   # password or bearer token readable


def refused_mechanism(shell: GuardAsker, session: SessionLike) -> str | None:
    """The mechanism of an AUTH the guard refused on this session, while its answers are still held back."""
    refused = getattr(shell, "refused_auth", None)
    if refused is None or refused[0] is not session or session.closed:
        return None
    return refused[1] if session.client.line_kind() == COMMAND else None


def answers_refused_auth(shell: GuardAsker, session: SessionLike, line: str) -> bool:
    """True when `line` would have answered a refused AUTH: anything but an SMTP command, while one is held."""
    return refused_mechanism(shell, session) is not None and bool(line.strip()) and not is_smtp_command(line)


def guard_cleartext(shell: GuardAsker, session: SessionLike, line: str) -> None:
    """Warn, explain what a sniffer would see, and ask before PLAIN/LOGIN in clear text to a remote host.

    Returns when the line may be sent; raises InputError (one line, nothing sent) when it may not:
    the learner said no, or there is no one to ask (batch mode without --allow-cleartext). After a
    refusal, the lines that would have answered that AUTH are held back too (they would reach the server
    as ordinary commands, in clear text) until the learner types an SMTP command; batch mode stops.
    """
    _hold_answers(shell, session, line)
    mechanism = exposed_mechanism(session, line)
    if getattr(shell, "allow_cleartext", False):
        return
    if mechanism is None and not _credential_in_command(session, line):
        return
    host = _remote_host(session)
    if mechanism is not None:
        shell.note("transport.cleartext.warning", "warning", host=host, mechanism=mechanism,
                   what=T(f"transport.cleartext.what-{mechanism.lower()}"))
        refused = T("transport.cleartext.refused", mechanism=mechanism, host=host)
    else:     # `AUTHPLAIN blob`, `NOOP blob`: the blob would go out all the same
        shell.note("shell.guard.credential-warning", "warning", host=host)
        refused = T("shell.guard.credential-refused", host=host)
    confirm = getattr(shell, "confirm", None)
    if confirm is None:
        if mechanism is not None:
            _refused(shell, session, mechanism)
        shell.quit_requested = True     # batch mode: the next lines would be the answers; stop here
        raise InputError(refused + "; " + T("shell.guard.batch-stops"))
    if not confirm(T("transport.cleartext.prompt") + " "):
        if mechanism is not None:
            _refused(shell, session, mechanism)
            shell.note("shell.guard.held", mechanism=mechanism)
        raise InputError(T("transport.cleartext.declined"))


def _remote_host(session: SessionLike) -> str:
    """The host of a connection that exposes clear text: always a live TCP transport (tutor.transport.tcp)."""
    return cast("TcpTransport", session.transport).address.host


def _credential_in_command(session: SessionLike, line: str) -> bool:
    """A command line (not AUTH) on an exposed connection whose base64 decodes to a password or token, e.g.
    `AUTHPLAIN blob` or `NOOP blob`: it would put the credential on the wire all the same."""
    if not getattr(session.transport, "cleartext_exposed", False) or session.client.line_kind() != COMMAND:
        return False
    from tutor.repl.history import credentials_in
    return credentials_in(line) is not None


def _refused(shell: GuardAsker, session: SessionLike, mechanism: str) -> None:
    shell.refused_auth = (session, mechanism)


def _hold_answers(shell: GuardAsker, session: SessionLike, line: str) -> None:
    """Raise InputError for a line that would answer a refused AUTH; an SMTP command ends the hold."""
    mechanism = refused_mechanism(shell, session)
    if mechanism is None or not line.strip():
        return
    if is_smtp_command(line):
        shell.refused_auth = None
        return
    host = _remote_host(session)
    key = "shell.guard.nothing-to-cancel" if line.strip() == "*" else "shell.guard.answer-held"
    if getattr(shell, "confirm", None) is None:
        shell.quit_requested = True
    raise InputError(T(key, mechanism=mechanism, host=host))


def mask(items: Iterable[Item]) -> list[Item]:
    """Items with credentials hidden: secret client lines keep only `AUTH MECH`, secret notes say masked,
    echoed `:commands` lose their password arguments (as in history)."""
    out = []
    for item in items:
        if item.kind == ECHO and item.text.startswith(":"):
            item = replace(item, text=":" + (repl_commands.redact(item.text[1:]) or item.text[1:].split(" ")[0]))
        elif item.secret and item.kind == CLIENT:
            item = replace(item, text=redacted(item.text.encode("utf-8", "replace")))
        elif item.secret and item.kind not in (CLIENT, "S") and not _already_masked(item):
            item = replace(item, kind=item.kind or NOTE, text=T("transport.live.masked"))
        out.append(item)
    return out


def _already_masked(item: Item) -> bool:
    """The annotator and the autopilot hide the password themselves when the server is real."""
    return item.key in SAFE_SECRET_NOTES or T("repl.autopilot.hidden") in item.text


class LiveShell(Shell):
    """A Shell that starts on a live server (`:connect` alone reconnects) and masks credentials in what it
    shows and saves, unless `show_secrets`. `live` connects (tutor.cli_connect.LiveOptions)."""

    show_secrets = False
    start_before_prompt = True    # a live connect may be slow: the app does it where Ctrl-C can stop it

    def __init__(self, live: Any, **options: Any) -> None:
        super().__init__(**options)
        self.live = live
        self.show_secrets = live.show_secrets
        self.allow_cleartext = live.allow_cleartext   # the terminal app sets `confirm`; batch mode has none

    @property
    def out(self) -> Any:
        return self._out

    @out.setter
    def out(self, show: Any) -> None:
        """Whatever front end sets `out` (batch mode echoes script lines through it) gets masked items."""
        show = getattr(show, "unmasked", show)   # a front end may put back what it read: wrap it once

        def masked(items: Iterable[Item]) -> Any:
            return show(items if self.show_secrets else mask(items))

        masked.unmasked = show   # type: ignore[attr-defined]
        self._out = masked

    def start(self) -> None:
        self.starting = False
        self.reconnect, self.reconnect_target = self.open_live, str(self.live.where)
        connected = self.handle(":connect", record=False)
        self.transcript.target = self.transcript.target or str(self.live.where)
        self.begin_recording(redact=not self.show_secrets)     # a failed connect is kept too
        if not connected and not self.interactive:
            self.quit_requested = True   # batch mode: nothing after a failed connect can work

    def open_live(self) -> bool:
        self.announce(str(self.live.where), self.live.timeout)
        self.connect(self.live.connect(), timeout=self.live.timeout)
        if getattr(self.live, "auto_starttls", False):
            return self.upgrade()     # False: not upgraded; batch mode stops (its lines expect TLS)
        return True

    def upgrade(self) -> bool:
        """`connect --starttls`: EHLO, STARTTLS, its 220 and the handshake, EHLO again, each line shown and
        explained (as `openssl s_client -starttls smtp` and swaks `-tls` do it); True when TLS is up."""
        session = self.session
        self.note("shell.starttls.start")
        steps = (("ehlo", f"EHLO {EHLO_NAME}"), ("starttls", "STARTTLS"), ("ehlo-again", f"EHLO {EHLO_NAME}"))
        for step, line in steps:
            if session is None or session.closed or (step == "ehlo-again" and session.tls_info is None):
                self.error(T("shell.starttls.failed"))
                return False
            if step == "starttls" and not session.client.capabilities.supports("STARTTLS"):
                self.error(T("shell.starttls.not-offered"))
                return False
            self.note(f"shell.starttls.step-{step}")
            self.send(line, typed=False)
        self.note("shell.starttls.done")
        return True

