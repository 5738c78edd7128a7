"""The simulated server's side of one AUTH exchange (RFC 4954 §4): mechanism choice, 334 challenges, verdicts.

The SASL work is done by tutor.sasl's server mechanisms; this module frames it for SMTP (base64, `=`, `*`,
the reply codes of RFC 4954 §6) and says, as notes, what the server decoded and decided.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from tutor.explain import lookup, text
from tutor.protocol import b64
from tutor.protocol.auth import DecodedResponse, decode_initial, decode_response
from tutor.protocol.commands import parse_auth
from tutor.protocol.replies import Reply, make
from tutor.sasl import MECHANISMS
from tutor.sasl.base import AuthResult, Challenge, SecretLookup, ServerMechanism, ServerOutcome
from tutor.sasl.registry import Exposure, carries_secret
from tutor.sim import lenient, policy
from tutor.sim.challenges import ChallengeFactory
from tutor.sim.outcome import CANCELLED, CONTINUE, ERROR, FAILURE, REFUSED, SUCCESS, Outcome
from tutor.sim.output import MASK, Collector, clean, show
from tutor.sim.profiles import Profile

# Logs mask what replays: the client messages the registry gives the SECRET role (passwords and tokens). SCRAM
# lines stay visible: none of them is password-equivalent, though the client-final proof lets whoever records
# it test password guesses offline (note sim.scram.visible).
IN_CLEAR_NOTES = {Exposure.PLAINTEXT: "sim.auth.password-in-clear", Exposure.BEARER_TOKEN: "sim.auth.token-in-clear"}
IMPOSTOR_TAKES = ("bad-password", "no-such-user", "invalid-token")   # failures a fake server turns into 235
# The mechanisms' own notes say what an honest server does next ("the reply will be 535"); the impostor then
# says 235, so in its log those notes are replaced by ones that say what it really does.
IMPOSTOR_NOTES = {"sasl.note.server.no-such-user": "sim.impostor.knows-no-one",
                  "scram.note.server.unknown-user": "sim.impostor.made-up-keys",
                  "scram.note.server.ack": "sim.impostor.unchecked-ack"}


@lru_cache(maxsize=64)   # the same prompts (LOGIN's, the empty one) come back; random challenges pass through
def _continue(encoded: str) -> tuple[Reply, bytes]:
    """The 334 reply carrying a base64 challenge, and its bytes."""
    reply = make(334, encoded)
    return reply, reply.to_bytes()


def reason_text(reason: str) -> str:
    """Words for an AuthResult reason: sasl.toml's, else SCRAM's or OAuth's own."""
    for namespace in ("sasl", "scram", "oauth"):
        if isinstance(lookup(f"{namespace}.reason.{reason}"), str):
            return text(f"{namespace}.reason.{reason}")
    return reason


