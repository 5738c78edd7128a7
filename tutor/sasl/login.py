"""The obsolete LOGIN mechanism (draft-murchison-sasl-login-00, MS-XLOGIN): prompt wordings, client and server."""

from __future__ import annotations

import hmac

from tutor.errors import InputError
from tutor.sasl.base import (
    AuthResult,
    Challenge,
    Credentials,
    Done,
    SecretLookup,
    ServerOutcome,
    Stage,
    Staged,
    Step,
    Trail,
)

NAME = "LOGIN"

# Server prompts (user name prompt, password prompt), raw bytes before base64.
PROMPTS: dict[str, tuple[bytes, bytes]] = {
    "draft": (b"User Name\x00", b"Password\x00"),   # draft §2.2 words; §2.3 example carries the trailing NUL
    "common": (b"Username:", b"Password:"),         # MS-XLOGIN; what Outlook and most servers send
}
DEFAULT_WORDING = "common"


ANSWERS = {Stage.USERNAME: "username", Stage.PASSWORD: "password"}   # the words `{answer}` shows


def _wording_mismatch(stage: Stage, challenge: bytes) -> bool:
    """Does the prompt's wording ask for the other field than the one its position asks for?"""
    words = challenge.lower()
    if stage is Stage.USERNAME:
        return b"pass" in words
    return b"user" in words and b"pass" not in words


class LoginClient(Staged):
    """Client side: answer the first challenge with the user name and the second with the password.

    Draft §2.1: "The contents of both challenges SHOULD be ignored" -- we answer by position, never by wording
    (cpython bpo-27820: smtplib once sent the password to the user name challenge).
    """

    name = NAME

    def __init__(self, credentials: Credentials, initial_response: bool = False) -> None:
        self._creds = credentials
        self._use_initial = initial_response
        self._stage = Stage.USERNAME      # what the next answer is: USERNAME, PASSWORD, then FINAL_REPLY
        self._steps: list[Step] = []

    def initial_response(self) -> bytes | None:
        """None (draft form), or the user name for `AUTH LOGIN <username>` (MS-XLOGIN) if asked for."""
        if not self._use_initial:
            return None
        self.require("initial response must come first", Stage.USERNAME)
        return self._answer("sasl.note.login.initial-response")

    def respond(self, challenge: bytes) -> bytes:
        """Answer a challenge by its position in the exchange."""
        stage = self.require("has already sent the user name and the password, not a third challenge",
                             Stage.USERNAME, Stage.PASSWORD)
        position = 1 if stage is Stage.USERNAME else 2
        mismatch = _wording_mismatch(stage, challenge)
        note = "sasl.note.login.wording-mismatch" if mismatch else "sasl.note.login.by-position"
        params = {"position": position, "answer": ANSWERS[stage]}
        self._steps.append(Step("sasl.step.login.challenge", challenge, note, params))
        return self._answer()

    def _answer(self, note: str = "sasl.note.login.not-encrypted") -> bytes:
        if self._stage is Stage.USERNAME:
            self._stage = Stage.PASSWORD
            self._steps.append(Step("sasl.step.login.username", self._creds.authcid, note))
            return self._creds.authcid.encode("utf-8")
        self._stage = Stage.FINAL_REPLY
        self._steps.append(Step("sasl.step.login.password", self._creds.secret, note, secret=True))
        return self._creds.secret.encode("utf-8")

    def steps(self) -> list[Step]:
        return list(self._steps)


def _prompts(wording: str | tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    if isinstance(wording, tuple):
        return wording
    try:
        return PROMPTS[wording]
    except KeyError:
        raise InputError(f"unknown LOGIN wording {wording!r}; known: {', '.join(sorted(PROMPTS))}") from None


class LoginServer(Staged):
    """Server side: prompt for the user name, then the password, then check them."""

    name = NAME

    def __init__(self, lookup: SecretLookup, wording: str | tuple[bytes, bytes] = DEFAULT_WORDING) -> None:
        self._lookup = lookup
        self._user_prompt, self._pass_prompt = _prompts(wording)
        self._stage = Stage.START         # START, USERNAME, PASSWORD, DONE
        self._username = b""

    def start(self, initial: bytes | None) -> ServerOutcome:
        self.require("server already started", Stage.START)
        self._stage = Stage.USERNAME
        if initial is None:
            trail = Trail(self.teaching)
            trail.add("sasl.step.login.prompt", self._user_prompt, "sasl.note.login.prompt-username")
            return Challenge(self._user_prompt, tuple(trail))
        return self.receive(initial)      # MS-XLOGIN: `AUTH LOGIN <username>`

    def receive(self, response: bytes) -> ServerOutcome:
        stage = self.require("server got a response out of turn", Stage.USERNAME, Stage.PASSWORD)
        if stage is Stage.USERNAME:
            self._username = response
            self._stage = Stage.PASSWORD
            prompt = Trail(self.teaching)
            prompt.add("sasl.step.server.username", response)
            prompt.add("sasl.step.login.prompt", self._pass_prompt, "sasl.note.login.prompt-password")
            return Challenge(self._pass_prompt, tuple(prompt))
        self._stage = Stage.DONE
        result, trail = check(self._username, response, self._lookup, self.teaching)
        return Done(result, tuple(trail))


def check(username: bytes, password: bytes, lookup: SecretLookup,
          teaching: bool = True) -> tuple[AuthResult, list[Step]]:
    """Verify a LOGIN user name and password as a server would, with its reasoning as steps (none when not
    `teaching`)."""
    trail = Trail(teaching)
    try:
        user, secret_given = username.decode("utf-8"), password.decode("utf-8")
    except UnicodeDecodeError:
        trail.add("sasl.step.server.malformed", username, "sasl.note.login.not-utf8")
        return AuthResult(False, reason="malformed"), trail
    trail.add("sasl.step.server.password", secret_given, secret=True)
    secret = lookup(user)
    if secret is None:
        trail.add("sasl.step.server.lookup", user, "sasl.note.server.no-such-user", {"authcid": user})
        return AuthResult(False, user, reason="no-such-user"), trail
    same = hmac.compare_digest(password, secret.encode("utf-8"))
    trail.add("sasl.step.server.compare", "match" if same else "no match", "sasl.note.server.constant-time")
    if not same:
        return AuthResult(False, user, reason="bad-password"), trail
    return AuthResult(True, user, user), trail
