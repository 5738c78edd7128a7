"""The settings of `smtp-tutor serve` and their defaults: one source of truth for the CLI, the server and the docs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # the CLI reads the defaults here; ssl is not imported for that
    import ssl

Log = Callable[[str], None]

# Limits (docs/SECURITY.md lists each with its default; the CLI options override the ones a teacher may tune).
MAX_CLIENTS = 100             # concurrent sessions in all
MAX_PER_IP = 20               # concurrent sessions from one address (a class behind one NAT shares one)
IDLE_TIMEOUT = 300.0          # RFC 5321 §4.5.3.2.7: a server SHOULD wait at least 5 minutes for a command
SESSION_LIFETIME = 600.0      # a session's maximum length, however active it is (slowloris)
HANDSHAKE_TIMEOUT = 30.0      # a TLS handshake (STARTTLS or implicit TLS)
AUTH_FAILURE_DELAY = 2.0      # before each 535 (Dovecot delays its first auth failure reply 2 seconds)
CLOSE_GRACE = 10.0            # after a close, time for unsent replies to drain before the connection is dropped
WRITE_HIGH_WATER = 64 * 1024  # unsent reply bytes at which a session stops reading its client
WRITE_LOW_WATER = 16 * 1024   # ... and resumes once the client has read down to this


@dataclass(frozen=True)
class ServeConfig:
    """Where and how to listen, and the limits. `log` gets one line at a time; None is quiet."""

    host: str = "127.0.0.1"
    port: int = 2525
    implicit_tls_port: int | None = None
    tls: ssl.SSLContext | None = None
    max_clients: int = MAX_CLIENTS
    idle_timeout: float = IDLE_TIMEOUT
    handshake_timeout: float = HANDSHAKE_TIMEOUT
    show_secrets: bool = False
    log: Log | None = print
    record: Any = None                   # a tutor.transcript.Recorder: every session as JSON Lines
    target: str = "serve"                # the recorded sessions' target name
    watch: Any = None                    # a tutor.classroom.feed.Feed: every session's events (the classroom view)
    max_per_ip: int = MAX_PER_IP
    session_lifetime: float = SESSION_LIFETIME
    auth_failure_delay: float = AUTH_FAILURE_DELAY
    close_grace: float = CLOSE_GRACE
    write_high_water: int = WRITE_HIGH_WATER
    write_low_water: int = WRITE_LOW_WATER


def explained(config) -> bool:
    """Whether anything reads the simulator's notes and transcript: a log, a recording or a classroom view."""
    return config.log is not None or config.record is not None or getattr(config, "watch", None) is not None


def summary_notes(config) -> frozenset[str] | None:
    """The note keys a classroom view reads, when it is the only reader (no log, no record): the simulator then
    makes only those and the client's lines. None: make everything (or nothing, see explained)."""
    if config.log is not None or config.record is not None:
        return None
    return getattr(getattr(config, "watch", None), "notes", None)
