"""The Transport protocol every connection honours (memory, TCP, TLS), and the TLS facts it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tutor.errors import TransportError


class ReadTimeout(TransportError):
    """Nothing arrived within the time allowed; the connection may still be open."""


@dataclass(frozen=True)
class TlsInfo:
    """What a finished TLS handshake established, in words a learner can read.

    `subject`, `issuer` and `not_after` describe the server's certificate (empty when unknown);
    `discarded` counts clear-text octets thrown away before the handshake (RFC 3207 §4.2).
    """

    version: str
    cipher: str = ""
    verified: bool = False
    peer: str = ""
    simulated: bool = False
    subject: str = ""
    issuer: str = ""
    not_after: str = ""
    discarded: int = 0

    def summary(self) -> str:
        from tutor.explain import text

        parts = [self.version, self.cipher,
                 text("transport.tls.verified" if self.verified else "transport.tls.not-verified")]
        if self.subject:
            parts.append(text("transport.tls.subject", subject=self.subject))
        if self.issuer:
            key = "transport.tls.self-issued" if self.issuer == self.subject else "transport.tls.issuer"
            parts.append(text(key, issuer=self.issuer))
        if self.not_after:
            parts.append(text("transport.tls.expires", not_after=self.not_after))
        if self.simulated:
            parts.append(text("transport.tls.simulated"))
        return ", ".join(p for p in parts if p)


@runtime_checkable
class Transport(Protocol):
    """A byte pipe to an SMTP server. `receive` returns b"" once the peer closed and raises ReadTimeout
    when nothing arrived within `timeout` seconds (0 = only what is already there)."""

    description: str
    is_simulator: bool

    def send(self, data: bytes) -> None: ...

    def receive(self, timeout: float) -> bytes: ...

    def start_tls(self) -> TlsInfo | None: ...

    def close(self) -> None: ...

    def notes(self) -> list:
        """Server-side notes gathered since the last call (the simulator's reasoning); [] for real servers."""
        ...
