"""What the transports need of the sans-IO server they carry (the simulator), as Protocols: no sim import here.

The caller builds the server (tutor.sim.SimServer) and hands the transport a factory; the transport only feeds
it bytes and events and writes out what it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from tutor.protocol.states import State


class OutputLine(Protocol):
    """One line of the server's transcript (tutor.sim.output.TranscriptLine)."""

    direction: str
    text: str
    masked: str | None

    def shown(self, show_secrets: bool = False) -> str: ...


class ServerOutput(Protocol):
    """What one event produced (tutor.sim.output.Output): bytes to send, notes, and what to do next."""

    data: bytes
    notes: Sequence[Any]
    close: bool
    start_tls: bool
    transcript: Sequence[OutputLine]
    client: Sequence[Any]     # a summarising server's client lines as received (bytes, or a text standing in)
    secret: int               # ...and a bit for each that carries a credential


class ServerEngine(Protocol):
    """A sans-IO SMTP server driven by events (tutor.sim.server.SimServer)."""

    explaining: bool     # False: the server may skip its notes and transcript (nothing reads them)

    @property
    def state(self) -> State: ...

    def connect(self) -> ServerOutput: ...
    def receive(self, data: bytes) -> ServerOutput: ...
    def tls_established(self) -> ServerOutput: ...
    def timeout(self) -> ServerOutput: ...
    def shutdown(self) -> ServerOutput: ...
    def busy(self) -> ServerOutput: ...


# (tls_available) -> a fresh server for one `serve` connection
EngineFactory = Callable[[bool], ServerEngine]
