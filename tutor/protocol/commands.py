"""SMTP command lines: parse a client line into verb and argument, and build well-formed ones."""

from __future__ import annotations

import re

from tutor.protocol.record import Record, _set

# RFC 5321 §4.1.1 verbs, plus the extensions the tutor teaches (AUTH: RFC 4954, STARTTLS: RFC 3207).
VERBS = ("EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
         "AUTH", "STARTTLS")


class Command(Record):
    """A parsed client command; `verb` upper-cased (verbs are case-insensitive, RFC 5321 §2.4)."""

    __slots__ = ("verb", "argument", "raw")
    verb: str
    argument: str
    raw: bytes

    def __init__(self, verb: str, argument: str = "", raw: bytes = b"") -> None:
        _set(self, "verb", verb)
        _set(self, "argument", argument)
        _set(self, "raw", raw)

    @property
    def known(self) -> bool:
        return self.verb in VERBS


def parse(line: bytes) -> Command:
    """Split a line (without CRLF) into verb and argument. Never raises: unknown verbs are kept as typed."""
    text = line.decode("utf-8", "replace")
    verb, _, argument = text.strip().partition(" ")
    upper = verb.upper()
    return Command(upper, argument.strip(), bytes(line))


def build(verb: str, argument: str = "") -> bytes:
    """A command line with CRLF, e.g. build("AUTH", "PLAIN xyz")."""
    text = f"{verb} {argument}" if argument else verb
    return text.encode("utf-8") + b"\r\n"


_PATH = re.compile(r"^(FROM|TO):\s*<([^>]*)>\s*(.*)$", re.IGNORECASE)


class MailPath(Record):
    """`MAIL FROM:<path> params` or `RCPT TO:<path> params`."""

    __slots__ = ("keyword", "address", "params")
    keyword: str
    address: str
    params: dict[str, str]

    def __init__(self, keyword: str, address: str, params: dict[str, str]) -> None:
        _set(self, "keyword", keyword)
        _set(self, "address", address)
        _set(self, "params", params)


def parse_path(argument: str) -> MailPath | None:
    """Parse the argument of MAIL/RCPT; None when it is not `FROM:<...>` / `TO:<...>`."""
    match = _PATH.match(argument.strip())
    if not match:
        return None
    params: dict[str, str] = {}
    for item in match.group(3).split():
        key, _, value = item.partition("=")
        params[key.upper()] = value
    return MailPath(match.group(1).upper(), match.group(2), params)


class AuthCommand(Record):
    """`AUTH mechanism [initial-response]` (RFC 4954 §4)."""

    __slots__ = ("mechanism", "initial_response")
    mechanism: str
    initial_response: str | None

    def __init__(self, mechanism: str, initial_response: str | None) -> None:
        _set(self, "mechanism", mechanism)
        _set(self, "initial_response", initial_response)


def parse_auth(argument: str) -> AuthCommand | None:
    """Split an AUTH argument; the mechanism upper-cased (RFC 4954 §8: case-insensitive). None if empty."""
    parts = argument.split()
    if not parts:
        return None
    return AuthCommand(parts[0].upper(), parts[1] if len(parts) > 1 else None)
