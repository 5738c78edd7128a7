"""The SCRAM server (RFC 5802 §5): server-first, proof check from StoredKey, server-final `v=` sent as a 334."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from tutor.errors import InputError, LocalProtocolError
from tutor.sasl import gs2
from tutor.sasl.base import AuthResult, Challenge, Done, SecretLookup, ServerOutcome, Stage, Staged, Trail
from tutor.sasl.saslprep import SASLprepError
from tutor.sasl.scram_keys import (
    MIN_ITERATIONS,
    SALT_OCTETS,
    ScramKeys,
    auth_message,
    digest_size,
    ladder,
    ladder_steps,
    normalize,
    recover_client_key,
    server_signature,
    stored_from_client_key,
)
from tutor.sasl.scram_keys import hash_name as canonical_hash
from tutor.sasl.scram_wire import b64decode, b64encode, check_nonce, make_nonce, parse_message, server_first

# user -> (salt, iterations, StoredKey, ServerKey) or None: what a real server keeps instead of the password.
StoredLookup = Callable[[str], "ScramKeys | tuple[bytes, int, bytes, bytes] | None"]
AuthzPolicy = Callable[[str, str], bool]
N = "scram.note.server."


class ScramServer(Staged):
    """Server side. Give `lookup` (user -> plaintext password) or `stored` (user -> ScramKeys), not both.

    Stages: "start" -> "first" (after an empty challenge) -> "final" -> "ack" (v= sent as a 334) -> "done".
    `salt` (bytes, or user -> bytes) is used for derived keys and for made-up ones of unknown users.
    `accept_any` makes an impostor for teaching: it skips the proof check and signs v= with keys that are not
    the user's, so the client's check of v= (RFC 5802 §5) is what catches it.
    """

    def __init__(self, lookup: SecretLookup | None = None, hash_name: str = "SHA-256", s_nonce: str | None = None,
                 salt: bytes | Callable[[str], bytes] | None = None, iterations: int = MIN_ITERATIONS, *,
                 stored: StoredLookup | None = None, allow_authzid: AuthzPolicy | None = None,
                 accept_any: bool = False) -> None:
        if (lookup is None) == (stored is None):
            raise LocalProtocolError("a SCRAM server needs exactly one of lookup= (passwords) or stored= (keys)")
        if iterations < 1:
            raise InputError(f"the SCRAM iteration count must be at least 1, got {iterations}")
        self.hash = canonical_hash(hash_name)
        self.name = "SCRAM-" + self.hash
        self._lookup, self._stored, self._allow, self._accept_any = lookup, stored, allow_authzid, accept_any
        self._s_nonce = check_nonce(s_nonce, "server") if s_nonce is not None else make_nonce()
        self._salt, self._iterations = salt, iterations
        self._stage = Stage.START
        self._user = self._authzid = self._header = self._bare = self._first = self._nonce = ""
        self._keys: ScramKeys | None = None
        self._known = False
        self._success: AuthResult | None = None

    def start(self, initial: bytes | None) -> ServerOutcome:
        self.require("server already started", Stage.START)
        if initial is None:
            self._stage = Stage.CLIENT_FIRST
            trail = Trail(self.teaching)
            trail.add("sasl.step.server.empty-challenge", b"", N + "empty-challenge")
            return Challenge(b"", tuple(trail))
        return self._client_first(initial)

    def receive(self, response: bytes) -> ServerOutcome:
        stage = self.require("server got a response out of turn", Stage.CLIENT_FIRST, Stage.CLIENT_FINAL,
                             Stage.CLIENT_ACK)
        if stage is Stage.CLIENT_FIRST:
            return self._client_first(response)
        return self._client_final(response) if stage is Stage.CLIENT_FINAL else self._ack(response)

    def _fail(self, reason: str, trail: Trail, error: str) -> Done:
        """Failure: SMTP answers 535 (or 501), so the e= value is only noted, not sent (RFC 5802 §5.1 makes the
        server-final message optional on failure)."""
        self._stage = Stage.DONE
        trail.add("scram.step.server-error-value", f"e={error}", N + "error-not-sent", {"error": error})
        return Done(AuthResult(False, self._user, self._authzid, reason), tuple(trail))

    def _client_first(self, data: bytes) -> ServerOutcome:
        trail = Trail(self.teaching)
        trail.add("scram.step.client-first", data, N + "client-first")
        try:
            attrs = parse_message(data)
        except gs2.EncodingError as exc:   # RFC 5802 §5.1: bad =XX in the user name: the server MUST fail
            trail.add("sasl.step.server.malformed", data, "sasl.note.server.malformed", {"error": str(exc)})
            return self._fail("invalid-username-encoding", trail, "invalid-username-encoding")
        except InputError as exc:
            trail.add("sasl.step.server.malformed", data, "sasl.note.server.malformed", {"error": str(exc)})
            return self._fail("malformed", trail, "invalid-encoding")
        refusal = self._refuse_first(attrs, trail)
        if refusal is not None:
            return refusal
        self._user, self._authzid = attrs["n"], attrs.get("a", "")
        self._header, self._bare = attrs["gs2-header"], attrs["bare"]
        self._nonce = attrs["r"] + self._s_nonce
        self._find_keys(trail)
        keys = self._known_keys
        self._first = server_first(self._nonce, keys.salt, keys.iterations)
        first = self._first.encode("utf-8")
        if trail.teaching:
            trail.add("scram.step.server-first-made", first, N + "server-first",
                      {"c_nonce": attrs["r"], "s_nonce": self._s_nonce, "iterations": keys.iterations})
        self._stage = Stage.CLIENT_FINAL
        return Challenge(first, tuple(trail), looked_up=self._user)

    def _refuse_first(self, attrs: dict[str, str], trail: Trail) -> Done | None:
        if attrs["kind"] != "client-first":
            kind = attrs["kind"]
            trail.add("sasl.step.server.malformed", kind, N + "not-client-first", {"value": kind})
            return self._fail("malformed", trail, "other-error")
        if attrs["gs2"] == "p":  # RFC 5802 §6: "p" with an unsupported channel binding type: the server MUST fail
            trail.add("scram.step.gs2-header", attrs["gs2-header"], N + "no-channel-binding",
                      {"cb_name": attrs.get("cb-name", "")})
            return self._fail("channel-binding-not-supported", trail, "channel-binding-not-supported")
        if "m" in attrs:         # RFC 5802 §5.1: a reserved m= MUST cause authentication failure
            trail.add("scram.step.client-first", attrs["m"], N + "mandatory-extension")
            return self._fail("malformed", trail, "extensions-not-supported")
        trail.add("scram.step.gs2-header", attrs["gs2-header"], N + ("gs2-y" if attrs["gs2"] == "y" else "gs2-n"))
        return None

    @property
    def _known_keys(self) -> ScramKeys:
        """The user's keys, set by _find_keys when the client-first message arrived."""
        assert self._keys is not None, "the keys are found before they are used"
        return self._keys

    def _find_keys(self, trail: Trail) -> None:
        """Set self._keys for the user: from the stored record, derived from the password, or made up."""
        trail.add("sasl.step.server.lookup", self._user)
        if self._stored is not None:
            record = self._stored(self._user)
            if record is not None:
                self._keys, self._known = record if isinstance(record, ScramKeys) else ScramKeys(*record), True
                self._check_record()
                if trail.teaching:
                    trail.add("scram.step.stored-record", repr(self._keys), N + "stored-record")
                return
        else:
            assert self._lookup is not None, "__init__ took exactly one of lookup= and stored="
            self._derive(self._lookup(self._user), trail)
            if self._known:
                return
        size = digest_size(self.hash)   # unknown user: go on with made-up keys so outsiders learn nothing yet
        salt = self._salt_for(self._user)
        self._keys = ScramKeys(salt, self._iterations, secrets.token_bytes(size), secrets.token_bytes(size))
        if trail.teaching:
            trail.add("scram.step.fake-salt", b64encode(salt), N + "unknown-user", {"user": self._user})

    def _salt_for(self, user: str) -> bytes:
        """The given salt (bytes, or user -> bytes), else a fresh random one."""
        salt = self._salt(user) if callable(self._salt) else self._salt
        return salt if salt is not None else secrets.token_bytes(SALT_OCTETS)

    def _derive(self, password: str | None, trail: Trail) -> None:
        if password is None:
            return
        try:
            normalized = normalize(password)
        except SASLprepError as exc:
            trail.add("scram.step.normalized", str(exc), N + "saslprep-failed", {"error": str(exc)})
            return
        salt = self._salt_for(self._user)
        keys = ladder(self.hash, normalized, salt, self._iterations)
        self._keys, self._known = ScramKeys(salt, self._iterations, keys.stored_key, keys.server_key), True
        trail.add("scram.step.normalized", normalized, N + "from-plaintext", secret=True)
        if trail.teaching:
            trail += ladder_steps(keys, salt, self._iterations)

    def _check_record(self) -> None:
        size = digest_size(self.hash)
        if len(self._known_keys.stored_key) != size or len(self._known_keys.server_key) != size:
            raise LocalProtocolError(f"the stored SCRAM keys for {self._user!r} are not {self.hash} keys "
                                     f"({size} octets each)")

    def _client_final(self, data: bytes) -> ServerOutcome:
        trail = Trail(self.teaching)
        trail.add("scram.step.client-final", data, N + "client-final")
        try:
            attrs = parse_message(data)
            if attrs["kind"] != "client-final":
                raise InputError(f"expected the client-final message, got a {attrs['kind']} message")
        except InputError as exc:
            trail.add("sasl.step.server.malformed", data, "sasl.note.server.malformed", {"error": str(exc)})
            return self._fail("malformed", trail, "invalid-encoding")
        if b64decode(attrs["c"], "channel binding c=") != self._header.encode("utf-8"):
            trail.add("scram.step.channel-binding", attrs["c"], N + "cb-mismatch",
                      {"expected": b64encode(self._header.encode("utf-8"))})
            return self._fail("channel-bindings-dont-match", trail, "channel-bindings-dont-match")
        if attrs["r"] != self._nonce:  # RFC 5802 §5.1: the server MUST verify the nonce is the one it sent
            trail.add("scram.step.nonce", attrs["r"], N + "nonce-mismatch", {"expected": self._nonce})
            return self._fail("malformed", trail, "other-error")
        return self._check_proof(attrs, trail)

    def _check_proof(self, attrs: dict[str, str], trail: Trail) -> ServerOutcome:
        keys, h = self._known_keys, self.hash
        message = auth_message(self._bare, self._first, attrs["without-proof"])
        proof = b64decode(attrs["p"], "proof p=")
        client_key = recover_client_key(h, keys.stored_key, message, proof)
        same = client_key is not None and hmac.compare_digest(stored_from_client_key(h, client_key), keys.stored_key)
        if trail.teaching:
            trail.add("scram.step.auth-message", message, N + "auth-message", {"octets": len(message)})
            trail.add("scram.step.client-proof", attrs["p"], N + "proof")
            trail.add("scram.step.client-key", b64encode(client_key or b""), N + "recovered-client-key", secret=True)
            trail.add("sasl.step.server.compare", "match" if same else "no match", N + "compare-stored-key")
        if self._accept_any and not (same and self._known):
            trail.add("sasl.step.server.compare", "ignored", N + "impostor-accepts")
            return self._authorize(message, trail)
        if not self._known:
            trail.add("sasl.step.server.lookup", self._user, "sasl.note.server.no-such-user", {"authcid": self._user})
            return self._fail("no-such-user", trail, "unknown-user")
        if not same:
            return self._fail("bad-password", trail, "invalid-proof")
        return self._authorize(message, trail)

    def _authorize(self, message: bytes, trail: Trail) -> ServerOutcome:
        """RFC 5802 §5 (erratum 2640): may the authenticated user act as the requested authzid?"""
        user, authzid = self._user, self._authzid
        if authzid and authzid != user and not (self._allow is not None and self._allow(user, authzid)):
            trail.add("sasl.step.server.authorize", authzid, "sasl.note.server.authzid-denied",
                      {"authcid": user, "authzid": authzid})
            return self._fail("authzid-denied", trail, "other-error")
        self._success = AuthResult(True, user, authzid or user)
        signature = b64encode(server_signature(self.hash, self._known_keys.server_key, message))
        final = f"v={signature}".encode()
        trail.add("scram.step.server-signature", signature, N + "server-signature")
        trail.add("scram.step.server-final", final, N + "server-final")
        self._stage = Stage.CLIENT_ACK
        return Challenge(final, tuple(trail))  # RFC 4954 §4 + RFC 4422 §5: additional data goes as a 334

    def _ack(self, data: bytes) -> Done:
        self._stage = Stage.DONE
        trail = Trail(self.teaching)
        if data:   # RFC 4954 §4: the client answers the final challenge with an empty response
            trail.add("sasl.step.server.malformed", data, N + "ack-not-empty")
            return Done(AuthResult(False, self._user, self._authzid, "malformed"), tuple(trail))
        assert self._success is not None, "the ack stage follows a verified proof"
        trail.add("scram.step.ack", b"", N + "ack")
        return Done(self._success, tuple(trail))
