"""The Transport protocol every connection honours (memory, TCP, TLS), and the TLS facts it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tutor.errors import TransportError


class ReadTimeout(TransportError):
    """Nothing arrived within the time allowed; the connection may still be open."""


@dataclass(frozen=True)
class TlsInfo:
    """What a finished TLS handshake established, in words a learner can read."""

    version: str
    cipher: str = ""
    verified: bool = False
    peer: str = ""
    simulated: bool = False

    def summary(self) -> str:
        parts = [self.version, self.cipher, "certificate verified" if self.verified else "certificate NOT verified"]
        if self.simulated:
            parts.append("simulated: no real encryption in memory")
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
