"""SCRAM and OAuth bearer mechanisms in the simulator.

Stored SCRAM keys per account (built once, so the server really verifies without the password), salts and
nonces from the injected rng or the RFC examples, lab tokens, and the impostor profile's server that accepts
anything.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import random

from tutor.sasl import MECHANISMS, oauthbearer, tokens, xoauth2
from tutor.sasl.base import ServerMechanism
from tutor.sasl.scram_keys import SALT_OCTETS, hash_name
from tutor.sasl.scram_server import ScramServer
from tutor.sim.accounts import Accounts
from tutor.sim.profiles import Profile

# RFC 5802 §5 (SHA-1) and RFC 7677 §3 (SHA-256) examples: the salt and the server's part of the nonce, so the
# `fixed-scram` profile with the account user:pencil replays them byte for byte.
RFC_SALT = {"SHA-1": binascii.a2b_base64("QSXCR+Q6sek8bf92"),
            "SHA-256": binascii.a2b_base64("W22ZaJ0SNY7soEsUEjb6gQ==")}
RFC_S_NONCE = {"SHA-1": "3rfcNHYJY1ZVvWVs7j", "SHA-256": "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"}


_URL_SAFE = str.maketrans("+/", "-_")


def nonce_from(rng: random.Random) -> str:
    """A server nonce from the rng: 24 base64url characters (printable, no comma: RFC 5802 §7)."""
    text = binascii.b2a_base64(rng.randbytes(18), newline=False).decode("ascii")
    return text.translate(_URL_SAFE)



def _any_token(user: str, token: str) -> bool:
    """The impostor profile's check: a fake server takes any token (and keeps it)."""
    return True

class ScramBearerMechanisms:
    """Makes the server side of SCRAM-SHA-1/256, XOAUTH2 and OAUTHBEARER for one simulated session."""

    def __init__(self, profile: Profile, accounts: Accounts, rng: random.Random) -> None:
        self._profile, self._accounts, self._rng = profile, accounts, rng
        self._fixed = profile.scram == "fixed"

    def server(self, name: str) -> ServerMechanism | None:
        """The server mechanism for `name`, or None when the registry's default will do."""
        family = MECHANISMS[name].family if name in MECHANISMS else ""
        if family == "scram":
            return self._scram(hash_name(name))
        if family == "bearer":
            return self._bearer(name)
        return None

    def _scram(self, hash_: str) -> ScramServer:
        iterations = self._profile.scram_iterations
        s_nonce = RFC_S_NONCE[hash_] if self._fixed else nonce_from(self._rng)

        def stored(user: str):
            if self._profile.impostor:
                return None          # a fake server knows no one's keys: it makes some up and signs v= with them
            return self._accounts.scram_keys(user, hash_, self._profile.scram, lambda: self._salt(hash_), iterations)

        return ScramServer(None, hash_, s_nonce, self._unknown_salt(hash_), iterations, stored=stored,
                           accept_any=self._profile.impostor)

    def _salt(self, hash_: str) -> bytes:
        return RFC_SALT[hash_] if self._fixed else self._rng.randbytes(SALT_OCTETS)

    def _unknown_salt(self, hash_: str):
        """user -> a made-up salt for users that do not exist: the same for the same name on every connection,
        different between names (as real salts are), so probing reveals nothing."""
        if self._fixed:
            return RFC_SALT[hash_]
        secret = self._accounts.server_secret(lambda: self._rng.randbytes(16))
        return lambda user: hmac.new(secret, f"{hash_}:{user}".encode(), hashlib.sha256).digest()[:SALT_OCTETS]

    def _bearer(self, name: str) -> ServerMechanism:
        check = _any_token if self._profile.impostor else tokens.checker(self._accounts.lookup)
        server = xoauth2.XOauth2Server if name == "XOAUTH2" else oauthbearer.OAuthBearerServer
        return server(check)
