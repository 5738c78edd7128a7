"""SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677) without channel binding: client, helpers, registry factories."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from functools import partial

from tutor import explain
from tutor.errors import InputError, RemoteProtocolError
from tutor.sasl import gs2
from tutor.sasl.base import Credentials, Stage, Staged, Step
from tutor.sasl.saslprep import SASLprepError, saslprep
from tutor.sasl.scram_keys import (
    HASHES,
    MIN_ITERATIONS,
    ScramKeys,
    auth_message,
    client_proof,
    ladder,
    ladder_steps,
    make_keys,
    normalize,
    offline_attack_cost,
    proof_steps,
    server_signature,
)
from tutor.sasl.scram_keys import hash_name as canonical_hash
from tutor.sasl.scram_server import ScramServer, StoredLookup
from tutor.sasl.scram_wire import (
    b64decode,
    b64encode,
    check_nonce,
    client_final_without_proof,
    client_first,
    error_key,
    make_nonce,
    parse_message,
)

MAX_ITERATIONS = 1_000_000     # RFC 5802 §9: a hostile server can stall a client with a huge iteration count
IMPOSTOR = "server signature mismatch: this server does not know your password — possibly an impostor"


def mechanism_name(hash_: str) -> str:
    """The IANA mechanism name for a hash: SCRAM-SHA-1 or SCRAM-SHA-256."""
    return "SCRAM-" + canonical_hash(hash_)


class ScramClient(Staged):
    """Client side: client-first, then client-final with the proof, then CHECK the server's signature.

    Stages: "first" -> "server-first" -> "server-final" -> "done" (or "failed" after a RemoteProtocolError).
    """

    def __init__(self, credentials: Credentials, hash_name: str = "SHA-256", c_nonce: str | None = None,
                 max_iterations: int = MAX_ITERATIONS) -> None:
        self.hash = canonical_hash(hash_name)
        self.name = mechanism_name(self.hash)
        self._creds = credentials
        self._c_nonce = check_nonce(c_nonce, "client") if c_nonce is not None else make_nonce()
        self._max_iterations = max_iterations
        self._stage = Stage.FIRST
        self._steps: list[Step] = []
        self._header = self._bare = self._server_first = ""
        self._expected_v = b""
        self.verified = False           # True once the server proved it knows the password (mutual auth)

    def initial_response(self) -> bytes:
        """The client-first message `n,,n=<user>,r=<client nonce>` (sent on the AUTH line)."""
        self.require("client: initial_response() out of order", Stage.FIRST)
        user = _prep_name(self._creds.authcid, "user name")
        authzid = _prep_name(self._creds.authzid, "authzid") if self._creds.authzid else ""
        self._header = gs2.build("n", authzid)
        message, self._bare = client_first(user, self._c_nonce, self._header)
        escaped = gs2.escape(user)
        self._steps += [
            Step("scram.step.gs2-header", self._header, "scram.note.gs2-header", {"authzid": authzid}),
            Step("scram.step.username", escaped, "scram.note.username-escaped" if escaped != user
                 else "scram.note.username", {"user": user, "escaped": escaped}),
            Step("scram.step.c-nonce", self._c_nonce, "scram.note.c-nonce"),
            Step("scram.step.client-first", message.encode("utf-8"), "scram.note.client-first"),
        ]
        self._stage = Stage.SERVER_FIRST
        return message.encode("utf-8")

    def respond(self, challenge: bytes) -> bytes:
        """Answer `334 ` (send client-first), server-first (send client-final), or server-final (check v=)."""
        if self._stage is Stage.FIRST and challenge == b"":
            return self.initial_response()   # no initial response was sent, so the server sent an empty challenge
        stage = self.require("client got a challenge out of turn", Stage.SERVER_FIRST, Stage.SERVER_FINAL)
        return self._client_final(challenge) if stage is Stage.SERVER_FIRST else self._verify(challenge)

    def steps(self) -> list[Step]:
        return list(self._steps)

    def _fail(self, label: str, value: bytes | str, note: str, message: str, **params: object) -> RemoteProtocolError:
        self._steps.append(Step(label, value, note, dict(params)))
        self._stage = Stage.FAILED
        return RemoteProtocolError(message)

    def _parse(self, data: bytes, kind: str) -> dict[str, str]:
        try:
            attrs = parse_message(data)
        except InputError as exc:
            raise self._fail("scram.step.malformed", data, "scram.note.malformed", str(exc), error=str(exc)) from None
        if attrs["kind"] == "server-error":
            key = error_key(attrs["e"])
            raise self._fail("scram.step.server-error", data, key, f"server error e={attrs['e']}: "
                             f"{explain.text(key)}", error=attrs["e"])
        if attrs["kind"] != kind:
            raise self._fail("scram.step.malformed", data, "scram.note.wrong-message",
                             f"expected the {kind} message, got a {attrs['kind']} message", want=kind,
                             got=attrs["kind"])
        return attrs

    def _check_server_first(self, data: bytes, attrs: dict[str, str]) -> tuple[bytes, int]:
        if "m" in attrs:  # RFC 5802 §5.1: a reserved m= MUST cause authentication failure
            raise self._fail("scram.step.server-first", data, "scram.note.mandatory-extension",
                             "the server sent the reserved m= extension; RFC 5802 §5.1 says fail")
        nonce = attrs["r"]
        if not nonce.startswith(self._c_nonce) or not _nonce_ok(nonce):  # RFC 5802 §5.1: MUST verify
            raise self._fail("scram.step.nonce", nonce, "scram.note.nonce-mismatch",
                             "the server's nonce does not start with ours (RFC 5802 §5.1)", c_nonce=self._c_nonce)
        iterations, salt = int(attrs["i"]), b64decode(attrs["s"], "salt s=")
        if not 1 <= iterations <= self._max_iterations:
            raise self._fail("scram.step.iterations", attrs["i"], "scram.note.iterations-refused",
                             f"iteration count {iterations} refused (allowed: 1 to {self._max_iterations})",
                             iterations=iterations, maximum=self._max_iterations)
        return salt, iterations

    def _client_final(self, data: bytes) -> bytes:
        attrs = self._parse(data, "server-first")
        salt, iterations = self._check_server_first(data, attrs)
        self._server_first, nonce = data.decode("utf-8"), attrs["r"]
        low = "scram.note.iterations-low" if iterations < MIN_ITERATIONS else "scram.note.iterations"
        self._steps += [
            Step("scram.step.server-first", data, "scram.note.server-first"),
            Step("scram.step.nonce", nonce, "scram.note.nonce" if nonce != self._c_nonce else "scram.note.nonce-same",
                 {"c_nonce": self._c_nonce, "s_nonce": nonce[len(self._c_nonce):]}),
            Step("scram.step.salt", attrs["s"], "scram.note.salt" if salt else "scram.note.salt-empty",
                 {"octets": len(salt)}),
            Step("scram.step.iterations", str(iterations), low, {"iterations": iterations, "minimum": MIN_ITERATIONS}),
        ]
        normalized = self._normalize()
        keys = ladder(self.hash, normalized, salt, iterations)
        without_proof = client_final_without_proof(self._header, nonce)
        message = auth_message(self._bare, self._server_first, without_proof)
        proof = client_proof(self.hash, keys.client_key, keys.stored_key, message)
        self._expected_v = server_signature(self.hash, keys.server_key, message)
        final = f"{without_proof},p={b64encode(proof)}".encode()
        self._steps += ladder_steps(keys, salt, iterations) + proof_steps(self.hash, keys, message)
        self._steps.append(Step("scram.step.client-final", final, "scram.note.client-final"))
        self._stage = Stage.SERVER_FINAL
        return final

    def _normalize(self) -> bytes:
        password = self._creds.secret
        try:
            normalized = normalize(password)
        except SASLprepError as exc:
            self._stage = Stage.FAILED
            raise InputError(f"the password cannot be used with SCRAM: {exc}") from None
        note = "scram.note.saslprep-same" if normalized == password.encode("utf-8") else "scram.note.saslprep-changed"
        self._steps.append(Step("scram.step.normalized", normalized, note, secret=True))
        return normalized

    def _verify(self, data: bytes) -> bytes:
        """RFC 5802 §5: the client MUST check v= and treat a mismatch as failure (mutual authentication)."""
        attrs = self._parse(data, "server-final")
        got = b64decode(attrs["v"], "server signature v=")
        if not hmac.compare_digest(got, self._expected_v):
            raise self._fail("scram.step.server-signature-got", attrs["v"], "scram.note.impostor", IMPOSTOR,
                             expected=b64encode(self._expected_v))
        self._steps.append(Step("scram.step.server-signature-got", attrs["v"], "scram.note.server-verified"))
        self._stage, self.verified = Stage.FINAL_REPLY, True
        return b""   # RFC 4954 §4: the additional data came as a 334 challenge; answer it with an empty line


def _nonce_ok(nonce: str) -> bool:
    try:
        check_nonce(nonce, "server")
    except InputError:
        return False
    return True


def _prep_name(name: str, what: str) -> str:
    """RFC 5802 §5.1: the client SHOULD SASLprep the user name (as a query) and abort if that fails or is empty."""
    try:
        prepared = saslprep(name, allow_unassigned=True)
    except SASLprepError as exc:
        raise InputError(f"the {what} cannot be used with SCRAM: {exc}") from None
    if not prepared:
        raise InputError(f"the SCRAM {what} is empty after SASLprep (RFC 5802 §5.1: the client aborts)")
    return prepared


# ---- helpers for the REPL (:scram) and the tracer -------------------------------------------------------

def steps(password: str, client_first_message: bytes, server_first_message: bytes, hash_: str = "SHA-256",
          server_final: bytes | None = None) -> list[Step]:
    """Walk the client's side of an exchange from its client-first and the server-first it got back."""
    first = parse_message(client_first_message)
    if first["kind"] != "client-first":
        raise InputError(f"expected a client-first message, got a {first['kind']} message")
    creds = Credentials(first["n"], password, first.get("a", ""))
    client = ScramClient(creds, hash_, c_nonce=first["r"])
    client.initial_response()
    client.respond(server_first_message)
    if server_final is not None:
        try:
            client.respond(server_final)
        except RemoteProtocolError:
            pass                     # the failure is the last step
    return client.steps()


