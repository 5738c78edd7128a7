"""`serve --dashboard` rendered headless: prompt_toolkit with a pipe for input and a VT100 output into memory,
fed by real simulator sessions; keys select a row, open its exchange, go back and quit."""

import asyncio
import io
import re

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output
from test_classroom_model import PASSWORD, TIM_PLAIN, b64, play

from tutor.classroom.model import Classroom
from tutor.display import dashboard
from tutor.display.dashboard import Dashboard
from tutor.pacing import Pacer

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]")


class Screen(io.StringIO):
    encoding = "utf-8"

    def text(self) -> str:
        return ANSI.sub("", self.getvalue())


def class_of_three() -> Classroom:
    room = Classroom()
    play(room, 1, "lab", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"])
    play(room, 2, "lab", ["ehlo [127.0.0.1]", f"AUTH PLAIN {b64('tim:' + PASSWORD)}", "quit"])
    play(room, 3, "lab", ["EHLO localhost", "AUTH LOGIN", b64("demo")])
    return room


async def drive(room: Classroom, keys: list, wait_for=None):
    """Run the dashboard and type `keys` one after the other; a (key, text) pair waits until `text` is on the
    screen before the next key. Returns (dashboard, screen)."""
    screen = Screen()
    output = Vt100_Output(screen, lambda: Size(rows=120, columns=160), term="xterm")
    with create_pipe_input() as pipe:
        board = Dashboard(room, "127.0.0.1:2525", input=pipe, output=output)
        task = asyncio.ensure_future(board.run())
        await _shown(screen, "")
        for step in keys:
            key, text = step if isinstance(step, tuple) else (step, "")
            pipe.send_text(key)
            await _shown(screen, text)
        await asyncio.wait_for(task, 10)
    return board, screen


async def _shown(screen: Screen, text: str) -> None:
    """Wait (bounded) until the screen was drawn and holds `text`."""
    for _ in range(1000):
        if screen.getvalue() and text in screen.text():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never drawn: {text!r}")


def test_rows_and_totals_are_drawn_without_passwords():
    board, screen = asyncio.run(drive(class_of_three(), ["q"]))
    text = screen.text()
    assert "3 sessions (0 open) · 2 students seen · 1 logged in" in text
    assert "Python smtplib" in text and "base64 of the wrong string" in text
    assert "235 logged in" in text and "gave up after 334" in text
    assert PASSWORD not in text and TIM_PLAIN not in text


def test_enter_shows_the_annotated_exchange_escape_goes_back():
    room = class_of_three()
    # rows are newest first: down twice selects session 1 (the PLAIN login), Enter opens it
    board, screen = asyncio.run(drive(room, ["\x1b[B", "\x1b[B", ("\r", "235 2.7.0: Authentication"), "q"]))
    text = screen.text()
    assert board.detail_of == "1"
    assert "AUTH PLAIN *** (redacted)" in text and "235 2.7.0: Authentication Succeeded" in text
    assert PASSWORD not in text
    board, _screen = asyncio.run(drive(room, [("\r", "S: 220"), "\x1b", "q"]))
    assert board.detail_of is None


def test_an_empty_class_says_how_to_start():
    _board, screen = asyncio.run(drive(Classroom(), ["q"]))
    assert "No session yet" in screen.text() and "127.0.0.1:2525" in screen.text()


def test_live_sessions_redraw_the_view():
    room = Classroom()

    async def scenario():
        screen = Screen()
        output = Vt100_Output(screen, lambda: Size(rows=120, columns=160), term="xterm")
        with create_pipe_input() as pipe:
            board = Dashboard(room, input=pipe, output=output)
            task = asyncio.ensure_future(board.run())
            await _shown(screen, "No session yet")
            play(room, 1, "lab", ["EHLO pc7", "AUTH LOGIN", b64("demo"), b64("demo")])
            await _shown(screen, "demo")
            pipe.send_text("q")
            await asyncio.wait_for(task, 10)
        return screen.text()

    assert "demo" in asyncio.run(scenario())


@pytest.mark.parametrize("keys", [["\x03"], ["q"]])
def test_q_and_ctrl_c_leave(keys):
    board, _screen = asyncio.run(drive(Classroom(), keys))
    assert not board.app.is_running


def test_g_groups_each_students_sessions_under_their_name():
    room = class_of_three()
    play(room, 4, "lab", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"])
    board, _screen = asyncio.run(drive(room, ["g", "q"]))
    assert board.grouped

    def users() -> list[str]:
        text = "".join(part for _style, part in board.table_text())
        return [line.split()[2] for line in text.splitlines()[1:]]

    assert users() == ["demo", "tim", "tim", "?"]           # by name, newest first within, no name last
    board.grouped = False
    assert users() == ["tim", "demo", "?", "tim"]           # newest first


def test_redraws_for_the_class_slow_down_when_serve_is_busy_and_a_redraw_is_dear():
    board, _screen = asyncio.run(drive(class_of_three(), ["q"]))
    assert board.redraw_cost > 0                        # the last redraw was measured
    cpu, wall = [0.0], [0.0]
    board.pacer = Pacer(dashboard.REFRESH, dashboard.SLOWEST, dashboard.REDRAW_SHARE, cpu=lambda: cpu[0],
                        wall=lambda: wall[0])
    board.pacer.cost = 0.009                            # a 9 ms redraw...
    cpu[0], wall[0] = 0.05, 1.0                         # ...while serve is calm: once a second
    assert board.refresh_interval() == dashboard.REFRESH == 1.0
    cpu[0], wall[0] = 1.05, 2.0                         # serve uses a CPU: a quarter percent of it, every 3.6 s
    assert board.refresh_interval() == pytest.approx(3.6)
    board.pacer.cost = 0.002                            # cheap: still once a second
    cpu[0], wall[0] = 2.05, 3.0
    assert board.refresh_interval() == 1.0
    board.pacer.cost = 1.0                              # however dear, at least every 5 s
    cpu[0], wall[0] = 3.05, 4.0
    assert board.refresh_interval() == dashboard.SLOWEST == 5.0
