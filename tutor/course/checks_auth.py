"""Lesson checks on the AUTH exchange (RFC 4954 §4): the AUTH command, base64 answers, LOGIN's two answers,
the `*` cancel; and the decoding helpers the PLAIN and CRAM-MD5 checks share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor import escapes
from tutor.course.checkbase import CheckKind, Fail, Outcome, Param, Pass, Wait
from tutor.course.checks_smtp import command_of, typed_verb
from tutor.course.facts import Credentials
from tutor.course.view import AUTH_RESPONSE, COMMAND, Attempt
from tutor.errors import InputError
from tutor.protocol import b64, commands
from tutor.protocol.auth import CANCEL
from tutor.sasl import plain

Params = Mapping[str, Any]
FIELDS = ("username", "password", "plain-message")
WORDS = {"username": "user name", "password": "password", "plain-message": "PLAIN message"}   # for the hints


def field_value(name: str, creds: Credentials) -> bytes | None:
    """The bytes a field stands for (None: the password is not known)."""
    if name == "username":
        return creds.user.encode("utf-8")
    if creds.password is None:
        return None
    if name == "password":
        return creds.password.encode("utf-8")
    return plain.build(creds.user, creds.password)


def decode(raw: bytes, expected: bytes | None = None) -> bytes | Fail:
    """The decoded bytes of a base64 answer, or the failure that says why it is not base64."""
    stripped = raw.strip()
    if expected is not None and stripped == expected:
        return Fail("plain-text")
    try:
        return b64.decode(stripped)
    except InputError as exc:
        return Fail("not-base64", {"error": str(exc)})


def matches(data: bytes, name: str, creds: Credentials, live: bool) -> Outcome:
    """Does decoded data equal the field? Else say how it differs (newline, the other field, another value)."""
    expected = field_value(name, creds)
    if expected is None:
        return Pass("course.note.unchecked")
    if data == expected:
        return Pass()
    if data.rstrip(b"\r\n") == expected:
        return Fail("trailing-newline")
    other = {"username": "password", "password": "username"}.get(name)
    if other and data == field_value(other, creds):
        return Fail("swapped", {"got": WORDS[other], "wanted": WORDS[name]})
    shown = "***" if live and name != "username" else escapes.show(data)
    return Fail("wrong-value", {"got": shown, "wanted": WORDS[name]})


def check_auth_command(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`AUTH mechanism [initial-response]`, with the mechanism, offered or not, and the initial response wanted."""
    command = command_of(attempt)
    if not isinstance(command, commands.Command):
        return command
    if command.verb != "AUTH":
        return Fail("not-auth", {"typed": typed_verb(command)})
    parsed = commands.parse_auth(command.argument)
    if parsed is None:
        return Fail("no-mechanism")
    wanted = params.get("mechanism")
    if wanted is not None and parsed.mechanism != str(wanted).upper():
        return Fail("wrong-mechanism", {"typed": parsed.mechanism, "wanted": str(wanted).upper()})
    offered = attempt.before.capabilities.offers(parsed.mechanism)
    listed = " ".join(attempt.before.capabilities.auth_mechanisms) or "none"
    if params.get("offered") is True and not offered:
        return Fail("not-offered", {"typed": parsed.mechanism, "offered": listed})
    if params.get("offered") is False and offered:
        return Fail("is-offered", {"typed": parsed.mechanism, "offered": listed})
    if params.get("initial") is True and parsed.initial_response is None:
        return Fail("needs-initial", {"mechanism": parsed.mechanism})
    if params.get("initial") is False and parsed.initial_response is not None:
        return Fail("has-initial", {"mechanism": parsed.mechanism})
    return Pass()


def check_base64_of(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """The line is the base64 of the user name, the password or the PLAIN message."""
    if attempt.kind not in (COMMAND, AUTH_RESPONSE) or attempt.line is None:
        return Wait()
    name = params["field"]
    data = decode(attempt.line, field_value(name, creds))
    return data if isinstance(data, Fail) else matches(data, name, creds, attempt.before.live)


def response_line(attempt: Attempt, mechanism: str) -> bytes | Outcome:
    """The learner's answer inside an exchange of `mechanism`, or the verdict when it is not one."""
    if attempt.kind == COMMAND:
        return Fail("not-in-exchange", {"mechanism": mechanism})
    if attempt.kind != AUTH_RESPONSE or attempt.line is None:
        return Wait()
    if attempt.before.mechanism != mechanism:
        return Fail("other-mechanism", {"typed": attempt.before.mechanism or "?", "wanted": mechanism})
    if attempt.line.strip() == CANCEL:
        return Fail("cancelled")
    return attempt.line


def check_login_username(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """The first LOGIN answer: base64 of the user name (or `AUTH LOGIN <it>`, MS-XLOGIN's initial response)."""
    if attempt.kind == COMMAND and attempt.line is not None:
        command = commands.parse(attempt.line)
        parsed = commands.parse_auth(command.argument) if command.verb == "AUTH" else None
        if parsed is not None and parsed.mechanism == "LOGIN" and parsed.initial_response is not None:
            return _login_value(parsed.initial_response.encode("utf-8"), "username", creds, attempt)
    line = response_line(attempt, "LOGIN")
    if not isinstance(line, bytes):
        return line
    if attempt.before.responses != 0:
        return Fail("wrong-position", {"position": attempt.before.responses + 1, "wanted": WORDS["username"]})
    return _login_value(line, "username", creds, attempt)


def check_login_password(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """The second LOGIN answer: base64 of the password."""
    line = response_line(attempt, "LOGIN")
    if not isinstance(line, bytes):
        return line
    if attempt.before.responses != 1:
        return Fail("wrong-position", {"position": attempt.before.responses + 1, "wanted": WORDS["password"]})
    return _login_value(line, "password", creds, attempt)


def _login_value(raw: bytes, name: str, creds: Credentials, attempt: Attempt) -> Outcome:
    data = decode(raw, field_value(name, creds))
    return data if isinstance(data, Fail) else matches(data, name, creds, attempt.before.live)


def check_cancel(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """A line with a single `*` inside an exchange: the client cancels (RFC 4954 §4; the server replies 501)."""
    if attempt.kind == COMMAND:
        return Fail("not-in-exchange", {"mechanism": "AUTH"})
    if attempt.kind != AUTH_RESPONSE or attempt.line is None:
        return Wait()
    return Pass() if attempt.line.strip() == CANCEL else Fail("not-cancel")


KINDS = (
    CheckKind("auth-command", check_auth_command,
              (Param("mechanism", (str,)), Param("initial", (bool,)), Param("offered", (bool,))),
              ("not-auth", "no-mechanism", "wrong-mechanism", "not-offered", "is-offered", "needs-initial",
               "has-initial")),
    CheckKind("base64-of", check_base64_of, (Param("field", (str,), True, FIELDS),), ("swapped", "wrong-value")),
    CheckKind("login-username", check_login_username, (), ("other-mechanism", "cancelled", "wrong-position",
                                                           "swapped", "wrong-value")),
    CheckKind("login-password", check_login_password, (), ("other-mechanism", "cancelled", "wrong-position",
                                                           "swapped", "wrong-value")),
    CheckKind("cancel", check_cancel, (), ("not-cancel",)),
)
