"""`serve --dashboard`: a full-screen live view of the class (prompt_toolkit) on the server's event loop.

Top: the class totals. Then one row per session, newest first, coloured by outcome. ↑/↓ select, Enter shows
the selected session's exchange as the tracer annotates it (passwords masked), Esc goes back, q or Ctrl-C
leaves (and stops the server). Changes in the class are drawn once a second at most; while the server is busy,
less often when a redraw is dear (a full screen costs ~5-10 ms of prompt_toolkit's work, and the dashboard's
redraws then take at most REDRAW_SHARE of the CPU serve uses: tutor.pacing), keys at once.
"""

from __future__ import annotations

import asyncio
import time

from prompt_toolkit.application import Application
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.layout import HSplit, Layout, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.styles import Style

from tutor.classroom import detail, rows, words
from tutor.classroom.model import Classroom
from tutor.display.classroom_line import WIDTHS
from tutor.pacing import Pacer

REFRESH = 1.0       # seconds: new sessions are drawn at most once a second; keys at once
REDRAW_SHARE = 0.0025  # ...and while serve is busy, redraws for them take at most this share of the CPU it uses
                       # (a 9 ms redraw, serve using a whole CPU: every 3.6 s)
SLOWEST = 5.0       # seconds: but they are drawn at least this often
STYLE = Style.from_dict({
    "totals": "bold", "heading": "bold underline", "help": "reverse",
    "ok": "ansigreen bold", "warn": "ansigreen", "fail": "ansired bold", "open": "italic", "idle": "italic",
    "mistake": "ansired", "selected": "reverse", "clear": "ansired", "tls": "ansigreen", "user": "bold",
    "k-heading": "bold", "k-prefix-client": "ansigreen bold", "k-client": "ansigreen",
    "k-prefix-server": "ansiblue bold", "k-server": "ansiblue", "k-prefix-note": "ansimagenta bold",
    "k-note": "", "k-auth": "ansicyan", "k-problem": "ansired", "k-leak": "ansired bold",
    "k-finding": "ansigreen bold", "k-mark": "italic", "k-data": "italic", "k-log": "",
})
CELLS = ("time", "peer", "user", "client", "mechanism", "tls", "result")


