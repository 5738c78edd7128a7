"""Recorded SCRAM exchanges against passwords: check one (`--password`) or a bounded word list (`--wordlist`).

The lesson of RFC 5802 §9: a listener who records client-first, server-first and client-final can test guesses
offline, but each guess runs the whole PBKDF2 (the iteration count), so the list is bounded by a work budget.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from tutor.errors import InputError
from tutor.sasl import scram
from tutor.sasl.scram_keys import auth_message, client_proof, hash_name, ladder, normalize
from tutor.sasl.scram_wire import b64decode
from tutor.trace.report import Attempt

BUDGET = 1 << 24        # PBKDF2 iterations per exchange (~4096 guesses at i=4096: seconds, not minutes)


class Exchange:
    """What a guess is tested against: salt, iteration count, AuthMessage and the proof the client sent."""

    def __init__(self, attempt: Attempt) -> None:
        first = scram.parse_message(attempt.scram["client-first"])
        server = scram.parse_message(attempt.scram["server-first"])
        final = scram.parse_message(attempt.scram["client-final"])
        self.hash = hash_name(attempt.mechanism)
        self.salt = b64decode(server["s"], "salt s=")
        self.iterations = int(server["i"])
        self.message = auth_message(first["bare"], attempt.scram["server-first"].decode("utf-8"),
                                    final["without-proof"])
        self.proof = b64decode(final["p"], "proof p=")

    def matches(self, password: bytes) -> bool:
        """Would this password have made the recorded proof? (RFC 5802 §3: ClientKey XOR ClientSignature)"""
        try:
            normalized = normalize(password.decode("utf-8"))
        except (UnicodeDecodeError, InputError):
            return False          # not UTF-8 or refused by SASLprep: no SCRAM client could have used it
        keys = ladder(self.hash, normalized, self.salt, self.iterations)
        return hmac.compare_digest(client_proof(self.hash, keys.client_key, keys.stored_key, self.message),
                                   self.proof)


def exchange(attempt: Attempt) -> Exchange | None:
    if not attempt.scram_crackable:
        return None
    try:
        return Exchange(attempt)
    except (InputError, KeyError, ValueError):
        return None


def try_words(found: Exchange, words: Iterable[bytes], budget: int | None = None) -> tuple[bytes | None, int, int]:
    """(the word that matches or None, words tried, words left untried because the budget ran out)."""
    limit = max(1, (BUDGET if budget is None else budget) // max(found.iterations, 1))
    tried = skipped = 0
    for word in words:
        if tried >= limit:
            skipped += 1
            continue
        tried += 1
        if found.matches(word):
            return word, tried, 0
    return None, tried, skipped


def apply(attempt: Attempt, password: str | None, words: Iterable[bytes] | None) -> None:
    """Fill in `cracked`, `crack_tried` and `crack_skipped` on a SCRAM attempt."""
    found = exchange(attempt)
    if found is None:
        return
    if password is not None:
        attempt.crack_tried += 1
        if found.matches(password.encode("utf-8")):
            attempt.cracked = password
            return
    if words is not None:
        word, tried, skipped = try_words(found, words)
        attempt.crack_tried += tried
        attempt.crack_skipped += skipped
        if word is not None:
            attempt.cracked = word.decode("utf-8", "replace")
