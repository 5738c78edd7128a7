"""Recorded DIGEST-MD5 exchanges against passwords (`--password`, `--wordlist`) and John the Ripper's dmd5 line.

John the Ripper jumbo's dmd5 format (src/DMD5_fmt_plug.c) reads
`$DIGEST-MD5$username$realm$nonce$digest_uri$cnonce$nc$qop$response[$authzid]`; hashcat has no mode for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from tutor.sasl import digest_md5
from tutor.trace.report import Attempt

JOHN_FIELDS = ("username", "realm", "nonce", "digest-uri", "cnonce", "nc", "qop", "response")


def _fields(attempt: Attempt) -> dict | None:
    fields = attempt.exchange.get("response") if attempt.mechanism == "DIGEST-MD5" else None
    return fields if isinstance(fields, dict) else None


def apply(attempt: Attempt, password: str | None, words: Iterable[bytes] | None) -> None:
    """Fill in `cracked` / `crack_tried`: one MD5 chain per guess (RFC 2831 §2.1.2.1), as fast as MD5 runs."""
    fields = _fields(attempt)
    if fields is None:
        return
    for word in itertools.chain([password.encode("utf-8")] if password is not None else [], words or ()):
        attempt.crack_tried += 1
        if digest_md5.matches(fields, word):
            attempt.cracked = word.decode("utf-8", "replace")
            _check_rspauth(attempt, fields, word)
            return


def _check_rspauth(attempt: Attempt, fields: dict, password: bytes) -> None:
    """With the password known, is the server's rspauth right (RFC 2831 §2.1.3)? Kept as "rspauth_ok"."""
    recorded = attempt.exchange.get("rspauth")
    if isinstance(recorded, str):
        attempt.exchange["rspauth_ok"] = digest_md5.rspauth_value(fields, password) == recorded.lower()


def john_line(attempt: Attempt) -> str | None:
    """The exchange as John the Ripper jumbo's dmd5 line; None when incomplete or a field holds a `$`."""
    fields = _fields(attempt)
    if fields is None:
        return None
    values = [fields.get(name, "") for name in JOHN_FIELDS]
    if fields.get("authzid"):
        values.append(fields["authzid"])
    if any("$" in v or "\n" in v for v in values):
        return None                          # the format has no escape for its separator
    return "$DIGEST-MD5$" + "$".join(values)
