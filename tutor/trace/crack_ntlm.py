"""Recorded NTLM exchanges: hashcat lines (5500 NetNTLMv1, 5600 NetNTLMv2) and NTLMv2 `--password`/`--wordlist`.

NTLMv1 guesses need DES, which the standard library lacks: NTLMv1 is exported for hashcat, not checked here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from tutor.sasl import ntlm
from tutor.trace.report import Attempt


def hashcat_line(attempt: Attempt) -> str | None:
    line = attempt.exchange.get("hashcat")
    return line if isinstance(line, str) else None


def apply(attempt: Attempt, password: str | None, words: Iterable[bytes] | None) -> None:
    """Fill in `cracked` / `crack_tried` on an NTLMv2 exchange (one MD4 and two HMAC-MD5 per guess)."""
    raw, challenge = attempt.exchange.get("raw"), attempt.exchange.get("challenge")
    if not isinstance(raw, dict) or not isinstance(challenge, bytes) or raw.get("version") != "NTLMv2":
        return
    guesses = itertools.chain([password] if password is not None else [],
                              (w.decode("utf-8", "replace") for w in words or ()))
    for guess in guesses:
        attempt.crack_tried += 1
        if ntlm.v2_matches(guess, raw["user"], raw["domain"], challenge, raw["nt_response"]):
            attempt.cracked = guess
            return
