"""The in-memory transport: the built-in simulator called directly, synchronously; nothing ever blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tutor import explain
from tutor.errors import TransportError
from tutor.transport.base import ReadTimeout, TlsInfo

# What the pretend handshake reports: nothing is encrypted in memory, and the TlsInfo says so.
SIM_TLS = TlsInfo("TLSv1.3", "TLS_AES_256_GCM_SHA384", verified=True, peer="sim (lab certificate)", simulated=True)


class MemoryTransport:
    """A Transport over a SimServer object: `send` hands it the bytes, its output waits in an inbox."""

    is_simulator = True

    def __init__(self, server: Any, profile: str) -> None:
        self.server = server
        self.profile = profile
        self.description = f"sim:{profile}"
        self._inbox = bytearray()
        self._notes: list = []
        self._peer_closed = False
        self._closed = False
        self._tls_ready = False
        self._take(server.connect())

    def _take(self, out: Any) -> None:
        if out is None:
            return
        self._inbox += out.data
        self._notes.extend(out.notes)
        self._peer_closed = self._peer_closed or bool(out.close)
        self._tls_ready = self._tls_ready or bool(out.start_tls)

    def send(self, data: bytes) -> None:
        if self._closed or self._peer_closed:
            raise TransportError(explain.text("transport.error.closed"))
        self._take(self.server.receive(data))

    def receive(self, timeout: float = 0.0) -> bytes:
        """Everything the simulator has said so far; b"" once it closed; ReadTimeout if it said nothing."""
        if self._inbox:
            data = bytes(self._inbox)
            self._inbox.clear()
            return data
        if self._peer_closed or self._closed:
            return b""
        raise ReadTimeout("the simulator sent nothing more")

    def start_tls(self) -> TlsInfo:
        """Pretend the handshake (RFC 3207): the simulator switches to its TLS state; no bytes are encrypted."""
        if not self._tls_ready:
            raise TransportError(explain.text("transport.error.no-handshake-due"))
        self._tls_ready = False
        self._inbox.clear()   # RFC 3207 §4.2: nothing received before the handshake may be used
        self._take(self.server.tls_established())
        return SIM_TLS

    def close(self) -> None:
        self._closed = True

    def notes(self) -> list:
        out, self._notes = self._notes, []
        return out


def connect(make_server: Callable[..., Any], profile: str = "lab", accounts: Any = None,
            **options: Any) -> MemoryTransport:
    """A fresh server `make_server(profile, accounts, **options)` (the caller's tutor.sim.SimServer), greeting
    already waiting in the inbox."""
    return MemoryTransport(make_server(profile, accounts, **options), profile)
