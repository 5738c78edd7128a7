"""Which program a session most likely came from, guessed from its EHLO name and its behaviour (a guess:
any client can say anything; the words are under classroom.client.* in tutor/data/classroom.toml)."""

from __future__ import annotations

import re
from dataclasses import dataclass

HAND_PAUSE = 2.0     # seconds between two client lines that no program waits: someone is typing
# EHLO names some programs always send
FIXED_NAMES = {"openssl.client.net": "openssl", "null": "curl", "localhost.localdomain": "perl", "localhost": "msmtp"}
_IP_LITERAL = re.compile(r"^\[[0-9A-Fa-f:.]+\]$|^\[IPv6:[0-9A-Fa-f:.]+\]$")


@dataclass(slots=True)
class Behaviour:
    """What the guess looks at; the session model fills it in as lines arrive."""

    ehlo: str = ""                 # the name after the first EHLO/HELO
    verb: str = ""                 # that verb as typed (smtplib sends it in lower case)
    first_auth: str = ""           # "PLAIN-ir" (initial response on the AUTH line), "PLAIN", "LOGIN"...
    bare_lf: bool = False
    slow: bool = False             # a pause of HAND_PAUSE or more between two client lines
    last_client: float | None = None


def guess(seen: Behaviour) -> str:
    """A key under classroom.client.* ("unknown" shows the EHLO name; "none" before any EHLO)."""
    if seen.bare_lf or seen.slow:
        return "by-hand"
    if not seen.verb:
        return "none"
    name = seen.ehlo
    if seen.verb.islower():                      # smtplib: ehlo/helo/mail/rcpt/quit in lower case
        return "smtplib"
    if name in FIXED_NAMES:
        return FIXED_NAMES[name]
    if _IP_LITERAL.match(name):                 # the IP literal: gsasl answers PLAIN's 334, Thunderbird sends it inline
        return "gsasl" if seen.first_auth == "PLAIN" else "thunderbird"
    if name and "." not in name and not name.startswith("["):
        return "swaks"                           # swaks says EHLO with the machine's short host name
    return "unknown"
