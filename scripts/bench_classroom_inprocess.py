"""In process, what the classroom view costs serve per session: PLAIN sessions (EHLO, AUTH PLAIN, QUIT) through the
real SessionProtocol with a fake transport, in three modes, each in its own process, alternating:

* quiet: no log, no record, no view (the simulator explains nothing);
* null: a view that does nothing (the simulator summarises for it: serve's part of the view's cost);
* watch: the real classroom Feed and Classroom (no page, no dashboard).

Each process warms the model to its bound, freezes the collector's view of what it holds (as serve does), then times
`--rounds` rounds of `--sessions` sessions (process time); the figure is the best round of the best process. Run by
`python scripts/bench_serve.py --classroom-inprocess`, or alone: `python scripts/bench_classroom_inprocess.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import subprocess
import sys
import time

MODES = ("quiet", "null", "watch")
PLAIN = base64.b64encode(b"\0tim\0tanstaaftanstaaf")
LINES = (b"EHLO client.example\r\n", b"AUTH PLAIN " + PLAIN + b"\r\n", b"QUIT\r\n")
WARM_UP = 2000


class _Transport(asyncio.Transport):
    """Takes what is written; says the client is 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data) -> None:
        pass

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 40000) if name == "peername" else default

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (16384, 65536)

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _NullView:
    """A view that reads nothing (the simulator still summarises for it)."""

    def __init__(self, notes) -> None:
        self.notes = notes

    def session_opened(self, *args) -> None:
        pass

    def session_output(self, *args) -> None:
        pass

    def session_tls(self, *args) -> None:
        pass

    def session_closed(self, *args) -> None:
        pass


def _sessions(service, count: int) -> None:
    from tutor.transport.serve_session import SessionProtocol

    for _ in range(count):
        session = SessionProtocol(service, False)
        session.connection_made(_Transport())
        for line in LINES:
            session.data_received(line)
        session.connection_lost(None)


async def _rounds(mode: str, sessions: int, rounds: int) -> list[float]:
    from tutor.classroom.feed import Feed
    from tutor.classroom.model import Classroom
    from tutor.sim.accounts import Accounts
    from tutor.sim.server import SimServer
    from tutor.transport.asyncio_server import SimService
    from tutor.transport.serve_config import ServeConfig

    accounts = Accounts.default()
    view = None if mode == "quiet" else _NullView(Feed.notes) if mode == "null" else Feed(Classroom())
    service = SimService(lambda tls: SimServer("lab", accounts, starttls=tls),
                         ServeConfig(log=None, watch=view, auth_failure_delay=0))
    service._loop = asyncio.get_running_loop()
    _sessions(service, WARM_UP)
    gc.collect()
    gc.freeze()
    times = []
    for _ in range(rounds):
        began = time.process_time()
        _sessions(service, sessions)
        times.append((time.process_time() - began) / sessions * 1e6)
    return times


def run(processes: int = 3, sessions: int = 3000, rounds: int = 5) -> dict[str, float]:
    """The best us per session of each mode, over `processes` processes per mode, alternating."""
    best = {mode: float("inf") for mode in MODES}
    for _ in range(processes):
        for mode in MODES:
            out = subprocess.run([sys.executable, __file__, "--one", mode, "--sessions", str(sessions),
                                  "--rounds", str(rounds)], capture_output=True, text=True, check=True)
            best[mode] = min(best[mode], float(out.stdout.split()[-1]))
    return best


def report(best: dict[str, float]) -> str:
    quiet = best["quiet"]
    lines = [f"{mode:6} {value:6.1f} us/session  (+{value - quiet:.1f} us over quiet)" for mode, value in best.items()]
    load = os.getloadavg()[0]
    return "\n".join(lines + [f"view's cost in process: +{(best['watch'] - quiet) / quiet * 100:.1f} % "
                              f"(best of each; load average {load:.2f})"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.one:
        print(min(asyncio.run(_rounds(args.one, args.sessions, args.rounds))))
        return 0
    print(report(run(args.processes, args.sessions, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
