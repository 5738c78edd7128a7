"""One line per ended session for the `serve` log on a terminal: the dashboard's row, coloured by the theme."""

from __future__ import annotations

import io

from pygments.formatters import Terminal256Formatter
from pygments.token import Text

from tutor.classroom import rows
from tutor.classroom.session import SessionSummary
from tutor.display.style import CLIENT, DETAIL, ERROR, HEADING, RESULT, WARNING, TutorStyle

STATE_TOKEN = {"ok": RESULT, "warn": RESULT, "fail": ERROR, "open": DETAIL, "idle": DETAIL}
WIDTHS = {"time": 8, "peer": 21, "user": 12, "client": 16, "mechanism": 13, "tls": 5, "result": 13}


def fragments(summary: SessionSummary) -> list[tuple]:
    """(token, text) pairs: the cells padded to columns, the result and mistake coloured by the outcome."""
    cells = rows.cells(summary)
    state = STATE_TOKEN[rows.state(summary)]
    out = [(DETAIL, cells["time"] + " "), (Text, _pad(cells["peer"], "peer")), (HEADING, _pad(cells["user"], "user")),
           (Text, _pad(cells["client"], "client")), (CLIENT, _pad(cells["mechanism"], "mechanism")),
           (RESULT if summary.tls else WARNING, _pad(cells["tls"], "tls")), (state, _pad(cells["result"], "result"))]
    if cells["mistake"]:
        out.append((WARNING if summary.logged_in else ERROR, cells["mistake"]))
    return out


def plain(summary: SessionSummary) -> str:
    return "".join(text for _, text in fragments(summary)).rstrip()


def coloured(summary: SessionSummary) -> str:
    """The line with ANSI colours (no newline)."""
    out = io.StringIO()
    Terminal256Formatter(style=TutorStyle).format(iter(fragments(summary)), out)
    return out.getvalue().rstrip("\n")


def _pad(text: str, column: str) -> str:
    width = WIDTHS[column]
    return (text if len(text) <= width else text[:width - 1] + "…").ljust(width) + " "
