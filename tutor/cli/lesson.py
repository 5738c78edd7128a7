"""The `smtp-tutor lesson` command: list lessons, --check lesson files, play a --demo, or take a lesson on the
simulator or a live server (--connect) in the REPL (batch mode when the input is not a terminal)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor import explain
from tutor.course import loader
from tutor.course.facts import Credentials
from tutor.course.model import Lesson
from tutor.course.progress import Progress
from tutor.errors import InputError

if TYPE_CHECKING:
    from tutor.interfaces import SessionLike

HIDDEN = ("detail", "sim")   # the demo shows wire lines, notes and lessons; not the simulator's own thoughts


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
    p.add_argument("--format", choices=("md", "html"), help="write a handout: the lesson's prose and a worked "
                   "transcript of its solutions on the simulator, as Markdown or one self-contained HTML page")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue where you left off, without asking")
    again.add_argument("--restart", action="store_true", help="start over from step 1 (forgets the steps passed)")
    p.add_argument("--connect", metavar="HOST[:PORT]", help="take the lesson on a live server (default port 587)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--starttls", action="store_true", help="with --connect: upgrade to TLS with STARTTLS first")
    mode.add_argument("--tls", action="store_true", help="with --connect: implicit TLS (port 465 by default)")
    p.add_argument("--user", metavar="NAME", help="with --connect: your account on that server")
    p.add_argument("--insecure", action="store_true", help="with --connect: do not verify the certificate")
    p.add_argument("--cafile", metavar="FILE", help="with --connect: trust the CA certificates in FILE")
    p.add_argument("--record", metavar="FILE", default=argparse.SUPPRESS,   # keeps `smtp-tutor --record F lesson`
                   help="record the session as JSON Lines (file 0600, credentials redacted)")
    p.add_argument("--allow-cleartext", action="store_true",
                   help="with --connect: do not ask before sending credentials unencrypted to a host that is not "
                        "this machine (without a terminal they are refused otherwise)")


LIVE_ONLY = ("starttls", "tls", "user", "insecure", "cafile", "allow_cleartext")   # options that need --connect


def solution_problems(lesson: Lesson, path: str) -> list[str]:
    """Play the lesson's solutions on a fresh simulator: one `file:LINE: step: ...` line per step they do not pass."""
    from tutor import lesson_sessions
    from tutor.course import demo, locate

    reasons: list[str] = []
    last = [""]
    failed_text = _t("demo-step-failed", title="\0").split("\0")[0]

    def show(kind: str, text: str) -> None:
        if kind in ("fail", "error") and not text.startswith(failed_text):
            last[0] = text.splitlines()[0] if text else ""
        elif kind == "error":
            reasons.append(last[0])
    session, _ = lesson_sessions.sim_session(lesson)
    try:
        result = demo.play(lesson, session, show)
    except Exception as exc:       # a lesson file is input: whatever it does, one line, never a traceback
        return [f"{loader.shown_path(Path(path))}:1: lesson: the demo stopped: {type(exc).__name__}: {exc}"[:300]]
    finally:
        session.close()
    text = loader.read_text(Path(path))
    out = []
    for step_id, reason in zip(result.failed, reasons + [""] * len(result.failed), strict=False):
        index = lesson.step_index(step_id)
        line = locate.line_of(text, step_id, "solution", index)
        out.append(_t("check-solution", path=loader.shown_path(Path(path)), line=line, step=step_id,
                      reason=reason or "-"))
    return out


def check_files(paths: list[str]) -> int:
    """Print every problem as `file:LINE: step: what is wrong`, the solutions played on the simulator too; 0 when
    all files are good."""
    bad = 0
    for path in paths:
        problems = loader.check_file(path)
        if not problems:
            problems = solution_problems(loader.load_file(path), path)
        for line in problems:
            print(line)
        if problems:
            bad += 1
        else:
            steps = len(loader.load_file(path).steps)
            print(_t("check-ok", path=loader.shown_path(Path(path)), steps=steps))
    return 1 if bad else 0


def list_lessons(progress: Progress) -> int:
    from tutor.course.progress import listing

    errors: list[str] = []
    print("\n".join(listing(progress, loader.load_all(errors=errors))))
    for error in errors:                # a broken lesson file is named, the others still listed
        print(f"smtp-tutor: {error}", file=sys.stderr)
    return 1 if errors else 0


def ask_password(user: str, target: str) -> str:
    """Without echo on a terminal; else one line of stdin (so it stays out of argv and history)."""
    prompt = _t("ask-password", user=user, target=target)
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise InputError("no password given on standard input")
    return line.rstrip("\r\n")