class AuthHandler:
    """Runs AUTH exchanges for one session, one at a time. `reply(key, **params)` sends a tutor.sim.replies reply."""

    def __init__(self, profile: Profile, lookup: SecretLookup, challenges: ChallengeFactory,
                 emit: Collector, reply: Callable[..., None], send: Callable, scram_bearer: Any = None,
                 accounts: Any = None) -> None:
        self._profile = profile
        self._accounts = accounts    # tutor.sim.accounts.Accounts: per-account error policies, password transitions
        self._tls = False
        self._scram_bearer = scram_bearer   # tutor.sim.scram_bearer.ScramBearerMechanisms: SCRAM and bearer servers
        self._lookup = lookup
        self._challenges = challenges
        self._emit = emit
        self._reply = reply
        self._send = send
        self._mech: ServerMechanism | None = None
        self._name = ""
        self._responses = 0      # client messages so far in this exchange (the initial response counts)

    @property
    def next_is_secret(self) -> bool:
        """Will the client's next AUTH line carry a password or a bearer token (PLAIN's message, LOGIN's second
        answer, the XOAUTH2/OAUTHBEARER message)? The registry's roles say; SCRAM lines are not masked."""
        return carries_secret(self._name, self._responses + 1)

    @staticmethod
    def masked_command(argument: str) -> str | None:
        """How to log `AUTH <argument>` with secrets hidden; None if it reveals no password or token."""
        if not AuthHandler.command_carries_secret(argument):
            return None
        return f"AUTH {argument.split(maxsplit=1)[0]} {MASK}"

    @staticmethod
    def command_carries_secret(argument: str) -> bool:
        """Whether `AUTH <argument>` carries a password or token: an initial response (not "=", the empty one)
        of a mechanism whose first message does. (A view asks for every AUTH it reads: no object made.)"""
        parts = argument.split()   # as parse_auth splits it
        return len(parts) > 1 and parts[1] != "=" and carries_secret(parts[0].upper(), 1)

    def start(self, argument: str, tls: bool) -> Outcome:
        """Handle `AUTH mechanism [initial-response]` once its place in the session was checked."""
        self._tls = tls
        parsed = parse_auth(argument)
        if parsed is None:
            self._reply("auth-syntax")
            return Outcome(ERROR)
        typed, offered = argument.split(maxsplit=1)[0], self._profile.offered(tls)
        name = parsed.mechanism
        if not typed.isascii() or name not in offered or name not in MECHANISMS:
            # RFC 4954 §4: an unsupported mechanism gets 504 (5.5.4)
            self._emit.note("sim.auth.unknown-mechanism", mechanism=clean(typed), offered=" ".join(offered) or "none")
            self._reply("auth-unknown-mech")
            return Outcome(ERROR)
        if typed != name:
            self._emit.note("sim.auth.case", typed=clean(typed), mechanism=name)   # RFC 4954 §8: case-insensitive
        refusal = policy.at_command(self._profile.auth_error, name, tls)
        if refusal is not None:
            return self._refuse(refusal)
        if self._over_buffer(parsed.initial_response or ""):
            return Outcome(ERROR)
        if self._emit.keeps("sim.auth.mechanism"):
            self._emit.note("sim.auth.mechanism", mechanism=name, summary=text(MECHANISMS[name].summary_key))
        self._name, self._responses = name, 0
        self._mech = self._server(name)
        self._mech.teaching = self._emit.wants_steps   # no teaching steps for a log nobody reads
        initial = None
        if parsed.initial_response is not None:
            decoded = decode_initial(parsed.initial_response)
            if parsed.initial_response == "=":
                self._emit.note("sim.auth.empty-initial")   # RFC 4954 §4: "=" is a zero-length initial response
            else:
                self._emit.note("sim.auth.initial")
            initial = self._decoded(decoded)
            if initial is None:
                return Outcome(CANCELLED if decoded.cancelled else ERROR)
        return self._handle(self._mech.start(initial))

    def respond(self, line: bytes) -> Outcome:
        """Handle the client's answer to a 334 challenge."""
        if self._mech is None:   # pragma: no cover - the protocol core only reports AUTH lines inside AUTH
            self._reply("bad-sequence")
            return Outcome(ERROR)
        if self._over_buffer(line.decode("ascii", "replace")):
            return Outcome(ERROR)
        self._emit.all(lenient.auth_response_notes(line))
        decoded = decode_response(line)
        data = self._decoded(decoded)
        if data is None:
            return Outcome(CANCELLED if decoded.cancelled else ERROR)
        return self._handle(self._mech.receive(data))

    def line_too_long(self) -> None:
        """RFC 4954 §4: an AUTH line longer than the server's buffer gets 500 (5.5.6) and the exchange is over."""
        self._finish()
        self._reply("auth-line-too-long")

    def _over_buffer(self, response: str) -> bool:
        """A response longer than the profile's authentication buffer (Profile.auth_buffer): 500 5.5.6 sent."""
        limit = self._profile.auth_buffer
        if limit is None or len(response) <= limit:
            return False
        self._emit.note("sim.auth.line-too-long", length=len(response), limit=limit)
        self.line_too_long()
        return True

    def _refuse(self, refusal: policy.Refusal) -> Outcome:
        """An error-code policy's reply instead of the exchange's own (RFC 4954 §6)."""
        self._finish()
        self._emit.note(refusal.note, **refusal.params)
        if refusal.params.get("late"):
            self._emit.note("sim.policy.late", mechanism=refusal.params.get("mechanism", ""))
        self._reply(refusal.reply)
        return Outcome(REFUSED)

    def _challenge_or_refusal(self, data: bytes, steps: tuple, looked_up: str | None) -> Outcome:
        """A 334, unless the mechanism just looked up a user (SCRAM's client-first) a policy refuses: then the
        refusal comes now, before the server-first message that would be sent in vain."""
        refusal = self._refusal_for(looked_up) if looked_up is not None else None
        if refusal is not None:   # the steps up to the lookup (all of them, if none is labelled so)
            lookup = [i for i, step in enumerate(steps) if step.label == "sasl.step.server.lookup"]
            self._emit.steps(steps[:lookup[0] + 1] if lookup else steps)
            return self._refuse(refusal)
        self._emit.steps(steps)
        return self._challenge(data)

    def _refusal_for(self, user: str) -> policy.Refusal | None:
        """The error policy's answer for `user` at this point of the exchange (account's, else profile's)."""
        if not user:   # a malformed message names no one: the mechanism's own verdict stands
            return None
        account = self._accounts.error_for(user) if self._accounts is not None else None
        code = account or self._profile.auth_error
        done = self._accounts is not None and self._accounts.transitioned(user)
        return policy.at_verdict(code, self._name, self._tls, user, done)

    def _transition(self, user: str) -> None:
        """432 policy: a PLAIN login lets the server make the user's other secrets (RFC 4954 §6)."""
        code = (self._accounts.error_for(user) if self._accounts is not None else None) or self._profile.auth_error
        if code == "432" and self._name == policy.TRANSITION_BY and not self._accounts.transitioned(user):
            self._accounts.mark_transitioned(user)
            self._emit.note("sim.policy.transitioned", user=user)

    def _server(self, name: str) -> ServerMechanism:
        made = self._scram_bearer.server(name) if self._scram_bearer is not None else None
        return made if made is not None else MECHANISMS[name].server(self._lookup, **self._options(name))

    def _options(self, name: str) -> dict:
        """The simulator settings this mechanism's server takes (MechanismInfo.server_options)."""
        available = {"wording": self._profile.login_wording, "challenge_factory": self._challenges}
        return {option: available[option] for option in MECHANISMS[name].server_options}

    def _decoded(self, decoded: DecodedResponse) -> bytes | None:
        """The decoded bytes, or None after replying 501 to a cancel (RFC 4954 §4) or to undecodable base64."""
        if decoded.cancelled:
            self._emit.note("sim.auth.cancelled")
            self._finish()
            self._reply("auth-cancelled")
            return None
        if decoded.data is None:
            self._emit.note("sim.auth.bad-base64", error=decoded.error)
            self._finish()
            self._reply("auth-bad-base64")
            return None
        if self._emit.explain:   # show() is not free: only when the notes are read
            self._emit.note("sim.auth.decoded", secret=self.next_is_secret, octets=len(decoded.data),
                            shown=show(decoded.data))
        self._responses += 1
        if MECHANISMS[self._name].family == "scram" and decoded.data.startswith(b"c="):
            self._emit.note("sim.scram.visible")
        return decoded.data

    def _handle(self, outcome: ServerOutcome) -> Outcome:
        steps = self._impostor_steps(outcome.steps) if self._profile.impostor else outcome.steps
        if isinstance(outcome, Challenge):
            return self._challenge_or_refusal(outcome.data, steps, outcome.looked_up)
        self._emit.steps(steps)
        if outcome.result.reason != "initial-response-not-allowed":
            refusal = self._refusal_for(outcome.result.authcid)
            if refusal is not None:
                return self._refuse(refusal)
        result, name = self._impostor(outcome.result), self._name
        if result.success and self._accounts is not None:
            self._transition(result.authcid)
        self._finish()
        if result.success:
            user = result.authzid or result.authcid
            in_clear = IN_CLEAR_NOTES.get(MECHANISMS[name].exposure)
            if in_clear is not None and not self._tls:   # inside TLS the password did not cross in clear
                self._emit.note(in_clear)
            self._emit.note("sim.auth.success", user=user)
            self._reply("auth-ok")
            return Outcome(SUCCESS, user)
        if result.reason == "initial-response-not-allowed":
            self._reply("auth-ir-not-allowed", mechanism=name)   # RFC 4954 §4: 501 (5.7.0)
            return Outcome(ERROR)
        if self._emit.keeps("sim.auth.failed"):
            self._emit.note("sim.auth.failed", reason=reason_text(result.reason))
        self._reply("auth-failed")   # RFC 4954 §6: 535 5.7.8
        return Outcome(FAILURE)

    @staticmethod
    def _impostor_steps(steps) -> tuple:
        return tuple(replace(step, note=IMPOSTOR_NOTES[step.note]) if step.note in IMPOSTOR_NOTES else step
                     for step in steps)

    def _impostor(self, result: AuthResult) -> AuthResult:
        """The impostor profile says yes to any credentials (it never knew them): what a fake server does."""
        if not self._profile.impostor or result.success or result.reason not in IMPOSTOR_TAKES:
            return result
        self._emit.note("sim.impostor.accepts", mechanism=self._name)
        return AuthResult(True, result.authcid, result.authzid or result.authcid)

    def _challenge(self, data: bytes) -> Outcome:
        encoded = b64.encode(data) if data else ""
        if data and self._emit.explain:
            self._emit.note("sim.auth.challenge", shown=show(data), base64=encoded)
        else:
            self._emit.note("sim.auth.empty-challenge")   # RFC 4954 §4: the line is "334 " with its space
        if "challenge_factory" in MECHANISMS[self._name].server_options:   # the profile made the challenge
            self._cram_note(data)
        self._send(*_continue(encoded))   # RFC 4954 §4: the challenge text is only the base64, no enhanced code
        return Outcome(CONTINUE)

    def _cram_note(self, data: bytes) -> None:
        kind = self._profile.challenge
        if kind == "fixed":
            self._emit.note("sim.cram.fixed")
        elif kind == "glitchy":
            self._emit.note("sim.cram.glitchy", shown=show(data))
        else:
            self._emit.note("sim.cram.fresh")

    def _finish(self) -> None:
        self._mech = None
        self._name = ""
        self._responses = 0
