"""`:lesson list|start NAME|hint|next|back|restart|quit`: a guided lesson inside the REPL.

While a lesson runs, `shell.lesson` holds a LessonControl: the Shell asks its `intercept` before a line goes
out (a bare `next` or `hint` is answered, not sent), calls `before_send`/`after_send` around every line sent and
`after_helper` after every helper command, so each is checked; it shows `status()` in the toolbar and
`prompt_tag()` in the prompt. `:lesson hint` first brings the connection back to where the step starts when it
is not there (tutor.course.recovery), so no state is a dead end.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tutor import escapes, explain
from tutor.course import loader, recovery
from tutor.course.facts import Credentials
from tutor.course.model import Lesson
from tutor.course.progress import Progress, listing
from tutor.course.runner import FAIL, LessonRunner, Say
from tutor.course.view import COMMAND, View, view_of
from tutor.errors import InputError
from tutor.repl import commands
from tutor.session import Item

if TYPE_CHECKING:
    from tutor.interfaces import ShellLike

SAY_KINDS = {"lesson": "heading", "step": "heading", "task": "result", "explain": "note", "pass": "result",
             "fail": "warning", "hint": "note", "solution": "note", "note": "note", "info": "info",
             "done": "result"}
SUBCOMMANDS = ("list", "start", "hint", "next", "back", "restart", "quit")
BARE_WORDS = {"next": ":lesson next", "hint": ":lesson hint", "skip": ":lesson next", "back": ":lesson back",
              "solution": ":lesson hint", "restart": ":lesson restart"}
WIRE_KINDS = ("C", "S")
MESSAGE_KIND = "message"


def _t(key: str, **params: object) -> str:
    return explain.text(f"course.repl.{key}", **params)


def items(says: list[Say] | tuple[Say, ...]) -> list[Item]:
    """Runner output as display items (lesson kinds mapped onto tutor.display's)."""
    return [Item(SAY_KINDS.get(say.kind, "info"), say.text) for say in says]


class LessonControl:
    """A lesson running in a Shell: the runner, how to reopen its connection, and the hooks."""

    def __init__(self, lesson: Lesson, runner: LessonRunner, reopen: Callable[[], Any] | None = None,
                 target: str = "") -> None:
        self.lesson = lesson
        self.runner = runner
        self.reopen = reopen
        self.target = target            # the simulator the lesson runs on (`sim:PROFILE`), "" on a live server
        self._marks: dict | None = None

    # ---- the hooks the Shell calls -----------------------------------------------------------------
    def intercept(self, shell: ShellLike, line: str) -> bool:
        """A bare `next`, `hint`, `skip`... typed as a command line: answered here, not sent (True)."""
        word = line.strip().lower()
        session = shell.session
        if word not in BARE_WORDS or (session is not None and not session.closed
                                      and session.client.line_kind() == MESSAGE_KIND):
            return False
        shell.info(_t("bare-word", typed=line.strip(), command=BARE_WORDS[word]))
        return True

    def before_send(self, shell: ShellLike) -> View | None:
        """Snapshot before a line goes to the server (None when there is no connection)."""
        session = shell.session
        return None if session is None or session.closed else view_of(session)

    def after_send(self, shell: ShellLike, line: str, before: View | None) -> None:
        """Check the line the learner sent, with the server's answer, and show the verdict."""
        if before is None or shell.session is None or (not line and before.line_kind == COMMAND):
            return
        after = view_of(shell.session)
        verdict = self.runner.line(line.encode("utf-8"), before, after)
        shell.emit(items(verdict.says))
        reply = after.last_reply
        if after.closed and reply is not None and reply.code == 421 and reply is not before.last_reply:
            shell.info(_t("closed-421", text=escapes.show(reply.text.encode("utf-8"))[:200]))
        elif verdict.status == FAIL and self.off_course(shell):
            shell.info(_t("off-course-offer"))

    def after_helper(self, shell: ShellLike, name: str, args: list[str], result: Any = None) -> None:
        """Check a helper command the learner ran (`:b64 decode ...`); `result` is what it computed."""
        view = view_of(shell.session) if shell.session is not None else View()
        shell.emit(items(self.runner.helper(name, args, view, result).says))

    def prompt_tag(self) -> str:
        return self.runner.prompt_tag()

    def status(self) -> str:
        return self.runner.status()

    # ---- getting unstuck ---------------------------------------------------------------------------
    def checkpoint(self, index: int) -> tuple | None:
        """Where the connection must stand before step `index` (None: unknown, e.g. on a live server)."""
        if self.reopen is None or self.runner.live or not self.target:
            return None
        if self._marks is None:
            from tutor import lesson_sessions
            self._marks = lesson_sessions.checkpoints(self.lesson)
        return self._marks.get(index)

    def off_course(self, shell: ShellLike) -> bool:
        """Is the connection somewhere the current step cannot be done from?"""
        runner = self.runner
        if runner.finished or runner.step.reading or not recovery.needs_connection(self.lesson, runner.index):
            return False
        expected = self.checkpoint(runner.index)
        if expected is None:
            return False
        session = shell.session
        if session is None or session.closed or session.target != self.target:
            return True
        return recovery.signature(view_of(session)) != expected

    def hint(self, shell: ShellLike) -> None:
        """`:lesson hint`: first put the connection where the step starts, if it is not; then the next hint."""
        if self.off_course(shell):
            self.restore(shell)
        elif not self.target and self.reopen is not None and (shell.session is None or shell.session.closed) \
                and not self.runner.finished:
            shell.info(_t("live-closed"))             # a live server: nothing to replay on, so from step 1
            _restart(shell, self)
            return
        shell.emit(items(self.runner.hint()))

    def resume(self, shell: ShellLike, index: int) -> None:
        """Continue at step `index`: the lesson's heading, the earlier steps replayed on a fresh simulator, the step."""
        runner = self.runner
        runner.resume(index)
        assert shell.session is not None, "begin() opened the connection"
        says = runner.start(view_of(shell.session))
        step_at = next(i for i, say in enumerate(says) if say.kind == "step")
        shell.emit(items(says[:step_at]))
        self.restore(shell, explain.text("course.progress.resuming", step=index + 1, total=len(self.lesson.steps)),
                     reconnect=False)                     # begin() has just opened a fresh one
        shell.emit(items(says[step_at:]))

    def restore(self, shell: ShellLike, intro: str = "", reconnect: bool = True) -> None:
        """A fresh connection with the earlier steps' solutions replayed, said so, lines shown."""
        if not intro:
            session = shell.session
            view = None if session is None or session.closed or session.target != self.target else view_of(session)
            why = recovery.reason(view, self.checkpoint(self.runner.index) or ())
            intro = _t(f"off-course.{why}") + " " + _t("restoring", step=self.runner.index + 1)
        shell.info(intro)
        if (reconnect or shell.session is None or shell.session.closed) and self.reopen is not None:
            self.reopen()
        assert shell.session is not None, "a lesson always has a connection to replay on"
        shown: list[Item] = []
        played = recovery.replay(self.lesson, shell.session, self.runner.index,
                                 lambda kind, text: shown.append(Item(kind, text)) if kind in WIRE_KINDS else None)
        shell.emit(shown)
        titles = [self.lesson.steps[self.lesson.step_index(step_id)].title for step_id in played]
        shell.info(_t("restored", steps=", ".join(titles) or _t("restored-none")))


# ---- starting and stopping ------------------------------------------------------------------------------
def begin(shell: ShellLike, lesson: Lesson, *, creds: Credentials | None = None, keep: bool = False,
          progress: Progress | None = None, resume: bool | None = None) -> LessonControl:
    """Start `lesson`: on a fresh simulator set up for it, or (`keep`) on the shell's current connection.

    `resume`: True continues where the saved progress says the learner left off (the earlier steps replayed on
    the fresh simulator), False starts at step 1, None asks (`shell.confirm`) or, without a way to ask, says how.
    """
    if creds is not None and creds.password:
        shell.remember_secret(creds.password)     # kept out of history and transcripts like any password
    reopen = shell.reconnect
    if not keep:
        reopen = opener = _sim_opener(shell, lesson)
        opener()
        shell.reconnect = opener
    session = shell.session
    if session is None or session.closed:
        raise InputError(_t("no-connection"))
    live = not getattr(session.transport, "is_simulator", True)
    if live and lesson.simulator_only:
        raise InputError(explain.text("course.cli.simulator-only", number=lesson.number, title=lesson.title,
                                      option="--here"))
    progress = progress if progress is not None else Progress()
    if progress.problem:
        shell.info(progress.problem)
    runner = LessonRunner(lesson, creds, live=live, target=session.target, progress=progress)
    control = LessonControl(lesson, runner, reopen, "" if live or keep else session.target)
    attach(shell, control)
    index = runner.resume_index()
    if index is not None and _wants_resume(shell, control, index, resume):
        control.resume(shell, index)
        return control
    shell.emit(items(runner.start(view_of(session))))
    return control


def _wants_resume(shell: ShellLike, control: LessonControl, index: int, resume: bool | None) -> bool:
    lesson = control.lesson
    words = {"number": lesson.number, "step": index + 1, "total": len(lesson.steps), "title": lesson.steps[index].title}
    if not control.target:                       # a live server, or --here: nothing to replay the steps on
        shell.info(explain.text("course.progress.resume-live"))
        return False
    if resume is not None:
        return resume
    ask = getattr(shell, "confirm", None)
    if ask is not None and getattr(shell, "interactive", False):
        return bool(ask(explain.text("course.progress.resume-ask", **words)))
    shell.info(explain.text("course.progress.resume-note", **words))
    return False


def _sim_opener(shell: ShellLike, lesson: Lesson) -> Callable[[], bool]:
    """Opens (and reopens, for :lesson restart and :connect) a fresh simulator set up for the lesson."""
    from tutor import lesson_sessions

    def reopen() -> bool:
        shell.connect(lesson_sessions.sim_transport(lesson))
        return True
    return reopen


def attach(shell: ShellLike, control: LessonControl | None) -> None:
    """Make `control` the shell's running lesson (None: no lesson); the shell then calls its hooks."""
    shell.lesson = control


# ---- the :lesson command --------------------------------------------------------------------------------
def _control(shell: ShellLike) -> LessonControl:
    control = getattr(shell, "lesson", None)
    if control is None:
        raise InputError(_t("none-running"))
    return control


def _list(shell: ShellLike) -> None:
    errors: list[str] = []
    progress = Progress()
    if progress.problem:
        shell.info(progress.problem)
    shell.info("\n".join(listing(progress, loader.load_all(errors=errors))))
    for error in errors:                # a broken lesson file is named, the others still listed
        shell.error(error)


def _start(shell: ShellLike, words: list[str]) -> None:
    from tutor.repl.arguments import ArgumentParser

    parser = ArgumentParser("lesson start")
    parser.add_argument("name")
    parser.add_argument("--here", action="store_true")
    parser.add_argument("--user")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--resume", action="store_true")
    choice.add_argument("--restart", action="store_true")
    args = commands.parse(parser, shlex.join(words))
    lesson = loader.find(args.name)
    creds = None
    if args.user and not (args.here and shell.session is not None and not shell.session.closed):
        raise InputError(_t("user-needs-here"))
    if args.here and lesson.simulator_only and shell.session is not None \
            and not getattr(shell.session.transport, "is_simulator", True):    # before asking for a password
        raise InputError(explain.text("course.cli.simulator-only", number=lesson.number, title=lesson.title,
                                      option="--here"))
    if args.user and shell.session is not None:     # (--user without a connection was refused above)
        creds = Credentials(args.user, shell.ask_secret(explain.text("course.cli.ask-password", user=args.user,
                                                                      target=shell.session.target)))
    progress = Progress()
    if args.restart:
        progress.reset(lesson.id)
        progress.save()
    begin(shell, lesson, creds=creds, keep=args.here, progress=progress,
          resume=True if args.resume else False if args.restart else None)


def _restart(shell: ShellLike, control: LessonControl) -> None:
    if control.reopen is not None:
        control.reopen()
    shell.emit(items(control.runner.restart()))


def run_lesson(shell: ShellLike, text: str) -> bool:
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
    elif sub == "hint":
        _control(shell).hint(shell)
    else:
        runner = _control(shell).runner
        shell.emit(items({"next": runner.next, "back": runner.back}[sub]()))
    return True


def complete(view: Any, done: list[str]) -> list[str]:
    if not done:
        return list(SUBCOMMANDS)
    if done[0] == "start" and len(done) == 1:
        try:
            return [lesson.slug for lesson in loader.load_all()]
        except Exception:   # completion must never break the prompt
            return []
    return ["--here", "--user", "--resume", "--restart"] if done[0] == "start" else []


commands.register(commands.ReplCommand("lesson", _t("syntax"), _t("summary"), _t("help"), run_lesson, complete))
