"""`:lesson list|start NAME|hint|next|back|restart|quit`: a guided lesson inside the REPL.

While a lesson runs, `shell.lesson` holds a LessonControl and every line the learner sends (and every
helper they run) is checked by it. The Shell calls its hooks when it supports them (class attribute
`LESSON_HOOKS`); until then `attach()` wraps the shell's `send`, the helper commands and `view` itself.
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import Any, Callable

from tutor import explain
from tutor.course import loader
from tutor.course.facts import Credentials
from tutor.course.model import Lesson
from tutor.course.progress import Progress
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
    from tutor import lesson_sessions

    reopen = shell.reconnect
    if not keep:
        def reopen() -> bool:
            shell.connect(lesson_sessions.sim_transport(lesson))
            return True
        reopen()
        shell.reconnect = reopen
    session = shell.session
    if session is None or session.closed:
        raise InputError(_t("no-connection"))
    live = not getattr(session.transport, "is_simulator", True)
    runner = LessonRunner(lesson, creds, live=live, target=session.target,
                          progress=progress if progress is not None else Progress())
    control = LessonControl(lesson, runner, reopen)
    attach(shell, control)
    shell.emit(items(runner.start(view_of(session))))
    return control


def attach(shell: Any, control: LessonControl | None) -> None:
    shell.lesson = control
    if control is not None and not getattr(type(shell), "LESSON_HOOKS", False):
        _install_fallback(shell)


def _install_fallback(shell: Any) -> None:
    """Until the Shell calls the hooks itself: wrap its send, the helper commands and its view."""
    if getattr(shell, "_lesson_fallback", False):
        return
    shell._lesson_fallback = True
    send, view = shell.send, shell.view

    def checked_send(line: str, *, typed: bool = True) -> bool:
        control = getattr(shell, "lesson", None)
        before = control.before_send(shell) if control is not None else None
        ok = send(line, typed=typed)
        if control is not None:
            control.after_send(shell, line, before)
        return ok

    def lesson_view() -> Any:
        shown, control = view(), getattr(shell, "lesson", None)
        if control is None or not shown.connected:
            return shown
        return dataclasses.replace(shown, target=f"{shown.target} | {control.status()}")

    shell.send, shell.view = checked_send, lesson_view
    for name, command in list(commands.ensure_loaded().items()):
        if "helper" in command.data and not command.data.get("lesson-checked"):
            commands.register(dataclasses.replace(command, run=_checked_helper(command),
                                                  data={**command.data, "lesson-checked": True}))


def _checked_helper(command: commands.ReplCommand) -> commands.Runner:
    def run(shell: Any, text: str) -> bool | None:
        ok = command.run(shell, text)
        control = getattr(shell, "lesson", None)
        if control is not None and ok is not False and not getattr(type(shell), "LESSON_HOOKS", False):
            control.after_helper(shell, command.name, commands.words(text))
        return ok
    return run


# ---- the :lesson command --------------------------------------------------------------------------------
def _control(shell: Any) -> LessonControl:
    control = getattr(shell, "lesson", None)
    if control is None:
        raise InputError(_t("none-running"))
    return control


def _list(shell: Any) -> None:
    progress = Progress()
    lines = [explain.text("course.cli.list-heading", path=progress.path)]
    for lesson in loader.load_all():
        done, started = progress.completed(lesson.id), bool(progress.passed(lesson.id))
        mark = explain.text("course.cli.mark-" + ("done" if done else "started" if started else "new"))
        lines.append(explain.text("course.cli.list-line", mark=mark, number=lesson.number, slug=lesson.slug,
                                  title=lesson.title, minutes=lesson.minutes, level=lesson.level))
    shell.info("\n".join(lines))


def _start(shell: Any, words: list[str]) -> None:
    parser = commands.ArgumentParser("lesson start")
    parser.add_argument("name")
    parser.add_argument("--here", action="store_true")
    parser.add_argument("--user")
    args = commands.parse(parser, shlex.join(words))
    lesson = loader.find(args.name)
    creds = None
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