class Dashboard:
    """The view over a Classroom; `run()` until the teacher leaves. `app` can be given input/output for tests."""

    def __init__(self, room: Classroom, where: str = "", **app_options) -> None:
        self.room, self.where = room, where
        self.selected = 0            # index into the rows, newest first
        self.grouped = False         # rows grouped by student (user name), newest first within each
        self.detail_of: str | None = None
        self.scroll = 0
        self.app = Application(layout=self._layout(), key_bindings=self._keys(), style=STYLE, full_screen=True,
                               mouse_support=False, **app_options)
        self._drawn = -1                 # room.changes when last drawn
        self.pacer = Pacer(REFRESH, SLOWEST, REDRAW_SHARE)   # its cost: the last redraw's CPU seconds
        self._render_began = 0.0
        self.app.before_render += self._before_render
        self.app.after_render += self._after_render

    async def run(self) -> None:
        refresher = asyncio.ensure_future(self._refresh())
        try:
            await self.app.run_async()
        finally:
            refresher.cancel()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_interval())
            stamp = self.room.stamp()                # (serve's pending steps read first)
            if self._drawn != stamp:
                self._drawn = stamp
                self.app.invalidate()

    @property
    def redraw_cost(self) -> float:
        """CPU seconds the last redraw took."""
        return self.pacer.cost

    def refresh_interval(self) -> float:
        """Seconds until the class's changes are drawn again: REFRESH, or longer while serve is busy and a
        redraw is dear."""
        return self.pacer.interval()

    def _before_render(self, _app) -> None:
        self._render_began = time.process_time()

    def _after_render(self, _app) -> None:
        self.pacer.cost = time.process_time() - self._render_began

    # ---- what is drawn ------------------------------------------------------------------------------------
    def totals_text(self) -> StyleAndTextTuples:
        return [("class:totals", line + "\n") for line in rows.totals_lines(self.room.totals())]

    def table_text(self) -> StyleAndTextTuples:
        """The heading and the rows that fit on the screen (only those are read: a class can be big)."""
        self.selected = min(self.selected, max(len(self.room) - 1, 0))
        height = max(self.app.output.get_size().rows - 5, 1) if self.app.is_running else 50
        first = max(self.selected - height + 1, 0)
        summaries = self._ordered(first + height)[first:]
        heads = rows.headings()
        out: StyleAndTextTuples = [("class:heading", "".join(_cell(heads[c], c) for c in CELLS) + heads["mistake"]),
                                   ("", "\n")]
        if not summaries:
            return out + [("class:open", words.text("dashboard.empty", where=self.where or "HOST:PORT"))]
        for index, summary in enumerate(summaries, first):
            cells, state = rows.cells(summary), rows.state(summary)
            pick = " class:selected" if index == self.selected else ""
            out += [("" + pick, _cell(cells["time"], "time") + _cell(cells["peer"], "peer")),
                    ("class:user" + pick, _cell(cells["user"], "user")),
                    ("" + pick, _cell(cells["client"], "client") + _cell(cells["mechanism"], "mechanism")),
                    (("class:tls" if summary.tls else "class:clear") + pick, _cell(cells["tls"], "tls")),
                    (f"class:{state}" + pick, _cell(cells["result"], "result")),
                    ("class:mistake" + pick, cells["mistake"]), ("", "\n")]
        return out

    def _ordered(self, count: int):
        """The first `count` rows: newest first, or grouped by student (then every kept row is read)."""
        if not self.grouped:
            return self.room.summaries(count)
        everyone = self.room.summaries()
        return sorted(everyone, key=lambda s: (s.user == "", s.user.lower()))[:count]   # stable: newest first within

    def detail_text(self) -> StyleAndTextTuples:
        summary = self.room.summary(self.detail_of or "")
        if summary is None:
            return [("class:fail", words.text("dashboard.detail-missing"))]
        cells = rows.cells(summary)
        out: StyleAndTextTuples = [(f"class:{rows.state(summary)}", " · ".join(
            v for v in (f"session {summary.sid}", *(cells[c] for c in rows.COLUMNS)) if v) + "\n")]
        for line in detail.listing(summary)[self.scroll:]:
            out += [(f"class:k-{kind}", text) for kind, text in line] + [("", "\n")]
        return out

    def _layout(self) -> Layout:
        from prompt_toolkit.filters import Condition
        from prompt_toolkit.layout import ConditionalContainer

        listing = Condition(lambda: self.detail_of is None)
        body = HSplit([
            ConditionalContainer(Window(FormattedTextControl(self.table_text), wrap_lines=False), listing),
            ConditionalContainer(Window(FormattedTextControl(self.detail_text), wrap_lines=True), ~listing),
        ])
        return Layout(HSplit([
            Window(FormattedTextControl(self.totals_text), height=Dimension.exact(3)),
            body,
            Window(FormattedTextControl(lambda: [("class:help", words.text("dashboard.help"))]), height=1),
        ]))

    # ---- keys ---------------------------------------------------------------------------------------------
    def _keys(self) -> KeyBindings:
        keys = KeyBindings()
        self._moving_keys(keys)

        @keys.add("g")
        def _group(event) -> None:
            self.grouped, self.selected = not self.grouped, 0

        @keys.add("enter")
        def _open(event) -> None:
            summaries = self._ordered(self.selected + 1)
            if self.detail_of is None and summaries:
                self.detail_of, self.scroll = summaries[-1].sid, 0

        @keys.add("escape", eager=True)
        def _back(event) -> None:
            self.detail_of = None

        @keys.add("q")
        @keys.add("c-c")
        def _quit(event) -> None:
            event.app.exit()

        return keys

    def _moving_keys(self, keys: KeyBindings) -> None:
        """↑/↓ select a row in the list and scroll the exchange; PgUp/PgDn scroll it by a page."""

        @keys.add("up")
        def _up(event) -> None:
            if self.detail_of is None:
                self.selected = max(self.selected - 1, 0)
            else:
                self.scroll = max(self.scroll - 1, 0)

        @keys.add("down")
        def _down(event) -> None:
            if self.detail_of is None:
                self.selected += 1           # table_text() keeps it in range
            else:
                self.scroll += 1

        @keys.add("pageup")
        def _page_up(event) -> None:
            self.scroll = max(self.scroll - 20, 0)

        @keys.add("pagedown")
        def _page_down(event) -> None:
            self.scroll += 20


def _cell(text: str, column: str) -> str:
    width = WIDTHS[column]
    return (text if len(text) <= width else text[:width - 1] + "…").ljust(width) + " "
