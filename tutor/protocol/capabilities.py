"""EHLO capabilities (RFC 5321 §4.1.1.1), with `AUTH mech...` and legacy `AUTH=mech...` merged (RFC 4954 §3)."""

from __future__ import annotations

from tutor.protocol.record import Record, _set
from tutor.protocol.replies import Reply


class Capabilities(Record):
    """What a server advertised: its name line, the keywords with params, and the merged AUTH list."""

    __slots__ = ("domain", "keywords", "auth_mechanisms", "legacy_auth_line", "standard_auth_line")
    domain: str
    keywords: dict[str, str]
    auth_mechanisms: tuple[str, ...]
    legacy_auth_line: bool     # an `AUTH=...` line was present (for pre-RFC 2554 clients)
    standard_auth_line: bool   # an `AUTH ...` line was present

    def __init__(self, domain: str = "", keywords: dict[str, str] | None = None, auth_mechanisms: tuple[str, ...] = (),
                 legacy_auth_line: bool = False, standard_auth_line: bool = False) -> None:
        _set(self, "domain", domain)
        _set(self, "keywords", {} if keywords is None else keywords)
        _set(self, "auth_mechanisms", auth_mechanisms)
        _set(self, "legacy_auth_line", legacy_auth_line)
        _set(self, "standard_auth_line", standard_auth_line)

    def supports(self, keyword: str) -> bool:
        return keyword.upper() in self.keywords

    def offers(self, mechanism: str) -> bool:
        return mechanism.upper() in self.auth_mechanisms


def parse(reply: Reply) -> Capabilities:
    """Read an EHLO 250 reply. Keywords and mechanism names are case-insensitive (RFC 4954 §8)."""
    if not reply.lines:
        return Capabilities()
    domain = reply.lines[0].split(" ", 1)[0]
    keywords: dict[str, str] = {}
    mechanisms: list[str] = []
    legacy = standard = False
    for line in reply.lines[1:]:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[:5].upper() == "AUTH=":
            legacy = True
            names = stripped[5:].split()
        else:
            keyword, _, params = stripped.partition(" ")
            keywords[keyword.upper()] = params.strip()
            if keyword.upper() != "AUTH":
                continue
            standard = True
            names = params.split()
        mechanisms.extend(n.upper() for n in names if n.upper() not in mechanisms)
    if legacy and "AUTH" not in keywords:
        keywords["AUTH"] = " ".join(mechanisms)
    return Capabilities(domain, keywords, tuple(dict.fromkeys(mechanisms)), legacy, standard)
