"""SCRAM's key ladder (RFC 5802 §3): SaltedPassword, ClientKey, StoredKey, ServerKey, proof and signatures."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from tutor.errors import InputError
from tutor.sasl.base import Step
from tutor.sasl.saslprep import saslprep
from tutor.sasl.scram_wire import b64encode

HASHES = {"SHA-1": "sha1", "SHA-256": "sha256"}     # SCRAM hash name -> hashlib name
MIN_ITERATIONS = 4096          # RFC 7677 §4: the iteration count "SHOULD be at least 4096"
SALT_OCTETS = 16


@lru_cache(maxsize=64)   # asked for every SCRAM exchange, with a few spellings
def hash_name(name: str) -> str:
    """The canonical SCRAM hash name ("SHA-1", "SHA-256") for spellings like "sha256" or "SCRAM-SHA-1"."""
    squashed = name.upper().removeprefix("SCRAM-").replace("-", "")
    for canonical in HASHES:
        if canonical.replace("-", "") == squashed:
            return canonical
    raise InputError(f"unknown SCRAM hash {name!r}; known: {', '.join(HASHES)}")


DIGEST_SIZES = {name: hashlib.new(algorithm).digest_size for name, algorithm in HASHES.items()}


def digest_size(hash_: str) -> int:
    return DIGEST_SIZES[hash_]


def _hmac(hash_: str, key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, HASHES[hash_])


def _h(hash_: str, data: bytes) -> bytes:
    return hashlib.new(HASHES[hash_], data).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    if len(a) != len(b):
        raise ValueError(f"cannot XOR {len(a)} octets with {len(b)}")
    return (int.from_bytes(a) ^ int.from_bytes(b)).to_bytes(len(a))


def normalize(password: str) -> bytes:
    """Normalize(password) = SASLprep as a stored string, UTF-8 (RFC 5802 §2.2: MUST SASLprep or refuse non-ASCII)."""
    return saslprep(password, allow_unassigned=False).encode("utf-8")


def salted_password(hash_: str, normalized: bytes, salt: bytes, iterations: int) -> bytes:
    """Hi(Normalize(password), salt, i): PBKDF2 with HMAC-H, one block of H's output size (RFC 5802 §2.2)."""
    return hashlib.pbkdf2_hmac(HASHES[hash_], normalized, salt, iterations)


class ScramKeys(NamedTuple):
    """What a SCRAM server stores instead of the password (RFC 5802 §3): (salt, iterations, StoredKey, ServerKey)."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    def __repr__(self) -> str:  # convention 14: StoredKey + one sniffed exchange lets anyone log in
        return f"ScramKeys(salt={b64encode(self.salt)!r}, iterations={self.iterations}, stored_key=***, server_key=***)"


@dataclass(frozen=True)
class Ladder:
    """The keys derived from a password: SaltedPassword, ClientKey, StoredKey, ServerKey (RFC 5802 §3)."""

    hash: str
    salted_password: bytes = field(repr=False)
    client_key: bytes = field(repr=False)
    stored_key: bytes = field(repr=False)
    server_key: bytes = field(repr=False)


def ladder(hash_: str, normalized: bytes, salt: bytes, iterations: int) -> Ladder:
    """Derive every key from the normalised password."""
    salted = salted_password(hash_, normalized, salt, iterations)
    client_key = _hmac(hash_, salted, b"Client Key")
    return Ladder(hash_, salted, client_key, _h(hash_, client_key), _hmac(hash_, salted, b"Server Key"))


def make_keys(password: str, hash_: str = "SHA-256", salt: bytes | None = None,
              iterations: int = MIN_ITERATIONS) -> ScramKeys:
    """The record a server stores for `password` (a fresh random salt unless one is given)."""
    hash_ = hash_name(hash_)
    salt = secrets.token_bytes(SALT_OCTETS) if salt is None else salt
    keys = ladder(hash_, normalize(password), salt, iterations)
    return ScramKeys(salt, iterations, keys.stored_key, keys.server_key)


def auth_message(client_first_bare: str, server_first: str, client_final_without_proof: str) -> bytes:
    """AuthMessage = client-first-bare "," server-first "," client-final-without-proof (RFC 5802 §3)."""
    return ",".join((client_first_bare, server_first, client_final_without_proof)).encode("utf-8")


def client_signature(hash_: str, stored_key: bytes, message: bytes) -> bytes:
    return _hmac(hash_, stored_key, message)


def client_proof(hash_: str, client_key: bytes, stored_key: bytes, message: bytes) -> bytes:
    """ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)."""
    return _xor(client_key, client_signature(hash_, stored_key, message))


def server_signature(hash_: str, server_key: bytes, message: bytes) -> bytes:
    """ServerSignature = HMAC(ServerKey, AuthMessage): proves the server knows ServerKey (mutual authentication)."""
    return _hmac(hash_, server_key, message)


def recover_client_key(hash_: str, stored_key: bytes, message: bytes, proof: bytes) -> bytes | None:
    """The server's check: ClientKey = ClientProof XOR ClientSignature; None if the proof has the wrong length."""
    if len(proof) != digest_size(hash_):
        return None
    return _xor(proof, client_signature(hash_, stored_key, message))


def stored_from_client_key(hash_: str, client_key: bytes) -> bytes:
    return _h(hash_, client_key)


# ---- teaching steps -------------------------------------------------------------------------------------

def ladder_steps(keys: Ladder, salt: bytes, iterations: int) -> list[Step]:
    """SaltedPassword, ClientKey, StoredKey, ServerKey as steps, values in base64 as RFC 5802 prints them."""
    params = {"hash": keys.hash, "iterations": iterations, "salt": b64encode(salt)}
    return [
        Step("scram.step.salted-password", b64encode(keys.salted_password), "scram.note.salted-password", params,
             secret=True),
        Step("scram.step.client-key", b64encode(keys.client_key), "scram.note.client-key", params, secret=True),
        Step("scram.step.stored-key", b64encode(keys.stored_key), "scram.note.stored-key", params),
        Step("scram.step.server-key", b64encode(keys.server_key), "scram.note.server-key", params),
    ]


def proof_steps(hash_: str, keys: Ladder, message: bytes) -> list[Step]:
    """AuthMessage, ClientSignature, ClientProof and ServerSignature, as the client computes them."""
    params = {"hash": hash_, "octets": len(message)}
    signature = client_signature(hash_, keys.stored_key, message)
    return [
        Step("scram.step.auth-message", message, "scram.note.auth-message", params),
        Step("scram.step.client-signature", b64encode(signature), "scram.note.client-signature", params),
        Step("scram.step.client-proof", b64encode(_xor(keys.client_key, signature)), "scram.note.client-proof",
             params),
        Step("scram.step.server-signature", b64encode(server_signature(hash_, keys.server_key, message)),
             "scram.note.server-signature", params),
    ]


def offline_attack_cost(iterations: int, hash_: str = "SHA-256") -> Step:
    """What a sniffer of one exchange can do: guess passwords offline, each guess costing `iterations` HMACs.

    Per guess: Hi() is `iterations` HMACs, then ClientKey (1 HMAC), StoredKey (1 hash) and ClientSignature
    (1 HMAC) to compare with the proof; CRAM-MD5 costs one HMAC-MD5 per guess.
    """
    hash_ = hash_name(hash_)
    hmacs = iterations + 2
    params = {"iterations": iterations, "hash": hash_, "hmacs": hmacs, "times_cram": hmacs}
    return Step("scram.step.offline-attack", f"{hmacs} HMAC-{hash_} per guess", "scram.note.offline-attack", params)
