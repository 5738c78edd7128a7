"""What XOAUTH2 and OAUTHBEARER share: one token message, a JSON error challenge, and the client's required answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar

from tutor.errors import InputError
from tutor.sasl.base import AuthResult, Challenge, Done, ServerOutcome, Stage, Staged, Step

TokenCheck = Callable[[str, str], bool]      # (user, token) -> is this a valid token for that user?
N = "oauth.note."
FIELDS = ("status", "scope", "schemes", "openid-configuration")     # error fields with words of their own
STATUSES = ("invalid_token", "invalid_request", "insufficient_scope", "401", "400")


def error_json(obj: dict) -> bytes:
    """A compact JSON error challenge, as servers send it: {"status":"...",...}."""
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def parse_error(data: bytes) -> dict:
    """The JSON object of an error challenge; InputError if it is not one."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"an OAuth error challenge is a JSON object; got {data[:40]!r}") from None
    if not isinstance(obj, dict):
        raise InputError("an OAuth error challenge is a JSON object ({...})")
    return obj


def error_steps(data: bytes) -> list[Step]:
    """The decoded error challenge, and one step per field with what it means."""
    obj = parse_error(data)
    out = [Step("oauth.step.error", data, N + "error")]
    for name, value in obj.items():
        note = "oauth.field." + (name if name in FIELDS else "other")
        if name == "status" and value in STATUSES:
            note = "oauth.status." + value
        out.append(Step("oauth.step.error-field", str(value), note, {"field": name, "value": value}))
    return out


class BearerClient(Staged):
    """Client side: the token message first; after an error challenge, the mechanism's required answer."""

    name = ""
    ACK = b""                     # what the client must send after an error challenge
    ACK_NOTE = ""

    def __init__(self) -> None:
        self._stage = Stage.FIRST     # FIRST -> SERVER_REPLY -> FINAL_REPLY
        self._steps: list[Step] = []
        self.error: dict | None = None

    def message(self) -> tuple[bytes, list[Step]]:  # pragma: no cover - each mechanism defines it
        raise NotImplementedError

    def initial_response(self) -> bytes:
        self.require("sends its token message once", Stage.FIRST)
        blob, trail = self.message()
        self._steps += trail
        self._stage = Stage.SERVER_REPLY
        return blob

    def respond(self, challenge: bytes) -> bytes:
        if self._stage is Stage.FIRST and challenge == b"":
            return self.initial_response()     # client-first: the server's empty challenge asks for the message
        self.require("client got a challenge out of turn", Stage.SERVER_REPLY)
        self._stage = Stage.FINAL_REPLY
        try:
            self._steps += error_steps(challenge)
            self.error = parse_error(challenge)
        except InputError as exc:
            self._steps.append(Step("oauth.step.error", challenge, N + "error-not-json", {"error": str(exc)}))
        self._steps.append(Step("oauth.step.ack", self.ACK, self.ACK_NOTE))
        return self.ACK

    def steps(self) -> list[Step]:
        return list(self._steps)


class BearerServer(Staged):
    """Server side: check the token; a bad one gets a JSON error challenge, then failure after the client's answer."""

    name = ""
    ACK = b""
    ACK_NOTE = ""
    DEFAULT_ERROR: ClassVar[dict] = {}

    def __init__(self, token_check: TokenCheck, error: dict | None = None) -> None:
        self._check = token_check
        self._error = error_json(self.DEFAULT_ERROR if error is None else error)
        self._stage = Stage.START     # START -> CLIENT_MESSAGE (empty challenge sent) -> CLIENT_ACK (JSON sent) -> DONE
        self._user = ""

    def parse(self, blob: bytes) -> tuple[str, str, list[Step]]:  # pragma: no cover - each mechanism defines it
        raise NotImplementedError

    def start(self, initial: bytes | None) -> ServerOutcome:
        self.require("server already started", Stage.START)
        if initial is None:
            self._stage = Stage.CLIENT_MESSAGE
            return Challenge(b"", (Step("sasl.step.server.empty-challenge", b"", N + "empty-challenge"),))
        return self._message(initial)

    def receive(self, response: bytes) -> ServerOutcome:
        stage = self.require("server got a response out of turn", Stage.CLIENT_MESSAGE, Stage.CLIENT_ACK)
        return self._message(response) if stage is Stage.CLIENT_MESSAGE else self._after_error(response)

    def _message(self, blob: bytes) -> ServerOutcome:
        try:
            self._user, token, trail = self.parse(blob)
        except InputError as exc:
            self._stage = Stage.DONE
            bad = Step("sasl.step.server.malformed", blob, "sasl.note.server.malformed", {"error": str(exc)},
                       secret=True)
            return Done(AuthResult(False, reason="malformed"), (bad,))
        if self._check(self._user, token):
            self._stage = Stage.DONE
            trail.append(Step("oauth.step.token-check", "valid", N + "token-valid", {"user": self._user}))
            return Done(AuthResult(True, self._user, self._user), tuple(trail))
        self._stage = Stage.CLIENT_ACK
        trail.append(Step("oauth.step.token-check", "invalid", N + "token-invalid", {"user": self._user}))
        trail.append(Step("oauth.step.error", self._error, N + "error-sent"))
        return Challenge(self._error, tuple(trail))

    def _after_error(self, response: bytes) -> Done:
        self._stage = Stage.DONE
        note = self.ACK_NOTE if response == self.ACK else self.ACK_NOTE + "-wrong"
        return Done(AuthResult(False, self._user, reason="invalid-token"), (Step("oauth.step.ack", response, note),))
