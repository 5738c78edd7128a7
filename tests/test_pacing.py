"""tutor.pacing: a live view refreshes at its calm pace while its server is calm, and less often while the server
is busy and a refresh is dear, so that refreshes stay a small share of the CPU the server spends."""

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
    return Pacer(1.0, 5.0, 0.005, cpu=lambda: clocks.cpu, wall=lambda: clocks.wall)


def test_a_calm_server_refreshes_at_the_calm_pace_however_dear_a_refresh():
    clocks = Clocks()
    pace = pacer(clocks)
    pace.cost = 0.2                               # a very dear refresh
    clocks.spend(cpu=0.05, wall=1.0)              # 5 % of a CPU: calm
    assert pace.interval() == 1.0


def test_a_busy_server_keeps_dear_refreshes_to_their_share_of_the_cpu_it_uses():
    clocks = Clocks()
    pace = pacer(clocks)
    clocks.spend(cpu=1.0, wall=1.0)               # a whole CPU
    pace.cost = 0.001                             # cheap: still the calm pace (never faster)
    assert pace.interval() == 1.0
    clocks.spend(cpu=1.0, wall=1.0)
    pace.cost = 0.009                             # 9 ms at most 0.5 % of a CPU: every 1.8 s
    assert pace.interval() == pytest.approx(1.8)
    clocks.spend(cpu=0.25, wall=1.0)              # a quarter of a CPU: 0.5 % of that, every 7.2 s...
    assert pace.interval() == 5.0                 # ...but at least every `slowest` seconds
    clocks.spend(cpu=0.5, wall=1.0)
    pace.cost = 0.005                             # half a CPU, 5 ms: every 2 s
    assert pace.interval() == pytest.approx(2.0)


def test_busy_is_measured_since_the_last_look():
    clocks = Clocks()
    pace = pacer(clocks)
    pace.cost = 0.009
    clocks.spend(cpu=1.0, wall=1.0)
    assert pace.interval() == pytest.approx(1.8)
    clocks.spend(cpu=0.1, wall=2.0)               # the class went quiet
    assert pace.interval() == 1.0
    assert pace.interval() == 1.0                 # no time passed: nothing used
