"""CRAM-MD5 (and, through tutor.trace.crack_scram, SCRAM) exchanges against passwords: check one (`--password`), try a
word list (`--wordlist`), or print the exchange for hashcat mode 10200 / John the Ripper jumbo's HMAC-MD5 format
(`$cram_md5$<b64 challenge>$<b64 response>`).

The point is the lesson of draft-ietf-sasl-crammd5 §5: anyone who records the challenge and the response can
test passwords offline, as fast as HMAC-MD5 runs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator

from tutor.errors import InputError
from tutor.protocol import b64
from tutor.sasl import cram_md5
from tutor.trace.report import Attempt


def _parts(attempt: Attempt) -> tuple[bytes, str] | None:
    """(challenge, lower-case hex digest) of a complete exchange, or None."""
    if attempt.challenge is None or attempt.response is None:
        return None
    try:
        parsed = cram_md5.parse_response(attempt.response)
    except InputError:
        return None
    return attempt.challenge, parsed.digest.lower()


def verify(attempt: Attempt, password: bytes) -> bool:
    """Does this password give the captured digest? (HMAC-MD5 over the exact challenge octets, RFC 2195 §2)."""
    parts = _parts(attempt)
    if parts is None:
        return False
    challenge, digest = parts
    return hmac.compare_digest(cram_md5.digest(password, challenge), digest)


def try_words(attempt: Attempt, words: Iterable[bytes]) -> tuple[bytes | None, int]:
    """The first word that matches and how many were tried."""
    parts = _parts(attempt)
    if parts is None:
        return None, 0
    challenge, digest = parts
    tried = 0
    new, md5 = hmac.new, hashlib.md5
    for word in words:
        tried += 1
        if new(word, challenge, md5).hexdigest() == digest:
            return word, tried
    return None, tried


def wordlist(path: str) -> Iterator[bytes]:
    """Words from a file, one a line (LF or CRLF), read as bytes so any encoding is tried as it is."""
    try:
        with open(path, "rb") as handle:
            for line in handle:
                yield line.rstrip(b"\r\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the word list: {exc.strerror or exc}") from None


def apply(attempt: Attempt, password: str | None = None, wordlist_path: str | None = None) -> None:
    """Fill in `cracked` / `crack_tried` on a CRAM-MD5 attempt (SCRAM ones: tutor.trace.crack_scram)."""
    if attempt.scram_crackable:
        from tutor.trace import crack_scram
        words = wordlist(wordlist_path) if wordlist_path is not None else None
        crack_scram.apply(attempt, password, words)
        return
    if attempt.exchange:
        from tutor.trace import crack_digest, crack_ntlm
        words = wordlist(wordlist_path) if wordlist_path is not None else None
        module = crack_ntlm if attempt.mechanism == "NTLM" else crack_digest
        module.apply(attempt, password, words)
        return
    if not attempt.crackable:
        return
    if password is not None:
        attempt.crack_tried += 1
        if verify(attempt, password.encode("utf-8")):
            attempt.cracked = password
            return
    if wordlist_path is not None:
        found, tried = try_words(attempt, wordlist(wordlist_path))
        attempt.crack_tried += tried
        if found is not None:
            attempt.cracked = found.decode("utf-8", "replace")


def hashcat_line(attempt: Attempt) -> str | None:
    """`$cram_md5$<base64 challenge>$<base64 "user digest">` (hashcat -m 10200; John the Ripper jumbo:
    --format=hmac-md5); DIGEST-MD5: John the Ripper's dmd5 line (tutor.trace.crack_digest); NTLM: hashcat 5500/5600
    (crack_ntlm)."""
    if attempt.exchange:
        from tutor.trace import crack_digest, crack_ntlm
        return crack_ntlm.hashcat_line(attempt) if attempt.mechanism == "NTLM" else crack_digest.john_line(attempt)
    if not attempt.crackable or attempt.challenge is None or attempt.response is None:
        return None
    return f"$cram_md5${b64.encode(attempt.challenge)}${b64.encode(attempt.response)}"
