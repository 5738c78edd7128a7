"""The `smtp-tutor lesson` command: list lessons, --check lesson files, play a --demo, or take a lesson on the
simulator or a live server (--connect). The REPL runs it when there is one; else a plain line loop does."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, Callable

from tutor import explain
from tutor.course import loader
from tutor.course.facts import Credentials
from tutor.course.model import Lesson
from tutor.course.progress import Progress
from tutor.course.runner import LessonRunner
from tutor.errors import InputError

PREFIX = {"C": "C: ", "S": "S: ", "note": "   note: ", "sim": "   server: ", "detail": "   ", "error": "!! ",
          "helper": "   ", "lesson": "== ", "step": "\n-- ", "task": ">> ", "fail": "✗ ", "hint": "? ",
          "solution": "? ", "note-course": "   "}


def _t(key: str, **params: object) -> str:
    return explain.text(f"course.cli.{key}", **params)


def register(subparsers: Any) -> None:
    """Add `lesson` to the top-level sub-commands."""
    p = subparsers.add_parser("lesson", help="take a guided lesson (PLAIN, LOGIN, CRAM-MD5...) or play its demo",
                              description="Guided lessons on the built-in simulator or a live server.")
    p.add_argument("name", nargs="?", help="lesson number, slug or id (e.g. 5, cram-md5, 05-cram-md5)")
    p.add_argument("--list", action="store_true", help="list the lessons and your progress")
    p.add_argument("--check", nargs="+", metavar="FILE", help="validate lesson files; errors as file:step: what")
    p.add_argument("--demo", action="store_true", help="play the solutions with the explanations")
    p.add_argument("--no-pause", action="store_true", help="with --demo: do not wait between steps")
    p.add_argument("--connect", metavar="HOST[:PORT]", help="take the lesson on a live server (default port 587)")
    p.add_argument("--starttls", action="store_true", help="with --connect: upgrade to TLS with STARTTLS first")
    p.add_argument("--tls", action="store_true", help="with --connect: implicit TLS (port 465 by default)")
    p.add_argument("--user", metavar="NAME", help="with --connect: your account on that server")
    p.add_argument("--insecure", action="store_true", help="with --connect: do not verify the certificate")
    p.add_argument("--cafile", metavar="FILE", help="with --connect: trust the CA certificates in FILE")


def show_line(kind: str, text: str, out: Any = None) -> None:
    """Print one Say or session item with a prefix that says what it is."""
    out = out or sys.stdout
    prefix = PREFIX.get(kind, "")
    lines = text.splitlines() or [""]
    print(prefix + lines[0], file=out)
    for line in lines[1:]:
        print(" " * len(prefix.lstrip("\n")) + line, file=out)


def check_files(paths: list[str]) -> int:
    """Print every problem as `file:step: what is wrong`; 0 when all files are good."""
    bad = 0
    for path in paths:
        problems = loader.check_file(path)
        for line in problems:
            print(line)
        if problems:
            bad += 1
        else:
            lesson = loader.load_file(path)
            print(_t("check-ok", path=loader.shown_path(__import__("pathlib").Path(path)), steps=len(lesson.steps)))
    return 1 if bad else 0


def list_lessons(progress: Progress) -> int:
    print(_t("list-heading", path=progress.path))
    for lesson in loader.load_all():
        done, started = progress.completed(lesson.id), bool(progress.passed(lesson.id))
        mark = _t("mark-done") if done else _t("mark-started") if started else _t("mark-new")
        print(_t("list-line", mark=mark, number=lesson.number, slug=lesson.slug, title=lesson.title,
                 minutes=lesson.minutes, level=lesson.level))
    return 0


def ask_password(user: str, target: str) -> str:
    """Without echo on a terminal; else one line of stdin (so it stays out of argv and history)."""
    prompt = _t("ask-password", user=user, target=target)
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise InputError("no password given on standard input")
    return line.rstrip("\r\n")


def open_session(lesson: Lesson, args: argparse.Namespace) -> tuple[Any, list, Credentials | None]:
    """The simulator session the lesson wants, or a live one with the learner's credentials."""
    from tutor import lesson_sessions

    if not args.connect:
        session, items = lesson_sessions.sim_session(lesson)
        return session, items, None
    if not args.user:
        raise InputError(_t("need-user"))
    host, port = lesson_sessions.parse_target(args.connect, 465 if args.tls else 587)
    creds = Credentials(args.user, ask_password(args.user, f"{host}:{port}"))
    session, items = lesson_sessions.live_session(host, port, starttls=args.starttls, tls=args.tls,
                                                  insecure=args.insecure, cafile=args.cafile)
    return session, items, creds


def _pause() -> bool:
    try:
        answer = input(_t("demo-pause"))
    except EOFError:
        return False
    return answer.strip().lower() not in ("q", "quit")


def run_demo(lesson: Lesson, session: Any, items: list, creds: Credentials | None, pause: bool) -> int:
    from tutor.course import demo

    for item in items:
        show_line(item.kind, item.text)
    runner = LessonRunner(lesson, creds, live=creds is not None, target=session.target)
    interactive = pause and sys.stdin.isatty() and sys.stdout.isatty()
    result = demo.play(lesson, session, show_line, pause=_pause if interactive else None, runner=runner)
    session.close()
    if result.ok:
        print(_t("demo-result-ok", number=lesson.number, title=lesson.title))
        return 0
    print(_t("demo-result-failed", number=lesson.number, title=lesson.title, failed=len(result.failed),
             steps=", ".join(result.failed) or "-"))
    return 1


def run(args: argparse.Namespace) -> int:
    if args.check:
        return check_files(args.check)
    progress = Progress()
    if args.list or not args.name:
        return list_lessons(progress)
    lesson = loader.find(args.name)
    session, items, creds = open_session(lesson, args)
    if args.demo:
        return run_demo(lesson, session, items, creds, pause=not args.no_pause)
    runner = LessonRunner(lesson, creds, live=creds is not None, target=session.target, progress=progress)
    return _interactive(lesson, session, items, runner)


def _interactive(lesson: Lesson, session: Any, items: list, runner: LessonRunner) -> int:
    """The REPL with the lesson started when the REPL offers it; else the plain line loop."""
    hook = _repl_entry()
    if hook is not None and sys.stdin.isatty():
        return hook(session=session, greeting=items, lesson=lesson, runner=runner)
    from tutor.lesson_loop import loop
    return loop(lesson, session, items, runner, show_line)


def _repl_entry() -> Callable[..., int] | None:
    """tutor.cli_repl.run_session(session=, greeting=, lesson=, runner=) if the REPL has it."""
    try:
        from tutor import cli_repl
    except ImportError:
        return None
    return getattr(cli_repl, "run_session", None)
