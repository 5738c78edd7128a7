"""Lesson checks on SCRAM (RFC 5802 / 7677) and the bearer-token mechanisms (XOAUTH2, RFC 7628 OAUTHBEARER):
the client-first message, the client-final message with its proof checked, and a token message, each with the
usual mistakes named (raw text instead of base64, a typed `^A`, the client nonce alone, another user's token)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from tutor import escapes
from tutor.course import facts
from tutor.course.checkbase import HELPER, CheckKind, Fail, Outcome, Param, Pass, Wait
from tutor.course.checks_auth import decode
from tutor.course.checks_smtp import typed_verb
from tutor.course.facts import Credentials
from tutor.course.view import AUTH_RESPONSE, COMMAND, Attempt
from tutor.errors import InputError
from tutor.protocol import commands
from tutor.protocol.auth import CANCEL, EMPTY_RESPONSE
from tutor.sasl import oauthbearer, scram, tokens, xoauth2
from tutor.sasl.base import step_bytes
from tutor.sasl.scram_wire import b64encode

Params = Mapping[str, Any]
RAW_SCRAM = (b"n,", b"y,", b"p=", b"c=")        # a SCRAM message typed as it is, not in base64
BEARER = ("XOAUTH2", "OAUTHBEARER")


def _message(attempt: Attempt, family: str, wanted: str | None) -> bytes | Outcome:
    """The raw (still base64) client message of an exchange in `family` ("SCRAM-" or a bearer name): the initial
    response of `AUTH MECH ir`, or the first answer after `334 `; else the verdict."""
    if attempt.line is None or attempt.kind not in (COMMAND, AUTH_RESPONSE):
        return Wait()
    if attempt.kind == COMMAND:
        command = commands.parse(attempt.line)
        if command.verb != "AUTH":
            return Fail("not-auth", {"typed": typed_verb(command)})
        parsed = commands.parse_auth(command.argument)
        mechanism = parsed.mechanism if parsed is not None else ""
        if parsed is None or not mechanism.startswith(family) or (wanted is not None and mechanism != wanted.upper()):
            return Fail("wrong-mechanism", {"typed": mechanism or "?", "wanted": (wanted or family).upper()})
        if parsed.initial_response in (None, EMPTY_RESPONSE):
            return Fail("no-message", {"mechanism": mechanism})
        return parsed.initial_response.encode("utf-8")
    mechanism = attempt.before.mechanism or ""
    if not mechanism.startswith(family):
        return Fail("other-mechanism", {"typed": mechanism or "?", "wanted": (wanted or family).upper()})
    if attempt.line.strip() == CANCEL:
        return Fail("cancelled")
    return attempt.line


# ---- SCRAM ----------------------------------------------------------------------------------------------

def _scram(raw: bytes, kind: str) -> dict | Outcome:
    if raw.strip().startswith(RAW_SCRAM):
        return Fail("plain-text")
    data = decode(raw)
    if isinstance(data, Fail):
        return data
    try:
        attrs = scram.parse_message(data)
    except InputError as exc:
        return Fail("malformed", {"error": str(exc)})
    if attrs["kind"] != kind:
        return Fail("wrong-message", {"got": attrs["kind"], "wanted": kind})
    return attrs


def check_scram_client_first(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`n,,n=<user>,r=<nonce>` in base64, on the AUTH line or after the server's empty `334 `."""
    raw = _message(attempt, "SCRAM-", params.get("mechanism"))
    if not isinstance(raw, bytes):
        return raw
    if attempt.kind == AUTH_RESPONSE and attempt.before.responses != 0:
        return Fail("wrong-message", {"got": "later", "wanted": "client-first"})
    attrs = _scram(raw, "client-first")
    if not isinstance(attrs, dict):
        return attrs
    if attrs["gs2"] == "p":      # RFC 5802 §6: no -PLUS here, so the server would fail
        return Fail("channel-binding", {"got": attrs["gs2-header"]})
    wanted = facts.render(str(params.get("user", "{user}")), creds, attempt.before)
    if attrs["n"] != wanted:
        return Fail("wrong-user", {"got": attrs["n"], "wanted": wanted})
    return Pass()


