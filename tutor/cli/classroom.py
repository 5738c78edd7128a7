"""The classroom side of `smtp-tutor serve`: --dashboard, --web, --verbose, --report, and the one-line log.

cli_serve builds the server; this module adds the options, watches the sessions (tutor.classroom), and runs
the views on the server's own event loop.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.classroom import words
from tutor.classroom.feed import Feed
from tutor.classroom.model import Classroom
from tutor.errors import InputError, TutorError

if TYPE_CHECKING:
    from tutor.display.dashboard import Dashboard
    from tutor.transport.web import WebView

REPORT_FORMATS = ("md", "html", "json")


def configure(p: argparse.ArgumentParser) -> None:
    """The classroom options of `serve`."""
    p.add_argument("--dashboard", action="store_true",
                   help="full-screen live view: one row per session, class totals; Enter shows a session's exchange")
    p.add_argument("--web", metavar="HOST:PORT",
                   help="the same view as a read-only live web page (needs the classroom extra: aiohttp)")
    p.add_argument("--verbose", action="store_true",
                   help="log every step of every session (default on a terminal: one line per session when it ends)")
    p.add_argument("--report", metavar="FILE", help="at the end, write a per-student report of the class to FILE")
    p.add_argument("--format", choices=REPORT_FORMATS, help="--report format (default: from the file name, else md)")


def wanted(args: argparse.Namespace) -> bool:
    return bool(args.dashboard or args.web or args.report or _one_line_log(args))


def _one_line_log(args: argparse.Namespace) -> bool:
    return not (args.quiet or args.verbose or args.dashboard) and sys.stdout.isatty()


def report_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.report or "").suffix.lower().lstrip(".")
    return {"htm": "html", "markdown": "md"}.get(suffix, suffix) if suffix in (*REPORT_FORMATS, "htm", "markdown") \
        else "md"


class ClassroomRun:
    """The classroom for one serve run: the model, its feed for the server, and the views that were asked for."""

    def __init__(self, args: argparse.Namespace, accounts: tuple[str, ...] = ()) -> None:
        self.args = args
        class_list = bool(getattr(args, "users", None) or getattr(args, "make_accounts", None))
        self.room = Classroom(roster=accounts if class_list else ())   # a class's accounts: who has not come
        self.feed = Feed(self.room)
        self.web: WebView | None = None
        self._dashboard: Dashboard | None = None
        self._web_address = _web_address(args.web) if args.web else None
        if args.report:
            _check_writable(args.report)
        if args.dashboard and not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise InputError("--dashboard needs a terminal (use --web for a view elsewhere)")
        if _one_line_log(args):
            self.room.listen(self._print_ended)

    def step_log(self, log):
        """The full step log stays for --verbose and when not on a terminal; the dashboard owns the screen."""
        if self.args.dashboard or _one_line_log(self.args):
            return None
        return log

    async def start(self, where: str) -> None:
        """The web view, listening; the dashboard built (not yet run). Both before serve freezes what it holds for
        the garbage collector (tutor.cli.serve): their modules and objects are then left out of every collection
        (prompt_toolkit's, unfrozen, made each full collection of a busy class several times dearer)."""
        if self.args.dashboard:
            from tutor.display.dashboard import Dashboard
            self._dashboard = Dashboard(self.room, where)
        if self._web_address is not None:
            from tutor.classroom.page import ClassroomPage
            from tutor.transport.web import WebView
            host, port = self._web_address
            self.web = WebView(ClassroomPage(self.room), host, port, f"smtp-tutor serve on {where}")
            bound = await self.web.start()
            from tutor.transport.address import join
            print(f"smtp-tutor serve: live view on http://{join(*bound[0])}/", flush=True)

    async def run_dashboard(self, where: str) -> None:
        """The full-screen view until the teacher leaves it (q or Ctrl-C), which stops the server too."""
        if self._dashboard is None:
            from tutor.display.dashboard import Dashboard
            self._dashboard = Dashboard(self.room, where)
        await self._dashboard.run()

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()

    def finish(self) -> None:
        """At the end of class: the report, if asked for."""
        if not self.args.report:
            return
        from tutor.classroom import report
        fmt = report_format(self.args)
        text = report.render(self.room, fmt)
        try:
            Path(self.args.report).expanduser().write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"smtp-tutor serve: cannot write the report {self.args.report}: {exc.strerror or exc}",
                  file=sys.stderr)
            return
        print(f"smtp-tutor serve: class report written to {self.args.report} ({fmt})", file=sys.stderr)

    def _print_ended(self, sid: str, still_open: bool) -> None:
        summary = None if still_open else self.room.summary(sid)
        if summary is not None:
            from tutor.display.classroom_line import coloured
            print(coloured(summary), flush=True)


def _web_address(text: str) -> tuple[str, int]:
    """HOST:PORT ([v6]:PORT for IPv6); port 0 takes any free port (the page's address is printed)."""
    from tutor.transport.address import parse
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit():
        raise InputError(f"--web {text!r}: give HOST:PORT, for example 127.0.0.1:8080")
    try:
        address = parse(host if port == "0" else text)
    except TutorError as exc:
        raise InputError(f"--web {text!r}: {exc}") from None
    return address.host, 0 if port == "0" else address.port


def _check_writable(path: str) -> None:
    target = Path(path).expanduser()
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir() or not parent.is_dir():
        raise InputError(f"--report {path}: cannot write a file there")


def beyond_loopback_warning(host: str, profile) -> str | None:
    """The warning for a listener other classmates can reach: what a sniffer on the network sees."""
    from tutor.transport.address import is_loopback
    if is_loopback(host):
        return None
    clear = list(profile.offered(False))
    if clear:
        return words.text("warning.beyond-loopback", host=host, profile=profile.name, mechanisms=" ".join(clear))
    return words.text("warning.tls-first", host=host, profile=profile.name)

