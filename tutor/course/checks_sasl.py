"""Lesson checks on whole SASL answers: a PLAIN message (RFC 4616) and a CRAM-MD5 response (RFC 2195), each
verified field by field, with the usual mistakes named (one NUL, `\\0` typed as text, HMAC over the base64...)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from tutor import escapes
from tutor.course import facts
from tutor.course.checkbase import CheckKind, Fail, Outcome, Param, Pass
from tutor.course.checks_auth import decode, field_value, response_line
from tutor.course.facts import Credentials
from tutor.course.view import COMMAND, Attempt
from tutor.errors import InputError
from tutor.protocol import b64, commands
from tutor.protocol.auth import EMPTY_RESPONSE
from tutor.sasl import cram_md5, plain

Params = Mapping[str, Any]
_CLEAR_RESPONSE = re.compile(rb".+ [0-9a-fA-F]{32}")   # `user digest` typed without the base64


def check_plain_response(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """The PLAIN message `authzid NUL authcid NUL password` in base64: on the AUTH line or after `334 `."""
    if attempt.kind == COMMAND and attempt.line is not None:
        command = commands.parse(attempt.line)
        parsed = commands.parse_auth(command.argument) if command.verb == "AUTH" else None
        if parsed is not None and parsed.mechanism == "PLAIN":
            if parsed.initial_response is None:
                return Fail("no-message")
            if parsed.initial_response == EMPTY_RESPONSE:
                return Fail("empty")
            return _blob(parsed.initial_response.encode("utf-8"), params, creds, attempt, "initial")
    line = response_line(attempt, "PLAIN")
    if not isinstance(line, bytes):
        return line
    if line.strip() == b"":
        return Fail("empty")
    return _blob(line, params, creds, attempt, "response")


def _blob(raw: bytes, params: Params, creds: Credentials, attempt: Attempt, form: str) -> Outcome:
    if b"\\0" in raw or b"\\x00" in raw:
        return Fail("plain-text")
    data = decode(raw, field_value("plain-message", creds))
    if isinstance(data, Fail):
        return data
    if b"\\0" in data or b"\\x00" in data:
        return Fail("literal-escape")
    if data.endswith(b"\n"):
        return Fail("trailing-newline")
    nuls = data.count(b"\0")
    if nuls < 2:
        return Fail("no-nul" if nuls == 0 else "one-nul", {"got": _shown(data, attempt)})
    try:
        fields = plain.parse(data)
    except InputError as exc:
        return Fail("malformed", {"error": str(exc)})
    return _fields(fields, params, creds, attempt, form)


def _fields(fields: plain.PlainFields, params: Params, creds: Credentials, attempt: Attempt, form: str) -> Outcome:
    if fields.authcid != creds.user:
        return Fail("wrong-authcid", {"got": fields.authcid, "wanted": creds.user})
    if creds.password is not None and fields.password != creds.password:
        return Fail("wrong-password")
    wanted = params.get("authzid")
    if wanted is None and fields.authzid not in ("", creds.user):
        return Fail("wrong-authzid", {"got": fields.authzid, "wanted": ""})
    if wanted is not None:
        wanted = facts.render(str(wanted), creds, attempt.before)
        if fields.authzid != wanted:
            return Fail("wrong-authzid", {"got": fields.authzid, "wanted": wanted})
    asked = params.get("form", "either")
    if asked not in ("either", form):
        return Pass(f"course.note.plain-form.{form}")
    return Pass("course.note.unchecked") if creds.password is None else Pass()


def _shown(data: bytes, attempt: Attempt) -> str:
    return "***" if attempt.before.live else escapes.show(data)


def check_cram_response(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`user SP hex(HMAC-MD5(password, challenge))` in base64, over the challenge the server really sent."""
    if attempt.kind == COMMAND and attempt.line is not None:
        command = commands.parse(attempt.line)
        parsed = commands.parse_auth(command.argument) if command.verb == "AUTH" else None
        if parsed is not None and parsed.mechanism == "CRAM-MD5" and parsed.initial_response is not None:
            return Fail("initial-not-allowed")   # RFC 4954 §4: server-first, so 501 5.7.0
    line = response_line(attempt, "CRAM-MD5")
    if not isinstance(line, bytes):
        return line
    if _CLEAR_RESPONSE.fullmatch(line.strip()):
        return Fail("plain-text")
    data = decode(line)
    if isinstance(data, Fail):
        return data
    try:
        user, digest = cram_md5.parse_response(data)
    except InputError as exc:
        return Fail("malformed", {"error": str(exc)})
    wanted = facts.render(str(params.get("user", "{user}")), creds, attempt.before)
    if user != wanted:
        return Fail("wrong-user", {"got": user, "wanted": wanted})
    challenge = attempt.before.challenge
    if creds.password is None or challenge is None:
        return Pass("course.note.unchecked")
    return _digest(digest, creds.password.encode("utf-8"), challenge)


def _digest(got: str, secret: bytes, challenge: bytes) -> Outcome:
    """Right, or which well-known mistake produced this digest."""
    if hmac.compare_digest(got.lower(), cram_md5.digest(secret, challenge)):
        return Pass("course.note.uppercase-hex") if got != got.lower() else Pass()
    mistakes = {
        "over-base64": cram_md5.digest(secret, b64.encode(challenge).encode("ascii")),
        "no-brackets": cram_md5.digest(secret, challenge.strip(b"<>")),
        "key-swapped": hmac.new(challenge, secret, hashlib.md5).hexdigest(),
        "not-hmac": hashlib.md5(secret + challenge).hexdigest(),
    }
    for key, value in mistakes.items():
        if got.lower() == value:
            return Fail(key)
    if got.lower() == hashlib.md5(challenge + secret).hexdigest():
        return Fail("not-hmac")
    return Fail("wrong-digest")


KINDS = (
    CheckKind("plain-response", check_plain_response,
              (Param("authzid", (str,)), Param("form", (str,), choices=("initial", "response", "either"))),
              ("no-message", "empty", "no-nul", "one-nul", "literal-escape", "malformed", "wrong-authcid",
               "wrong-password", "wrong-authzid", "other-mechanism", "cancelled")),
    CheckKind("cram-response", check_cram_response, (Param("user", (str,)),),
              ("initial-not-allowed", "other-mechanism", "cancelled", "malformed", "wrong-user", "over-base64",
               "no-brackets", "not-hmac", "key-swapped", "wrong-digest")),
)