def live_options(args: argparse.Namespace, lesson: Lesson) -> tuple[str, int, dict]:
    """(host, port, transport options) from --connect and the TLS flags; InputError before any network use when
    the lesson cannot run live or --user is missing."""
    from tutor.transport import address

    if lesson.simulator_only:
        raise InputError(_t("simulator-only", number=lesson.number, title=lesson.title, option="--connect"))
    if not args.user:
        raise InputError(_t("need-user"))
    # The same parser as `smtp-tutor connect`; a lesson's default port is 587 (465 with --tls) even without --starttls.
    where = address.parse(args.connect, starttls=True, tls=args.tls)
    return where.host, where.port, {"starttls": args.starttls, "tls": args.tls, "insecure": args.insecure,
                        "cafile": args.cafile}


# ---- the demo ---------------------------------------------------------------------------------------------
def _printer(live: bool):
    from tutor.course.demo import HELPER_PREFIX
    from tutor.display.format import plain_lines
    from tutor.repl.lesson_commands import SAY_KINDS
    from tutor.session import Item

    def show(kind: str, text: str) -> None:
        if kind in HIDDEN:
            return
        shown = kind.removeprefix(HELPER_PREFIX) if kind.startswith(HELPER_PREFIX) else SAY_KINDS.get(kind, kind)
        sys.stdout.write(plain_lines([Item(shown, text)]))
        sys.stdout.flush()
    return show


class _DemoAsker:
    """What tutor.repl.cleartext_guard.guard_cleartext asks of a shell, for the demo: the --allow-cleartext flag, a
    yes/no question (only at a terminal; None refuses), and a place to show its warning."""

    def __init__(self, show: Any, allow: bool) -> None:
        self.allow_cleartext = allow
        self.confirm: Callable[[str], bool] | None = _confirm if sys.stdin.isatty() else None
        self.quit_requested = False
        self.refused_auth: tuple[Any, str] | None = None
        self._show = show

    def note(self, key: str, kind: str = "note", **params: object) -> None:
        self._show(kind, explain.text(key, **params))


def _confirm(prompt: str) -> bool:
    try:
        return input(prompt).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def demo_guard(show: Any, allow: bool):
    """The live clear-text guard for the demo's wire lines (the REPL's Shell.send applies the same one)."""
    from tutor.course.demo import Refused
    from tutor.repl.cleartext_guard import guard_cleartext

    asker = _DemoAsker(show, allow)

    def guard(session: SessionLike, line: str) -> None:
        try:
            guard_cleartext(asker, session, line)
        except InputError as exc:
            raise Refused(str(exc)) from None
    return guard


def _pause() -> bool:
    try:
        answer = input(_t("demo-pause"))
    except EOFError:
        return False
    return answer.strip().lower() not in ("q", "quit")


def write_handout(lesson: Lesson, fmt: str) -> int:
    """The lesson's prose and the worked transcript of its solutions, played on the simulator, as Markdown or
    HTML on standard output."""
    from tutor import lesson_sessions
    from tutor.course import demo, handout
    from tutor.display.annotations import Annotations

    events: list[tuple[str, str]] = []
    session, greeting = lesson_sessions.sim_session(lesson, annotator=Annotations())
    events += [(item.kind, item.text) for item in greeting]
    try:
        result = demo.play(lesson, session, lambda kind, text: events.append((kind, text)))
    finally:
        session.close()
    sys.stdout.write(handout.render(fmt, lesson, events))
    return 0 if result.ok else 1


def run_demo(lesson: Lesson, args: argparse.Namespace) -> int:
    """Play the lesson's solutions; 0 only when every step passed."""
    from tutor import lesson_sessions
    from tutor.course import demo
    from tutor.course.runner import LessonRunner
    from tutor.display.annotations import Annotations

    creds, record = None, getattr(args, "record", None)
    if args.connect:
        host, port, options = live_options(args, lesson)
        creds = Credentials(args.user, ask_password(args.user, f"{host}:{port}"))
        session, greeting = lesson_sessions.live_session(host, port, annotator=Annotations(reveal=False),
                                                         record=record, **options)
    else:
        session, greeting = lesson_sessions.sim_session(lesson, annotator=Annotations(), record=record)
    show = _printer(creds is not None)
    for item in greeting:
        show(item.kind, item.text)
    runner = LessonRunner(lesson, creds, live=creds is not None, target=session.target)
    interactive = not args.no_pause and sys.stdin.isatty() and sys.stdout.isatty()
    guard = demo_guard(show, args.allow_cleartext) if creds is not None else None
    try:
        result = demo.play(lesson, session, show, pause=_pause if interactive else None, runner=runner, guard=guard)
    finally:
        session.close()
        if session.transcript.recorder is not None:
            session.transcript.recorder.close()
            print(_t("demo-recorded", path=record))
    if result.ok:
        print(_t("demo-result-ok", number=lesson.number, title=lesson.title))
        return 0
    if result.stopped and not result.failed:
        print(_t("demo-result-stopped", number=lesson.number, title=lesson.title, passed=len(result.passed),
                 total=len(lesson.steps)))
        return 1
    print(_t("demo-result-failed", number=lesson.number, title=lesson.title, failed=len(result.failed),
             steps=", ".join(result.failed) or "-"))
    return 1


