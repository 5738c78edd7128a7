"""A tiny deterministic lab token issuer for XOAUTH2/OAUTHBEARER in the simulator: HMAC of the user, no network."""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Callable

from tutor.errors import InputError
from tutor.sasl.base import SecretLookup

LAB_KEY = b"smtp-auth-tutor lab token key"   # public on purpose: lab tokens protect nothing real
PREFIX = "lab-"
LENGTH = 32                                  # base64url characters kept after the prefix (192 bits)


def _key(secret_key: bytes | str) -> bytes:
    return secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key


def issue(user: str, secret_key: bytes | str = LAB_KEY) -> str:
    """`lab-` + base64url(HMAC-SHA256(key, user)) cut to 32 characters: the same user and key give the same token."""
    if not user:
        raise InputError("a lab token is issued to a user: give a user name")
    mac = hmac.new(_key(secret_key), user.encode("utf-8"), hashlib.sha256).digest()
    text = binascii.b2a_base64(mac, newline=False).decode("ascii")
    return PREFIX + text.translate(str.maketrans("+/", "-_")).rstrip("=")[:LENGTH]


def check(user: str, token: str, secret_key: bytes | str = LAB_KEY) -> bool:
    """Is `token` the lab token for `user` under `secret_key`? (constant-time comparison)"""
    return hmac.compare_digest(issue(user, secret_key).encode("utf-8"), token.encode("utf-8"))


def checker(lookup: SecretLookup | None = None, secret_key: bytes | str = LAB_KEY) -> Callable[[str, str], bool]:
    """A token check for the bearer servers: the user exists (if `lookup` is given) and the token is theirs."""
    def token_check(user: str, token: str) -> bool:
        if lookup is not None and lookup(user) is None:
            return False
        return check(user, token, secret_key)
    return token_check
