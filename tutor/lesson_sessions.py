"""Opens the Session a lesson runs on: the built-in simulator set up as the lesson file says, or a live server.

This is the edge between the sans-IO course code and the transports; the CLI and the REPL both use it.
"""

from __future__ import annotations

import random
from typing import Any

from tutor.course.model import Lesson
from tutor.errors import InputError, TransportError
from tutor.session import Session


def sim_server(lesson: Lesson) -> Any:
    """A SimServer with the lesson's profile, accounts, pinned challenge, seeded rng and pinned clock."""
    from tutor.sim.accounts import Accounts
    from tutor.sim.server import SimServer

    sim = lesson.sim
    clock = (lambda: float(sim.clock)) if sim.clock is not None else None
    return SimServer(sim.profile, Accounts.from_specs(sim.accounts), rng=random.Random(sim.seed), clock=clock,
                     fixed_challenge=sim.challenge)


def sim_transport(lesson: Lesson) -> Any:
    """An in-memory transport to a fresh simulator set up for the lesson (its greeting waiting)."""
    from tutor.transport.memory import MemoryTransport

    return MemoryTransport(sim_server(lesson), lesson.sim.profile)


def sim_session(lesson: Lesson, annotator: Any = None) -> tuple[Session, list]:
    """A fresh simulator session for the lesson, and the items of its greeting."""
    session = Session(sim_transport(lesson), annotator=annotator)
    return session, session.open()


def parse_target(text: str, default_port: int) -> tuple[str, int]:
    """`HOST`, `HOST:PORT` or `[v6]:PORT` to (host, port)."""
    host, port = text.strip(), default_port
    if host.startswith("["):
        inside, _, rest = host[1:].partition("]")
        host, port_text = inside, rest.removeprefix(":")
    elif host.count(":") == 1:
        host, _, port_text = host.partition(":")
    else:
        port_text = ""
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InputError(f"--connect wants HOST or HOST:PORT, got {text!r}")
        port = int(port_text)
    if not host:
        raise InputError(f"--connect wants HOST or HOST:PORT, got {text!r}")
    return host, port


def live_transport(host: str, port: int, *, starttls: bool = False, tls: bool = False, insecure: bool = False,
                   cafile: str | None = None, timeout: float = 10.0) -> Any:
    """A connection to a real server through tutor.transport.tcp."""
    try:
        from tutor.transport import tcp
    except ModuleNotFoundError as exc:
        if exc.name != "tutor.transport.tcp":
            raise
        raise TransportError("live servers need the TCP transport (tutor.transport.tcp), "
                             "which this build does not have yet") from None
    return tcp.connect(host, port, starttls=starttls, tls=tls, insecure=insecure, cafile=cafile, timeout=timeout)


def live_session(host: str, port: int, *, annotator: Any = None, timeout: float = 10.0,
                 **options: Any) -> tuple[Session, list]:
    """A session on a real server, and the items of its greeting (options as for live_transport)."""
    session = Session(live_transport(host, port, timeout=timeout, **options), annotator=annotator, timeout=timeout)
    return session, session.open()
