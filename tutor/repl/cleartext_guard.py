"""The clear-text guard: ask before credentials travel unencrypted to another host, hold back what would answer
a refused AUTH.

It works on any shell through narrow attributes (`allow_cleartext`, `confirm`, `note`, `refused_auth`,
`quit_requested`, `session.transport.cleartext_exposed`): no Shell import, no socket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from tutor import explain, sasl
from tutor.errors import InputError
from tutor.protocol import commands
from tutor.protocol.client import COMMAND

if TYPE_CHECKING:
    from tutor.interfaces import GuardAsker, SessionLike
    from tutor.transport.tcp import TcpTransport

T = explain.text


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
