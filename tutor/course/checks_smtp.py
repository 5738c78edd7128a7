"""Lesson checks on plain SMTP commands: EHLO, MAIL FROM, RCPT TO, DATA, the end of the message, STARTTLS,
QUIT, any named verb, a reply code; and the reading step that checks nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor import escapes
from tutor.course.checkbase import ANY, NOTHING, CheckKind, Fail, Outcome, Param, Pass, Wait
from tutor.course.facts import Credentials
from tutor.course.view import AUTH_RESPONSE, COMMAND, MESSAGE, Attempt
from tutor.protocol import commands

Params = Mapping[str, Any]


def command_of(attempt: Attempt) -> commands.Command | Outcome:
    """The command the learner typed, or the verdict when the line was not a command."""
    if attempt.kind == MESSAGE:
        return Wait()
    if attempt.kind == AUTH_RESPONSE:
        if attempt.line is not None and attempt.line.strip() == b"*":
            return Wait()      # cancelling an exchange that was in the way is the right move (RFC 4954 §4)
        return Fail("in-exchange", {"mechanism": attempt.before.mechanism or "AUTH"})
    if attempt.kind != COMMAND or attempt.line is None:
        return Wait()
    return commands.parse(attempt.line)


def typed_verb(command: commands.Command) -> str:
    """The first word as the learner typed it (its case kept: it may be base64 typed in the wrong place)."""
    word = command.raw.strip().partition(b" ")[0]
    return escapes.show(word) if word else "(empty line)"


def check_continue(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """A reading step: nothing typed is judged; `:lesson next` goes on."""
    return Wait()


def check_any_ehlo(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """EHLO with a name (RFC 5321 §4.1.1.1); `tls = true`: only once TLS is up (RFC 3207 §4.2)."""
    command = command_of(attempt)
    if not isinstance(command, commands.Command):
        return command
    if command.verb == "HELO":
        return Fail("helo")
    if command.verb != "EHLO":
        return Fail("not-ehlo", {"typed": typed_verb(command)})
    if not command.argument:
        return Fail("no-domain")
    if params.get("tls") and not attempt.before.tls:
        return Fail("before-tls")
    return Pass()


def check_command(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """Any command with the given verb (NOOP, RSET, HELP...)."""
    command = command_of(attempt)
    if not isinstance(command, commands.Command):
        return command
    wanted = str(params["verb"]).upper()
    if command.verb != wanted:
        return Fail("other-command", {"typed": typed_verb(command), "wanted": wanted})
    return Pass()


def _path(params: Params, attempt: Attempt, verb: str, keyword: str) -> Outcome:
    command = command_of(attempt)
    if not isinstance(command, commands.Command):
        return command
    if command.verb != verb:
        return Fail("other-command", {"typed": typed_verb(command), "wanted": f"{verb} {keyword}:"})
    path = commands.parse_path(command.argument)
    if path is None or path.keyword != keyword:
        return Fail("syntax", {"typed": command.argument})
    wanted = params.get("address")
    if wanted is not None and path.address.lower() != str(wanted).lower():
        return Fail("wrong-address", {"typed": path.address, "wanted": wanted})
    return Pass()


def check_mail_from(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`MAIL FROM:<address>` (RFC 5321 §4.1.1.2)."""
    return _path(params, attempt, "MAIL", "FROM")


def check_rcpt_to(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`RCPT TO:<address>` (RFC 5321 §4.1.1.3)."""
    return _path(params, attempt, "RCPT", "TO")


def check_data(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    return check_command({"verb": "DATA"}, attempt, creds)


def check_message_end(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """Message text until a line with a single dot (RFC 5321 §4.1.1.4); the text itself is not judged."""
    if attempt.kind == MESSAGE:
        return Pass() if attempt.line == b"." else Wait()
    if attempt.kind == COMMAND:
        return Fail("not-in-data")
    return Wait()


def check_starttls(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """STARTTLS, which takes no argument (RFC 3207 §4)."""
    command = command_of(attempt)
    if not isinstance(command, commands.Command):
        return command
    if command.verb != "STARTTLS":
        return Fail("other-command", {"typed": typed_verb(command), "wanted": "STARTTLS"})
    if command.argument:
        return Fail("has-argument")
    return Pass()


def check_quit(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    return check_command({"verb": "QUIT"}, attempt, creds)


def check_reply_code(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """Whatever was typed, the server's reply has one of these codes ("provoke a 535")."""
    if attempt.kind not in (COMMAND, AUTH_RESPONSE, MESSAGE) or attempt.line is None:
        return Wait()
    codes = params["code"] if isinstance(params["code"], list) else [params["code"]]
    if attempt.reply is None:
        return Wait() if attempt.kind == MESSAGE else Fail("no-reply")
    if attempt.reply.code not in codes:
        return Fail("other-code", {"got": attempt.reply.code, "wanted": " or ".join(map(str, codes))})
    return Pass()


_ADDRESS = Param("address", (str,))
KINDS = (
    CheckKind("continue", check_continue, target=NOTHING),
    CheckKind("any-ehlo", check_any_ehlo, (Param("tls", (bool,)),), ("helo", "not-ehlo", "no-domain", "before-tls")),
    CheckKind("command", check_command, (Param("verb", (str,), True),), ("other-command",)),
    CheckKind("mail-from", check_mail_from, (_ADDRESS,), ("other-command", "syntax", "wrong-address")),
    CheckKind("rcpt-to", check_rcpt_to, (_ADDRESS,), ("other-command", "syntax", "wrong-address")),
    CheckKind("data", check_data, (), ("other-command",)),
    CheckKind("message-end", check_message_end, (), ("not-in-data",)),
    CheckKind("starttls", check_starttls, (), ("other-command", "has-argument")),
    CheckKind("quit", check_quit, (), ("other-command",)),
    CheckKind("reply-code", check_reply_code, (Param("code", (int, list), True),), ("other-code",), ANY),
)
