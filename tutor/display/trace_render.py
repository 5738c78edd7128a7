"""Tracer output in colour (terminal) and as HTML handouts: the styled lines of tutor.trace.render written
through pygments formatters with the one theme, tutor.display.style.TutorStyle."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from pygments.formatters import HtmlFormatter, Terminal256Formatter
from pygments.token import String, Text

from tutor import escapes
from tutor.display.style import CLIENT, DETAIL, ERROR, HEADING, NOTE, PREFIX, RESULT, SERVER, WARNING, TutorStyle
from tutor.trace.render import Line

TOKENS = {
    "heading": HEADING, "prefix-client": PREFIX.Client, "prefix-server": PREFIX.Server, "prefix-note": PREFIX.Note,
    "client": CLIENT, "server": SERVER, "auth": String, "data": DETAIL, "log": Text, "mark": DETAIL,
    "note": NOTE, "problem": WARNING, "finding": RESULT, "leak": ERROR,
}


def _tokens(lines: Iterable[Line]):
    for line in lines:
        for kind, text in line:
            yield TOKENS.get(kind, Text), escapes.for_terminal(text)     # pygments escapes HTML itself
        yield Text, "\n"


def write_terminal(lines: Iterable[Line], out: TextIO) -> None:
    """ANSI colour with the tutor theme."""
    Terminal256Formatter(style=TutorStyle).format(_tokens(lines), out)


def html_head(title: str) -> str:
    css = HtmlFormatter(style=TutorStyle).get_style_defs(".trace")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{escapes.for_html(title)}</title>\n"
            f"<style>\nbody {{ font-family: sans-serif; }}\n.trace pre {{ white-space: pre-wrap; }}\n{css}\n"
            f"</style></head><body>\n<h1>{escapes.for_html(title)}</h1>\n")


def write_html_session(lines: Iterable[Line], out: TextIO) -> None:
    """One session as a <pre> block in the theme's classes (HTML-escaped by pygments)."""
    HtmlFormatter(style=TutorStyle, cssclass="trace").format(_tokens(lines), out)


HTML_TAIL = "</body></html>\n"
