"""The sessions' time limits as one sweep (tutor.transport.serve_clock), and sessions that leave no garbage cycles."""

from __future__ import annotations

import asyncio
import base64
import gc

from tutor.sim.server import SimServer
from tutor.transport.serve_clock import MAX_INTERVAL, MIN_INTERVAL, SessionClock, interval_for


def test_the_interval_is_a_tenth_of_the_shorter_limit_within_bounds():
    assert interval_for(300.0, 600.0) == MAX_INTERVAL      # the defaults: a limit is met at most a second late
    assert interval_for(0.3, 600.0) == 0.03
    assert interval_for(600.0, 0.5) == 0.05
    assert interval_for(0.001, 600.0) == MIN_INTERVAL


class Timed:
    def __init__(self) -> None:
        self.checked: list[float] = []

    def check_time(self, now: float) -> None:
        self.checked.append(now)


async def _wait(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def test_the_clock_checks_every_live_session_and_stops_when_there_are_none():
    async def scenario() -> None:
        sessions = {Timed(), Timed()}
        clock = SessionClock(asyncio.get_running_loop(), lambda: sessions, 0.01)
        clock.start()
        clock.start()   # already sweeping: still one sweep at a time
        await _wait(lambda: all(len(s.checked) >= 2 for s in sessions))
        first, second = (sorted(s.checked) for s in sessions)
        assert first == second   # one sweep checks them all at the same time
        sessions.clear()
        await _wait(lambda: clock._handle is None)   # nothing left: the sweeping stops
        clock.start()
        clock.stop()
        assert clock._handle is None

    asyncio.run(scenario())


def test_a_finished_session_leaves_no_reference_cycle():
    """A session's objects are freed when it ends (no SimServer <-> AUTH side cycle for the collector to find)."""
    plain = b"AUTH PLAIN " + base64.b64encode(b"\0tim\0tanstaaftanstaaf") + b"\r\n"

    def session() -> None:
        server = SimServer("lab", starttls=False)
        server.explaining = False
        server.connect()
        for line in (b"EHLO a\r\n", plain, b"MAIL FROM:<a@b>\r\n", b"RSET\r\n", b"AUTH LOGIN\r\n", b"QUIT\r\n"):
            server.receive(line)

    session()   # first use: imports, caches
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(10):
            session()
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
