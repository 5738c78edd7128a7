"""Getting a learner unstuck: where the connection must stand at each step (its checkpoint, learnt by playing the
lesson's solutions once on a fresh simulator), and putting it back there (a fresh connection, the earlier
steps' solutions replayed) when it is somewhere the step cannot be done from.

Sans-IO like tutor.course.demo: the caller gives the sessions (duck-typed tutor.session.Session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tutor.course import demo
from tutor.course.checkbase import NOTHING
from tutor.course.checks import CHECKS
from tutor.course.model import Lesson
from tutor.course.runner import LessonRunner
from tutor.course.view import View, view_of

if TYPE_CHECKING:
    from tutor.interfaces import SessionLike

Signature = tuple
Show = Callable[[str, str], None]


def signature(view: View | None) -> Signature:
    """What a step depends on in a connection: open or not, the SMTP state, TLS, login, the exchange under way,
    the mechanisms the last EHLO listed, and how far the last exchange went (helpers such as `:scram` read it)."""
    if view is None or view.closed:
        return ("closed",)
    return (view.state.name, view.tls, view.authenticated, view.mechanism, view.responses,
            tuple(view.capabilities.auth_mechanisms), len(view.messages), view.challenge is not None)


def _quiet(kind: str, text: str) -> None:
    """A show() that shows nothing."""


def checkpoints(lesson: Lesson, session: SessionLike) -> dict[int, Signature]:
    """step index -> the signature of the connection before that step, when the solutions are played in order on
    `session` (a fresh simulator set up for the lesson)."""
    runner = LessonRunner(lesson)
    marks: dict[int, Signature] = {}
    for _ in range(4 * len(lesson.steps) + 4):           # bounded: a step that fails is skipped below
        if runner.finished:
            break
        index = runner.index
        marks.setdefault(index, signature(view_of(session)))
        try:
            demo.play_step(runner, session, _quiet)
        except demo.Refused:
            break
        if not runner.finished and runner.index <= index:
            runner.next()
    return marks


def needs_connection(lesson: Lesson, index: int) -> bool:
    """Does this step use the connection? Every step but a reading one: helpers read its last challenge."""
    kind = CHECKS.get(lesson.steps[index].check.kind)
    return kind is not None and kind.target != NOTHING


def replay(lesson: Lesson, session: SessionLike, target: int, show: Show) -> list[str]:
    """Play the solutions of the steps before `target` (reading ones aside) on a fresh `session`, as the
    checkpoints were made; the ids of the steps played."""
    shadow = LessonRunner(lesson, live=False)
    played: list[str] = []
    for _ in range(4 * len(lesson.steps) + 4):
        if shadow.finished or shadow.index >= target:
            break
        index = shadow.index
        if needs_connection(lesson, index):
            played.append(lesson.steps[index].id)
            demo.play_step(shadow, session, show)
        if not shadow.finished and shadow.index <= index:
            shadow.go(index + 1)
    return played


def reason(view: View | None, expected: Signature) -> str:
    """Why the connection is not where the step starts, as a `course.repl.off-course.*` key."""
    if view is None or view.closed:
        return "closed"
    if expected == ("closed",):
        return "other"
    state, tls, authenticated, mechanism = expected[:4]
    if view.authenticated and not authenticated:
        return "logged-in"
    if view.mechanism and not mechanism:
        return "in-exchange"
    if mechanism and view.mechanism != mechanism:
        return "no-exchange"
    if view.state.name in ("MAIL", "RCPT", "DATA") and view.state.name != state:
        return "in-transaction"
    if tls and not view.tls:
        return "no-tls"
    return "other"
