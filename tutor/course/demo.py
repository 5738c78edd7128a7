"""Plays a lesson's solutions through a Session, with the explanations: for teachers to project, and for CI
to prove every lesson runs to the end. The caller makes the session (simulator or live) and does the I/O:
`show(kind, text)` prints, `pause()` waits between steps (False stops the demo).

Kinds given to `show`: the runner's Say kinds, tutor.session item kinds (C, S, note, sim, detail, error),
"echo" for a helper line played, and "helper-<display kind>" for a helper's output."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutor import explain
from tutor.course import facts
from tutor.course.runner import PASS, LessonRunner, Say
from tutor.course.view import View, view_of
from tutor.errors import InputError, TutorError

if TYPE_CHECKING:
    from tutor.interfaces import SessionLike

Show = Callable[[str, str], None]
Guard = Callable[[Any, str], None]   # (session, line): returns when the line may go out, raises Refused if not


class Refused(TutorError):
    """A guard kept a solution line off the network (credentials in clear text): the demo stops there."""
HELPER_KINDS = {"label": "step", "note": "step"}   # a helper's rendered lines as display kinds (as the REPL)
HELPER_PREFIX = "helper-"                           # show() gets them as helper-heading, helper-step...


@dataclass
class DemoResult:
    """Which steps the demo passed and which it did not; `ok` only when every step passed."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.stopped


def _emit(show: Show, says: list[Say] | tuple[Say, ...]) -> None:
    for say in says:
        show(say.kind, say.text)


def _emit_items(show: Show, items: list[Any], live: bool) -> None:
    """Session items (wire lines and notes); credentials hidden on a live server."""
    for item in items:
        text = "***" if live and getattr(item, "secret", False) else item.text
        show(item.kind, text)


def split_helper(line: str) -> tuple[str, list[str]]:
    """`:b64 encode tim` -> ("b64", ["encode", "tim"]); InputError for unbalanced quotes."""
    try:
        words = shlex.split(line[1:])
    except ValueError as exc:
        raise InputError(f"cannot split {line!r}: {exc}") from None
    if not words:
        raise InputError("an empty helper command")
    return words[0], words[1:]


def run_helper(name: str, args: list[str], session: SessionLike, show: Show) -> Any:
    """Run one of tutor.helpers' commands as the REPL would, showing its working; returns its Result.data."""
    from tutor.helpers.registry import HELPERS
    from tutor.helpers.render import render_lines
    from tutor.helpers.result import Context

    helper = HELPERS.get(name)
    if helper is None:
        raise InputError(f"no helper called :{name}")
    parser = argparse.ArgumentParser(prog=f":{name}", add_help=False, exit_on_error=False)
    helper.configure(parser)
    try:
        namespace = parser.parse_args(args)
    except (argparse.ArgumentError, SystemExit) as exc:
        raise InputError(f":{name}: {exc}") from None

    def no_password(prompt: str) -> str:
        raise InputError("the demo cannot ask for a password: give it on the helper's line")

    result = helper.run(namespace, Context.of_session(session, no_password))
    for kind, text in render_lines(result):
        show(HELPER_PREFIX + HELPER_KINDS.get(kind, kind), text)
    return result.data


def play_line(runner: LessonRunner, session: SessionLike, template_index: int, show: Show, guard: Guard | None = None):
    """Play one solution line (a wire line or a `:helper`) and return the runner's verdict.

    `guard` sees every wire line before it is sent (the CLI passes the live clear-text guard,
    tutor.repl.cleartext_guard); it raises a TutorError to keep the line off the network."""
    before = view_of(session)
    line = runner.solution_line(template_index, before)
    if line.startswith(":"):
        name, args = split_helper(line)
        show("echo", runner.solution_line(template_index, before, real=False))
        data = run_helper(name, args, session, show)
        return runner.helper(name, args, view_of(session), data)
    if guard is not None:
        guard(session, line)
    items = session.send(line.encode("utf-8"), typed=False)
    _emit_items(show, items, before.live)
    return runner.line(line.encode("utf-8"), before, view_of(session))


def play_step(runner: LessonRunner, session: SessionLike, show: Show, guard: Guard | None = None) -> bool:
    """Play the current step's solution; True when the step passed (on its last line, as it should)."""
    step = runner.step
    if step.reading:
        _emit(show, runner.next())
        return True
    count = len(runner.solution_templates())
    for index in range(count):
        try:
            verdict = play_line(runner, session, index, show, guard)
        except Refused:
            raise
        except TutorError as exc:
            show("error", str(exc))
            return False
        _emit(show, verdict.says)
        if verdict.status == PASS:
            return index == count - 1
    return False


def scrubbed(show: Show, runner: LessonRunner) -> Show:
    """On a live server: `show` with the learner's password (plain and in base64) replaced by ***."""
    if not runner.live or not runner.creds.password:
        return show
    found = facts.values(runner.creds, View())
    secrets = sorted({found[name] for name, secret in facts.FIELDS.items() if secret and found.get(name)},
                     key=len, reverse=True)

    def show_scrubbed(kind: str, text: str) -> None:
        for secret in secrets:
            text = text.replace(secret, "***")
        show(kind, text)
    return show_scrubbed


def play(lesson: Any, session: SessionLike, show: Show, *, pause: Callable[[], bool] | None = None,
         runner: LessonRunner | None = None, guard: Guard | None = None) -> DemoResult:
    """Play every step's solution in order; a step that does not pass is reported and skipped. `guard` checks
    each wire line before it is sent (see play_line)."""
    first = view_of(session)
    runner = runner or LessonRunner(lesson, live=first.live, target=getattr(session, "target", ""))
    show = scrubbed(show, runner)
    _emit(show, runner.start(first))
    result = DemoResult()
    while not runner.finished:
        step, index = runner.step, runner.index
        try:
            played = play_step(runner, session, show, guard)
        except Refused as exc:
            show("error", str(exc))
            result.failed.append(step.id)
            result.stopped = True
            break
        if played and step.id in runner.passed:
            result.passed.append(step.id)
        else:
            result.failed.append(step.id)
            show("error", explain.text("course.cli.demo-step-failed", title=step.title))
            if runner.finished or runner.index < index:
                break          # the runner went back (the server ended an exchange): no way on from here
            if runner.index == index:
                _emit(show, runner.next())
        if not runner.finished and pause is not None and not pause():
            result.stopped = True
            break
    return result