def explain_exchange(messages: Sequence[bytes], password: str | None = None, hash_: str = "SHA-256") -> list[Step]:
    """Explain a recorded exchange [client-first, server-first, client-final?, server-final?].

    With the password, recompute every value; without it, list what an eavesdropper learns and what it costs.
    """
    if password is not None and len(messages) >= 2:
        return steps(password, messages[0], messages[1], hash_, messages[3] if len(messages) > 3 else None)
    out = []
    for data in messages:
        attrs = parse_message(data)
        out.append(Step("scram.step.seen", data, "scram.note.seen." + attrs["kind"], dict(attrs)))
    server_first = next((parse_message(m) for m in messages if parse_message(m)["kind"] == "server-first"), None)
    if server_first is not None:
        out.append(offline_attack_cost(int(server_first["i"]), hash_))
    return out


def last_exchange(messages: Sequence[tuple[str, bytes]]) -> tuple[bytes | None, bytes | None, bytes | None]:
    """(client-first, server-first, server-final) of the last SCRAM exchange in ("C" | "S", decoded) messages."""
    first = server_first = final = None
    for _direction, data in messages:
        try:
            kind = parse_message(data)["kind"]
        except InputError:
            continue
        if kind == "client-first":
            first, server_first, final = data, None, None
        elif kind == "server-first" and first is not None:
            server_first, final = data, None
        elif kind in ("server-final", "server-error") and server_first is not None:
            final = data
    return first, server_first, final


def client_for(hash_: str) -> partial:
    """The registry's client factory for one hash: client(Credentials, **options)."""
    return partial(ScramClient, hash_name=canonical_hash(hash_))


def server_for(hash_: str) -> partial:
    """The registry's server factory for one hash: server(lookup, **options)."""
    return partial(ScramServer, hash_name=canonical_hash(hash_))


sha1_client, sha1_server = client_for("SHA-1"), server_for("SHA-1")
sha256_client, sha256_server = client_for("SHA-256"), server_for("SHA-256")

__all__ = [
    "HASHES", "IMPOSTOR", "MIN_ITERATIONS", "ScramClient", "ScramKeys", "ScramServer", "StoredLookup", "client_for",
    "explain_exchange", "last_exchange", "make_keys", "mechanism_name", "offline_attack_cost", "parse_message",
    "server_for",
    "sha1_client", "sha1_server", "sha256_client", "sha256_server", "steps",
]
