"""The time limits of `serve`'s sessions (idle time, maximum length): one sweep over the live sessions, not a
timer each.

A timer per session costs a heap push when it connects and a cancelled handle left in the event loop's heap when
it ends, for every one of thousands of short sessions a second; a sweep every `interval` seconds checks all the
live ones at once. A limit is then met up to one interval late (a tenth of the shorter limit, at most a second),
which no limit here needs to be more exact than (RFC 5321 §4.5.3.2.7: a server SHOULD wait at least 5 minutes
for a command). TLS handshakes keep asyncio's own timeout, and a closing session its own grace timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Protocol

MAX_INTERVAL = 1.0     # seconds between two sweeps, at most
MIN_INTERVAL = 0.01    # ... and at least


class Timed(Protocol):
    """A session the clock looks after (tutor.transport.serve_session.SessionProtocol)."""

    def check_time(self, now: float) -> None: ...


def interval_for(idle_timeout: float, session_lifetime: float) -> float:
    """Seconds between sweeps: a tenth of the shorter limit, within MIN_INTERVAL..MAX_INTERVAL."""
    return min(MAX_INTERVAL, max(MIN_INTERVAL, min(idle_timeout, session_lifetime) / 10))


class SessionClock:
    """Runs `check_time(now)` on every live session every `interval` seconds, while there are any."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sessions: Callable[[], Collection[Timed]],
                 interval: float) -> None:
        self._loop, self._sessions, self.interval = loop, sessions, interval
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Sweep from now on (a session has opened); nothing if already sweeping."""
        if self._handle is None:
            self._handle = self._loop.call_later(self.interval, self._sweep)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _sweep(self) -> None:
        self._handle = None
        sessions = self._sessions()
        if not sessions:
            return   # the next session to open starts the clock again
        now = self._loop.time()
        for session in list(sessions):
            session.check_time(now)
        self.start()
