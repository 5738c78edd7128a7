"""tutor.pacing: a live view refreshes at its calm pace while its server is calm, and less often while the server
is busy and a refresh is dear, so that refreshes stay a small share of a CPU."""

import pytest

from tutor.pacing import Pacer


class Clocks:
    """A process's CPU time and the wall clock, moved by hand."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def spend(self, cpu: float, wall: float) -> None:
        self.cpu += cpu
        self.wall += wall


def pacer(clocks: Clocks) -> Pacer:
    return Pacer(1.0, 5.0, 0.0025, cpu=lambda: clocks.cpu, wall=lambda: clocks.wall)


def test_a_calm_server_refreshes_at_the_calm_pace_however_dear_a_refresh():
    clocks = Clocks()
    pace = pacer(clocks)
    pace.cost = 0.2                               # a very dear refresh
    clocks.spend(cpu=0.3, wall=1.0)               # 30 % of a CPU: calm
    assert pace.interval() == 1.0


def test_a_busy_server_keeps_dear_refreshes_to_their_share_of_a_cpu():
    clocks = Clocks()
    pace = pacer(clocks)
    clocks.spend(cpu=0.9, wall=1.0)               # 90 % of a CPU: busy
    pace.cost = 0.001                             # cheap: still the calm pace (never faster)
    assert pace.interval() == 1.0
    clocks.spend(cpu=0.6, wall=1.0)               # more than half a CPU: busy
    pace.cost = 0.006                             # 6 ms at most 0.25 % of a CPU: every 2.4 s
    assert pace.interval() == pytest.approx(2.4)
    clocks.spend(cpu=1.0, wall=1.0)
    pace.cost = 1.0                               # however dear: at least every `slowest` seconds
    assert pace.interval() == 5.0


def test_busy_is_measured_since_the_last_look():
    clocks = Clocks()
    pace = pacer(clocks)
    pace.cost = 0.006
    clocks.spend(cpu=1.0, wall=1.0)
    assert pace.interval() == pytest.approx(2.4)
    clocks.spend(cpu=0.1, wall=2.0)               # the class went quiet
    assert pace.interval() == 1.0
    assert pace.interval() == 1.0                 # no time passed: not busy
