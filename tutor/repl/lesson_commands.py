"""`:lesson list|start NAME|hint|next|back|restart|quit`: a guided lesson inside the REPL.

While a lesson runs, `shell.lesson` holds a LessonControl: the Shell calls its `before_send`/`after_send`
around every line sent and `after_helper` after every helper command, so each is checked; it shows
`status()` in the toolbar and `prompt_tag()` in the prompt.
"""

from __future__ import annotations

import shlex
from typing import Any, Callable

from tutor import explain
from tutor.course import loader
from tutor.course.facts import Credentials
from tutor.course.model import Lesson
from tutor.course.progress import Progress, listing
from tutor.course.runner import LessonRunner, Say
from tutor.course.view import COMMAND, View, view_of
from tutor.errors import InputError
from tutor.repl import commands
from tutor.session import Item

SAY_KINDS = {"lesson": "heading", "step": "heading", "task": "result", "explain": "note", "pass": "result",
             "fail": "warning", "hint": "note", "solution": "note", "note": "note", "info": "info",
             "done": "result"}
SUBCOMMANDS = ("list", "start", "hint", "next", "back", "restart", "quit")


def _t(key: str, **params: object) -> str:
    return explain.text(f"course.repl.{key}", **params)


def items(says: list[Say] | tuple[Say, ...]) -> list[Item]:
    """Runner output as display items (lesson kinds mapped onto tutor.display's)."""
    return [Item(SAY_KINDS.get(say.kind, "info"), say.text) for say in says]


class LessonControl:
    """A lesson running in a Shell: the runner, how to reopen its connection, and the hooks."""

    def __init__(self, lesson: Lesson, runner: LessonRunner, reopen: Callable[[], Any] | None = None) -> None:
        self.lesson = lesson
        self.runner = runner
        self.reopen = reopen

    # ---- the hooks the Shell calls -----------------------------------------------------------------
    def before_send(self, shell: Any) -> View | None:
        """Snapshot before a line goes to the server (None when there is no connection)."""
        session = shell.session
        return None if session is None or session.closed else view_of(session)

    def after_send(self, shell: Any, line: str, before: View | None) -> None:
        """Check the line the learner sent, with the server's answer, and show the verdict."""
        if before is None or shell.session is None or (not line and before.line_kind == COMMAND):
            return
        verdict = self.runner.line(line.encode("utf-8"), before, view_of(shell.session))
        shell.emit(items(verdict.says))

    def after_helper(self, shell: Any, name: str, args: list[str]) -> None:
        """Check a helper command the learner ran (`:b64 decode ...`)."""
        view = view_of(shell.session) if shell.session is not None else View()
        shell.emit(items(self.runner.helper(name, args, view).says))

    def prompt_tag(self) -> str:
        return self.runner.prompt_tag()

    def status(self) -> str:
        return self.runner.status()


# ---- starting and stopping ------------------------------------------------------------------------------
def begin(shell: Any, lesson: Lesson, *, creds: Credentials | None = None, keep: bool = False,
          progress: Progress | None = None) -> LessonControl:
    """Start `lesson`: on a fresh simulator set up for it, or (`keep`) on the shell's current connection."""
    if creds is not None and creds.password:
        shell.remember_secret(creds.password)     # kept out of history and transcripts like any password
    reopen = shell.reconnect if keep else _sim_opener(shell, lesson)
    if not keep:
        reopen()
        shell.reconnect = reopen
    session = shell.session
    if session is None or session.closed:
        raise InputError(_t("no-connection"))
    live = not getattr(session.transport, "is_simulator", True)
    if live and lesson.simulator_only:
        raise InputError(explain.text("course.cli.simulator-only", number=lesson.number, title=lesson.title,
                                      option="--here"))
    runner = LessonRunner(lesson, creds, live=live, target=session.target,
                          progress=progress if progress is not None else Progress())
    control = LessonControl(lesson, runner, reopen)
    attach(shell, control)
    shell.emit(items(runner.start(view_of(session))))
    return control


def _sim_opener(shell: Any, lesson: Lesson) -> Callable[[], bool]:
    """Opens (and reopens, for :lesson restart and :connect) a fresh simulator set up for the lesson."""
    from tutor import lesson_sessions

    def reopen() -> bool:
        shell.connect(lesson_sessions.sim_transport(lesson))
        return True
    return reopen


def attach(shell: Any, control: LessonControl | None) -> None:
    """Make `control` the shell's running lesson (None: no lesson); the shell then calls its hooks."""
    shell.lesson = control


# ---- the :lesson command --------------------------------------------------------------------------------
def _control(shell: Any) -> LessonControl:
    control = getattr(shell, "lesson", None)
    if control is None:
        raise InputError(_t("none-running"))
    return control


def _list(shell: Any) -> None:
    errors: list[str] = []
    shell.info("\n".join(listing(Progress(), loader.load_all(errors=errors))))
    for error in errors:                # a broken lesson file is named, the others still listed
        shell.error(error)


def _start(shell: Any, words: list[str]) -> None:
    parser = commands.ArgumentParser("lesson start")
    parser.add_argument("name")
    parser.add_argument("--here", action="store_true")
    parser.add_argument("--user")
    args = commands.parse(parser, shlex.join(words))
    lesson = loader.find(args.name)
    creds = None
    if args.user and not (args.here and shell.session is not None and not shell.session.closed):
        raise InputError(_t("user-needs-here"))
    if args.here and lesson.simulator_only and shell.session is not None \
            and not getattr(shell.session.transport, "is_simulator", True):    # before asking for a password
        raise InputError(explain.text("course.cli.simulator-only", number=lesson.number, title=lesson.title,
                                      option="--here"))
    if args.user:
        creds = Credentials(args.user, shell.ask_secret(explain.text("course.cli.ask-password", user=args.user,
                                                                      target=shell.session.target)))
    begin(shell, lesson, creds=creds, keep=args.here)


def _restart(shell: Any, control: LessonControl) -> None:
    if control.reopen is not None:
        control.reopen()
    shell.emit(items(control.runner.restart()))


def run_lesson(shell: Any, text: str) -> bool:
    words = commands.words(text)
    sub = words[0].lower() if words else ""
    if sub not in SUBCOMMANDS:
        control = getattr(shell, "lesson", None)
        shell.info(control.status() if control is not None and not sub else _t("usage"))
        return not sub or sub in SUBCOMMANDS
    if sub == "list":
        _list(shell)
    elif sub == "start":
        _start(shell, words[1:])
    elif sub == "quit":
        control = _control(shell)
        attach(shell, None)
        shell.info(_t("quit", title=control.lesson.title))
    elif sub == "restart":
        _restart(shell, _control(shell))
    else:
        runner = _control(shell).runner
        shell.emit(items({"hint": runner.hint, "next": runner.next, "back": runner.back}[sub]()))
    return True


def complete(view: Any, done: list[str]) -> list[str]:
    if not done:
        return list(SUBCOMMANDS)
    if done[0] == "start" and len(done) == 1:
        try:
            return [lesson.slug for lesson in loader.load_all()]
        except Exception:   # completion must never break the prompt
            return []
    return ["--here", "--user"] if done[0] == "start" else []


commands.register(commands.ReplCommand("lesson", _t("syntax"), _t("summary"), _t("help"), run_lesson, complete))
