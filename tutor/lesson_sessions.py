"""Opens the Session a lesson runs on: the built-in simulator set up as the lesson file says, or a live server.

This is the edge between the sans-IO course code and the transports; the CLI and the REPL both use it.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from tutor.course.model import Lesson
from tutor.session import Session
from tutor.sim.profiles import LESSON_MAX_AUTH_FAILURES

# A lesson is for trying things: a student who gets it wrong three times must not be thrown out by the
# RFC 4954 §9 rule the public profiles follow (three failed AUTH, then 421). Lessons allow far more
# (LESSON_MAX_AUTH_FAILURES, kept with the simulator's other limits); a 421 that still comes is explained
# (tutor.repl.lesson_commands) and `:lesson hint` reconnects.
LESSON_MAX_BAD_COMMANDS = 100


def lesson_profile(name: str) -> Any:
    """The simulator profile `name` with the lesson limits (the profile's own, if higher)."""
    from tutor.sim.server import get_profile

    profile = get_profile(name)
    failures = _at_least(profile.max_auth_failures, LESSON_MAX_AUTH_FAILURES)
    return dataclasses.replace(profile, max_auth_failures=failures,
                               max_bad_commands=max(profile.max_bad_commands, LESSON_MAX_BAD_COMMANDS))


def _at_least(limit: int, floor: int) -> int:
    """A profile's failed-login limit raised to the lesson floor; 0 (never close) stays 0."""
    return limit if limit == 0 else max(limit, floor)


def sim_server(lesson: Lesson) -> Any:
    """A SimServer with the lesson's profile (lesson limits), accounts, pinned challenge, seeded rng and clock."""
    from tutor.sim.accounts import Accounts
    from tutor.sim.server import SimServer

    sim = lesson.sim
    fixed_time = sim.clock
    clock = (lambda: float(fixed_time)) if fixed_time is not None else None
    return SimServer(lesson_profile(sim.profile), Accounts.from_specs(sim.accounts), rng=random.Random(sim.seed),
                     clock=clock, fixed_challenge=sim.challenge)


def sim_transport(lesson: Lesson) -> Any:
    """An in-memory transport to a fresh simulator set up for the lesson (its greeting waiting)."""
    from tutor.transport.memory import MemoryTransport

    return MemoryTransport(sim_server(lesson), lesson.sim.profile)


def sim_session(lesson: Lesson, annotator: Any = None, record: str | None = None) -> tuple[Session, list]:
    """A fresh simulator session for the lesson, and the items of its greeting; `record`: a JSON Lines file
    the transcript streams to (0600, credentials redacted), greeting included."""
    session = Session(sim_transport(lesson), annotator=annotator)
    if record:
        session.transcript.record_to(record, redact=True)
    return session, session.open()


def checkpoints(lesson: Lesson) -> dict:
    """Where the connection stands before each step when the solutions are played on a fresh simulator
    (tutor.course.recovery.checkpoints)."""
    from tutor.course import recovery

    session, _ = sim_session(lesson)
    try:
        return recovery.checkpoints(lesson, session)
    finally:
        session.close()


def live_transport(host: str, port: int, *, starttls: bool = False, tls: bool = False, insecure: bool = False,
                   cafile: str | None = None, timeout: float = 10.0) -> Any:
    """A connection to a real server through tutor.transport.tcp."""
    from tutor.transport import tcp

    return tcp.connect(host, port, starttls=starttls, tls=tls, insecure=insecure, cafile=cafile, timeout=timeout)


def live_session(host: str, port: int, *, annotator: Any = None, timeout: float = 10.0, record: str | None = None,
                 **options: Any) -> tuple[Session, list]:
    """A session on a real server, and the items of its greeting (options as for live_transport; `record` as for
    sim_session)."""
    session = Session(live_transport(host, port, timeout=timeout, **options), annotator=annotator, timeout=timeout)
    if record:
        session.transcript.record_to(record, redact=True)
    return session, session.open()
