"""CRAM-MD5 challenges for the simulator: fresh ones from an injectable rng and clock, a fixed one, a glitchy one.

RFC 2195 §2: the challenge is "a presumptively arbitrary string of random digits, a timestamp, and the
fully-qualified primary host name of the server", in the form of an RFC 822 msg-id: `<digits.timestamp@host>`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tutor.sasl import cram_md5

RFC2195_CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"   # RFC 2195 §2 example
ARTICLE_JUNK = b"\nZ\x02"   # the stray bytes before '>' in the 2002 article's challenge

ChallengeFactory = Callable[[], bytes]


def fresh(rng: random.Random, clock: Callable[[], float], host: str) -> bytes:
    """`<digits.timestamp@host>`: digits from `rng.randrange(1000, 10**10)`, the clock in Unix seconds."""
    return cram_md5.make_challenge(str(rng.randrange(1000, 10**10)), int(clock()), host)


def glitchy(challenge: bytes, junk: bytes = ARTICLE_JUNK) -> bytes:
    """The challenge with `junk` inserted before its closing '>', as the article's server sent it."""
    body = challenge[:-1] if challenge.endswith(b">") else challenge
    return body + junk + b">"


def factory(kind: str, *, rng: random.Random, clock: Callable[[], float], host: str,
            fixed: bytes | None = None) -> ChallengeFactory:
    """A challenge factory for a profile's `challenge` kind ("random", "fixed", "glitchy").

    `fixed` pins the base challenge for any kind (`serve --fixed-challenge`); "fixed" without it is RFC 2195's.
    """
    if kind not in ("random", "fixed", "glitchy"):
        raise ValueError(f"unknown challenge kind {kind!r}")
    if fixed is None and kind == "fixed":
        fixed = RFC2195_CHALLENGE

    def base() -> bytes:
        return fixed if fixed is not None else fresh(rng, clock, host)

    if kind == "glitchy":
        return lambda: glitchy(base())
    return base
