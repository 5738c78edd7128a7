"""EHLO capabilities (RFC 5321 §4.1.1.1), with `AUTH mech...` and legacy `AUTH=mech...` merged (RFC 4954 §3)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.protocol.replies import Reply


@dataclass(frozen=True)
class Capabilities:
    """What a server advertised: its name line, the keywords with params, and the merged AUTH list."""

    domain: str = ""
    keywords: dict[str, str] = field(default_factory=dict)
    auth_mechanisms: tuple[str, ...] = ()
    legacy_auth_line: bool = False     # an `AUTH=...` line was present (for pre-RFC 2554 clients)
    standard_auth_line: bool = False   # an `AUTH ...` line was present

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