def check_scram_client_final(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`c=biws,r=<combined nonce>,p=<proof>` answering the server-first; the proof checked when the password is
    known (RFC 5802 §3: ClientKey XOR HMAC(StoredKey, AuthMessage))."""
    if attempt.kind == COMMAND:
        return Fail("not-in-exchange", {"mechanism": "SCRAM-SHA-256"})
    raw = _message(attempt, "SCRAM-", None)
    if not isinstance(raw, bytes):
        return raw
    attrs = _scram(raw, "client-final")
    if not isinstance(attrs, dict):
        return attrs
    first, server_first, _ = scram.last_exchange(attempt.before.messages)
    if first is None or server_first is None:
        return Pass("course.note.unchecked")
    sent = scram.parse_message(first)
    if attrs["c"] != b64encode(sent["gs2-header"].encode("utf-8")):
        return Fail("wrong-binding", {"got": attrs["c"], "wanted": b64encode(sent["gs2-header"].encode())})
    combined = scram.parse_message(server_first)["r"]
    if attrs["r"] != combined:
        key = "client-nonce-only" if attrs["r"] == sent["r"] else "wrong-nonce"
        return Fail(key, {"got": attrs["r"], "wanted": combined})
    if creds.password is None:
        return Pass("course.note.unchecked")
    return _proof(attrs, creds.password, first, server_first, attempt.before.mechanism or "SCRAM-SHA-256")


def _proof(attrs: dict, password: str, first: bytes, server_first: bytes, mechanism: str) -> Outcome:
    try:
        steps = scram.steps(password, first, server_first, mechanism)
    except InputError as exc:
        return Fail("malformed", {"error": str(exc)})
    expected = scram.parse_message(step_bytes(steps, "scram.step.client-final"))["p"]
    return Pass() if hmac.compare_digest(attrs["p"], expected) else Fail("wrong-proof")


def _expected_final(creds: Credentials, attempt: Attempt) -> str | None:
    """The client-final message the account's password gives over this connection's exchange (None: unknown)."""
    first, server_first, _ = scram.last_exchange(attempt.before.messages)
    if creds.password is None or first is None or server_first is None:
        return None
    try:
        steps = scram.steps(creds.password, first, server_first, attempt.before.mechanism or "SCRAM-SHA-256")
    except InputError:
        return None
    return step_bytes(steps, "scram.step.client-final").decode("utf-8")


def check_scram_helper(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`:scram USER PASSWORD` after the server-first: passes only when the client-final it computed is the
    account's (RFC 5802 §3: the proof comes from the password); `verify = true`: and it checked the server's v=."""
    if attempt.helper is None:
        return Fail("not-helper", {"wanted": ":scram"})
    if attempt.helper != "scram":
        return Fail("wrong-helper", {"typed": ":" + attempt.helper, "wanted": ":scram"})
    data = attempt.result if isinstance(attempt.result, Mapping) else {}
    if "client_final" not in data:
        return Fail("no-server-first") if data else Pass("course.note.unchecked")
    expected = _expected_final(creds, attempt)
    if expected is not None and data["client_final"] != expected:
        return Fail("wrong-password")
    if params.get("verify") and data.get("server") != "verified":
        return Fail("not-verified" if data.get("server") == "refused" else "no-server-final")
    return Pass()


# ---- XOAUTH2 / OAUTHBEARER ------------------------------------------------------------------------------

def _parse_bearer(name: str, data: bytes) -> tuple[str, str] | Fail:
    if b"\x01" not in data and (b"^A" in data or b"\\x01" in data):
        return Fail("literal-ctrl-a")
    try:
        if name == "XOAUTH2":
            user, token = xoauth2.parse(data)
            return user, token
        msg = oauthbearer.parse(data)
        return msg.authzid, msg.token
    except InputError as exc:
        return Fail("malformed", {"error": str(exc)})


def check_bearer_response(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """An XOAUTH2 or OAUTHBEARER message in base64 for the learner; `token = "lab"` wants the simulator's token."""
    name = str(params["mechanism"]).upper()
    raw = _message(attempt, name, name)
    if not isinstance(raw, bytes):
        return raw
    if raw.strip().startswith((b"user=", b"n,")):
        return Fail("plain-text")
    data = decode(raw)
    if isinstance(data, Fail):
        return data
    parsed = _parse_bearer(name, data)
    if isinstance(parsed, Fail):
        return parsed
    user, token = parsed
    if user != creds.user:
        return Fail("wrong-user", {"got": user, "wanted": creds.user})
    if params.get("token", "any") == "lab" and not attempt.before.live and not tokens.check(creds.user, token):
        return Fail("wrong-token")
    return Pass()


def check_bearer_error_answer(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """The answer to a bearer mechanism's JSON error challenge, before the server sends its failure reply: for
    OAUTHBEARER a single 0x01, `AQ==` (RFC 7628 §3.2.3: the client MUST send it, or cancel); for XOAUTH2 an
    empty line (Google's XOAUTH2 documentation)."""
    if attempt.kind == COMMAND:
        return Fail("not-in-exchange", {"mechanism": "XOAUTH2 or OAUTHBEARER"})
    if attempt.kind != AUTH_RESPONSE or attempt.line is None:
        return Wait()
    mechanism = attempt.before.mechanism or ""
    if mechanism not in BEARER:
        return Fail("other-mechanism", {"typed": mechanism or "?", "wanted": "XOAUTH2 or OAUTHBEARER"})
    raw = attempt.line.strip()
    if raw == CANCEL:
        return Fail("cancelled")
    if raw in (b"^A", b"\\x01", b"\x01", b"\\1"):
        return Fail("plain-text")
    data = decode(raw) if raw else b""
    if isinstance(data, Fail):
        return data
    if mechanism == "OAUTHBEARER":
        return Pass() if data == b"\x01" else Fail("wants-ctrl-a", {"got": escapes.show(data) or "an empty line"})
    if data == b"":
        return Pass()
    return Pass("course.note.xoauth2-answer") if data == b"\x01" else Fail("wants-empty")


KINDS = (
    CheckKind("scram-client-first", check_scram_client_first,
              (Param("mechanism", (str,), choices=("SCRAM-SHA-1", "SCRAM-SHA-256")), Param("user", (str,))),
              ("not-auth", "wrong-mechanism", "no-message", "other-mechanism", "cancelled", "plain-text", "malformed",
               "wrong-message", "channel-binding", "wrong-user")),
    CheckKind("scram-client-final", check_scram_client_final, (),
              ("other-mechanism", "cancelled", "plain-text", "malformed", "wrong-message", "wrong-binding",
               "client-nonce-only", "wrong-nonce", "wrong-proof")),
    CheckKind("scram-helper", check_scram_helper, (Param("verify", (bool,)),),
              ("not-helper", "wrong-helper", "no-server-first", "wrong-password", "no-server-final", "not-verified"),
              HELPER),
    CheckKind("bearer-response", check_bearer_response,
              (Param("mechanism", (str,), True, BEARER), Param("token", (str,), choices=("lab", "any"))),
              ("not-auth", "wrong-mechanism", "no-message", "other-mechanism", "cancelled", "plain-text",
               "literal-ctrl-a", "malformed", "wrong-user", "wrong-token")),
    CheckKind("bearer-error-answer", check_bearer_error_answer, (),
              ("other-mechanism", "cancelled", "wants-ctrl-a", "wants-empty")),
)