# ---- a lesson in the REPL ---------------------------------------------------------------------------------
def _live_shell(host: str, port: int, options: dict, allow_cleartext: bool, **shell_options: Any) -> Any:
    """The same Shell as `smtp-tutor connect`: credentials masked in what is shown, and the clear-text guard
    (tutor.repl.cleartext_guard) asking at a terminal, refusing in batch mode unless --allow-cleartext."""
    from tutor.cli.connect import LiveOptions
    from tutor.repl.live import LiveShell
    from tutor.transport.address import Address

    live = LiveOptions(Address(host, port), options["starttls"], options["tls"], options["insecure"],
                       options["cafile"], allow_cleartext=allow_cleartext)
    return LiveShell(live, **shell_options)


def resume_choice(lesson: Lesson, args: argparse.Namespace, progress: Progress, interactive: bool) -> bool | None:
    """--restart: start over (the steps passed forgotten); --resume: continue; at a terminal, ask when there is
    somewhere to continue from; else None (the lesson says how to continue)."""
    from tutor.course.runner import LessonRunner

    if args.restart:
        progress.reset(lesson.id)
        progress.save()
        return False
    if args.resume:
        return True
    index = LessonRunner(lesson, progress=progress).resume_index()
    if index is None or args.connect or not interactive:
        return None
    words = {"number": lesson.number, "step": index + 1, "total": len(lesson.steps), "title": lesson.steps[index].title}
    return _confirm(explain.text("course.progress.resume-ask", **words))


def run_interactive(lesson: Lesson, args: argparse.Namespace) -> int:
    """The REPL with the lesson started; batch mode (lines from stdin) when stdin is not a terminal.

    Exit status in batch mode: 0 only when the lesson was finished with every step passed (scripts and tests
    rely on it); at a terminal 0, since leaving a lesson half-way is the learner's right.
    """
    from tutor.cli.repl import use_color
    from tutor.repl import lesson_commands
    from tutor.repl.shell import Shell

    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    creds, opener = None, None
    if args.connect:
        host, port, options = live_options(args, lesson)
        creds = Credentials(args.user, ask_password(args.user, f"{host}:{port}"))
        shell = _live_shell(host, port, options, args.allow_cleartext, profile=lesson.sim.profile,
                            interactive=interactive)
        opener = shell.open_live
    else:
        shell = Shell(profile=lesson.sim.profile, interactive=interactive)
    shell.record = getattr(args, "record", None)      # --record, on the simulator or a live server
    progress = Progress()
    resume = resume_choice(lesson, args, progress, interactive)
    started: list = []

    def start() -> None:
        shell.starting = False
        if opener is not None:
            opener()
            shell.reconnect = opener
        started.append(lesson_commands.begin(shell, lesson, creds=creds, keep=opener is not None,
                                             progress=progress, resume=resume))
        shell.begin_recording()

    shell.start = start
    if interactive:
        from tutor.repl.app import ReplApp
        return ReplApp(shell, color=use_color(args)).run()
    from tutor.repl import batch
    batch.run(shell, sys.stdin)
    runner = started[0].runner if started else None
    return 0 if runner is not None and runner.finished and runner.all_passed else 1


def run(args: argparse.Namespace) -> int:
    given = [name for name in LIVE_ONLY if getattr(args, name)]
    if given and not args.connect:
        raise InputError(_t("needs-connect", options=", ".join("--" + name.replace("_", "-") for name in given)))
    if args.check:
        return check_files(args.check)
    if args.list or not args.name:
        progress = Progress()
        if progress.problem:
            print(progress.problem, file=sys.stderr)
        return list_lessons(progress)
    lesson = loader.find(args.name)
    if args.format:
        if args.connect:
            raise InputError(_t("handout-sim-only"))
        return write_handout(lesson, args.format)
    if args.demo:
        return run_demo(lesson, args)
    return run_interactive(lesson, args)
