"""Pure helpers for live targets: parse HOST[:PORT] (IPv6 in brackets), default ports (465: RFC 8314, 587: RFC 6409,
25: RFC 5321), loopback test."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from tutor import explain
from tutor.errors import InputError

# RFC 8314 §3.3 (implicit TLS on 465), RFC 6409 §3.1 (submission on 587), RFC 5321 §4.5.4.2 (relay on 25).
PORT_SMTP, PORT_SUBMISSION, PORT_SUBMISSIONS = 25, 587, 465


@dataclass(frozen=True)
class Address:
    """Where to connect: a host name or IP literal (no brackets) and a port."""

    host: str
    port: int

    def __str__(self) -> str:
        return join(self.host, self.port)


def default_port(*, starttls: bool = False, tls: bool = False) -> int:
    """465 with implicit TLS, 587 with STARTTLS, else 25."""
    if tls:
        return PORT_SUBMISSIONS
    return PORT_SUBMISSION if starttls else PORT_SMTP


def parse(target: str, *, starttls: bool = False, tls: bool = False) -> Address:
    """`host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal; InputError (one line) otherwise."""
    text = target.strip()
    if "://" in text:
        raise _bad(target, "url")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise _bad(target, "brackets")
        port_text = rest[1:] if rest else None
        if not _is_ipv6(host):
            raise _bad(target, "not-ipv6")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    elif text.count(":") > 1:
        if not _is_ipv6(text):
            raise _bad(target, "brackets")
        host, port_text = text, None
    else:
        host, port_text = text, None
    if not host or any(c.isspace() or c in "/@" for c in host):
        raise _bad(target, "host")
    port = _port(port_text, target) if port_text is not None else default_port(starttls=starttls, tls=tls)
    return Address(host, port)


def _port(text: str, target: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise _bad(target, "port")
    return int(text)


def _bad(target: str, why: str) -> InputError:
    return InputError(explain.text("transport.target.bad", target=target, why=explain.text(f"transport.target.{why}")))


def _is_ipv6(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text.partition("%")[0]), ipaddress.IPv6Address)
    except ValueError:
        return False


def join(host: str, port: int) -> str:
    """`host:port`, with brackets around an IPv6 literal (RFC 3986 §3.2.2)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback(host: str) -> bool:
    """True for localhost names (RFC 6761 §6.3) and loopback addresses (127/8, ::1, ::ffff:127.x)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
