"""How often a live view refreshes while its server works: at its own pace while the server is calm, less often
while it is busy, so that the refreshes stay a small share of the CPU the server spends on its sessions (sans-IO:
the clocks are passed in). The dashboard (tutor/display) and the web page's batches (tutor/transport) use it."""

from __future__ import annotations

import time
from collections.abc import Callable

CALM = 0.1      # the process used less than a tenth of a CPU since the last look: its server is calm


class Pacer:
    """`interval()`: seconds until the next refresh. The caller sets `cost`, the CPU seconds its last refresh took.

    Calm: every `calm` seconds. Busy: as often as keeps the refreshes to `share` of the CPU the process used since
    the last look, but at least every `slowest` seconds (and never more often than every `calm` seconds)."""

    def __init__(self, calm: float, slowest: float, share: float, *, cpu: Callable[[], float] = time.process_time,
                 wall: Callable[[], float] = time.monotonic) -> None:
        self.calm, self.slowest, self.share = calm, slowest, share
        self.cost = 0.0
        self._cpu, self._wall = cpu, wall
        self._since = (cpu(), wall())

    def used(self) -> float:
        """The share of a CPU the process used since the last call (or since the pacer was made)."""
        cpu, wall = self._cpu(), self._wall()
        last_cpu, last_wall = self._since
        self._since = (cpu, wall)
        return (cpu - last_cpu) / (wall - last_wall) if wall > last_wall else 0.0

    def interval(self) -> float:
        used = self.used()
        if used < CALM:
            return self.calm
        return min(max(self.calm, self.cost / (self.share * used)), self.slowest)
