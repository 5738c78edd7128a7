"""The lesson runner: which step the learner is on, whether what they did passes it, and what to say.

Sans-IO: it takes Attempts (a line with the views before and after the server answered, or a helper
command) and returns Says (kind, text) for the caller to show. Words come from the lesson file and
tutor/data/course.toml; progress is recorded in a tutor.course.progress.Progress when one is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor import explain
from tutor.course import facts
from tutor.course.checkbase import HELPER, NOTHING, WIRE, Fail, Pass
from tutor.course.checks import CHECKS
from tutor.course.facts import Credentials
from tutor.course.model import Lesson, Step
from tutor.course.progress import Progress
from tutor.course.view import Attempt, View, reply_between

PASS, FAIL, WAIT = "pass", "fail", "wait"
EXCHANGE_KINDS = ("base64-of", "plain-response", "login-username", "login-password", "cram-response", "cancel",
                  "scram-client-final", "bearer-error-answer")
STARTS_EXCHANGE = ("auth-command", "scram-client-first", "bearer-response")   # where a rewind goes back to


@dataclass(frozen=True)
class Say:
    """One thing to show: `kind` is lesson, step, task, explain, pass, fail, hint, solution, note, info or done."""

    kind: str
    text: str


@dataclass(frozen=True)
class Verdict:
    """What the runner made of an attempt: PASS, FAIL or WAIT (nothing judged), and what to show."""

    status: str
    says: tuple[Say, ...] = ()
    step_id: str = ""


def _t(key: str, **params: object) -> str:
    return explain.text(f"course.{key}", **params)


class LessonRunner:
    """Walks one lesson. `live` marks a real server (secrets masked, `reply_live`/`explain_live` used)."""

    def __init__(self, lesson: Lesson, creds: Credentials | None = None, *, live: bool = False, target: str = "",
                 progress: Progress | None = None) -> None:
        self.lesson = lesson
        self.creds = creds or Credentials(lesson.sim.user, lesson.sim.password())
        self.live = live
        self.target = target
        self.progress = progress
        self.index = 0
        self.passed: set[str] = set()
        self.finished = False
        self.view = View(live=live)
        self._hint_level = 0
        self._failures = 0

    # ---- where we are -----------------------------------------------------------------------------
    @property
    def step(self) -> Step:
        return self.lesson.steps[min(self.index, len(self.lesson.steps) - 1)]

    @property
    def all_passed(self) -> bool:
        return all(step.id in self.passed for step in self.lesson.steps)

    def status(self) -> str:
        """One line for a toolbar: lesson, step number and title."""
        if self.finished:
            return _t("status.done", lesson=self.lesson.title)
        return _t("status.step", number=self.lesson.number, lesson=self.lesson.title, step=self.index + 1,
                  total=len(self.lesson.steps), title=self.step.title)

    def prompt_tag(self) -> str:
        """A short tag for the prompt, e.g. `L5 2/6`."""
        if self.finished:
            return _t("prompt.done", number=self.lesson.number)
        return _t("prompt.step", number=self.lesson.number, step=self.index + 1, total=len(self.lesson.steps))

    def render(self, template: str, view: View | None = None, extra: dict | None = None, *,
               real: bool = False, strip: bool = True) -> str:
        """Fill a template for the current step; secrets masked on a live server unless `real`."""
        authzid = self.step.check.get("authzid")
        return facts.render(template, self.creds, view or self.view, target=self.target,
                            mask=self.live and not real, extra=extra, strip=strip,
                            authzid=authzid if isinstance(authzid, str) else None)

    # ---- showing ----------------------------------------------------------------------------------
    def start(self, view: View | None = None) -> list[Say]:
        """The lesson's heading and its first step."""
        self.view = view or self.view
        heading = _t("lesson.heading", number=self.lesson.number, title=self.lesson.title,
                     minutes=self.lesson.minutes, level=self.lesson.level)
        intro = [Say("lesson", heading), Say("info", self.render(self.lesson.summary))]
        if self.live:
            intro.append(Say("info", _t("lesson.live", target=self.target)))
        return intro + self.show_step()

    def show_step(self) -> list[Say]:
        """The current step: its heading, narrative and task."""
        step = self.step
        says = [Say("step", _t("step.heading", step=self.index + 1, total=len(self.lesson.steps), title=step.title)),
                Say("info", self.render(step.say))]
        task = self.render(step.task) if step.task else _t("step.reading")
        return says + [Say("task", task)]

    def solution(self, view: View | None = None, *, real: bool = True) -> list[str]:
        """The current step's solution lines, filled in (real values for the demo; masked for showing live).

        An entry with newlines (a message text) gives one line each; they are filled in one at a time by
        `solution_line` when played, since a line may need the challenge the one before it brought.
        """
        return [self.solution_line(i, view, real=real) for i in range(len(self.solution_templates()))]

    def solution_templates(self) -> list[str]:
        return [line for entry in self.step.solution for line in entry.split("\n")]

    def solution_line(self, index: int, view: View | None = None, *, real: bool = True) -> str:
        return self.render(self.solution_templates()[index], view, real=real, strip=False)

    # ---- judging ----------------------------------------------------------------------------------
    def line(self, line: bytes, before: View, after: View) -> Verdict:
        """Judge one line the learner sent, given the views before it and after the server answered."""
        return self.attempt(Attempt(before, after, line=line, reply=reply_between(before, after)))

    def helper(self, name: str, args: list[str] | tuple[str, ...], view: View, result: object = None) -> Verdict:
        """Judge a helper command (`:b64 decode ...` is name "b64", args ["decode", "..."]); `result` is the
        helper's Result.data when known."""
        return self.attempt(Attempt(view, view, helper=name, args=tuple(args), result=result))

    def attempt(self, attempt: Attempt) -> Verdict:
        self.view = attempt.after
        if self.finished:
            return Verdict(WAIT)
        step = self.step
        kind = CHECKS[step.check.kind]
        if kind.target == NOTHING or (kind.target == WIRE and attempt.helper is not None):
            return Verdict(WAIT, step_id=step.id)
        outcome = kind.run(step.check.params, attempt, self.creds)
        if isinstance(outcome, Pass):
            outcome = self._reply_problem(step, attempt) or outcome
        if isinstance(outcome, Pass):
            return Verdict(PASS, tuple(self._passed(step, attempt, outcome)), step.id)
        if isinstance(outcome, Fail):
            return Verdict(FAIL, tuple(self._failed(step, attempt, outcome)), step.id)
        if attempt.after.closed:
            return Verdict(WAIT, (Say("fail", self.fail_text(step, Fail("closed"))),), step.id)
        return Verdict(WAIT, step_id=step.id)

    def _reply_problem(self, step: Step, attempt: Attempt) -> Fail | None:
        codes = step.expected_replies(self.live)
        if not codes:
            return None
        if attempt.reply is None:
            return Fail("no-reply")
        if attempt.reply.code not in codes:
            return Fail("unexpected-reply", {"got": attempt.reply.code, "wanted": " or ".join(map(str, codes))})
        return None

    def _passed(self, step: Step, attempt: Attempt, outcome: Pass) -> list[Say]:
        says = [Say("pass", _t("pass", title=step.title, **outcome.params))]
        if outcome.note:
            says.append(Say("note", explain.text(outcome.note, **outcome.params)))
        text = step.explanation(self.live)
        if text:
            says.append(Say("explain", self.render(text, attempt.after, outcome.params)))
        self._record(step)
        return says + self._advance()

    def _failed(self, step: Step, attempt: Attempt, outcome: Fail) -> list[Say]:
        says = [Say("fail", self.fail_text(step, outcome, attempt.after))]
        if (step.check.kind in STARTS_EXCHANGE and outcome.key != "no-message"   # no-message: just go on with it
                and attempt.after.in_auth and not attempt.before.in_auth):
            says.append(Say("info", _t("open-exchange", mechanism=attempt.after.mechanism or "AUTH")))
        self._failures += 1
        if self._failures == 1 and (step.hints or step.solution):
            says.append(Say("info", _t("hint-offer")))
        return says + self._rewind(step, attempt)

    def fail_text(self, step: Step, outcome: Fail, view: View | None = None) -> str:
        """The step's own words for this failure, else the check kind's, else the common ones."""
        template = step.fail.get(outcome.key)
        for key in (f"course.fail.{step.check.kind}.{outcome.key}", f"course.fail.common.{outcome.key}"):
            if template is None and isinstance(explain.lookup(key), str):
                template = explain.lookup(key)
        if template is None:
            template = explain.text("course.fail.unknown", key=outcome.key)
        return self.render(template, view, outcome.params)

    def _rewind(self, step: Step, attempt: Attempt) -> list[Say]:
        """When the server ended the AUTH exchange this step lives in, go back to the step that starts it."""
        if step.check.kind not in EXCHANGE_KINDS or attempt.after.in_auth or attempt.after.closed:
            return []
        if not attempt.before.in_auth:
            return []
        for index in range(self.index - 1, -1, -1):
            if self.lesson.steps[index].check.kind in STARTS_EXCHANGE:
                self._go(index)
                return [Say("info", _t("rewind", title=self.step.title)), Say("task", self.render(self.step.task))]
        return []

    # ---- moving -----------------------------------------------------------------------------------
    def go(self, index: int) -> None:
        """To step `index` (clamped), without showing it; hints start again from the first."""
        self._go(index)

    def _go(self, index: int) -> None:
        self.index = max(0, min(index, len(self.lesson.steps) - 1))
        self._hint_level = 0
        self._failures = 0
        if self.progress is not None and not self.finished:     # saved per step, for `lesson NAME` to resume
            self.progress.move(self.lesson.id, self.step.id)
            self.progress.save()

    def resume_index(self) -> int | None:
        """Where the learner left this lesson, by the saved progress (None: nothing to resume)."""
        if self.progress is None or self.progress.completed(self.lesson.id):
            return None
        at = self.progress.position(self.lesson.id)
        ids = [step.id for step in self.lesson.steps]
        passed = self.progress.passed(self.lesson.id) & set(ids)
        if at in ids and ids.index(at) > 0:
            index = ids.index(at)
        else:
            index = next((i for i, step_id in enumerate(ids) if step_id not in passed), 0) if passed else 0
        return index or None

    def resume(self, index: int) -> None:
        """Continue at step `index`, with the steps passed before (saved progress) counted as passed."""
        if self.progress is not None:
            self.passed |= self.progress.passed(self.lesson.id) & {step.id for step in self.lesson.steps}
        self.finished = False
        self._go(index)

    def _record(self, step: Step) -> None:
        self.passed.add(step.id)
        if self.progress is not None:
            self.progress.record(self.lesson.id, step.id)
            self.progress.save()

    def _advance(self) -> list[Say]:
        """To the next step; tutor-only steps already passed (after a rewind) are not asked again."""
        index = self.index + 1
        while index < len(self.lesson.steps) and self._done_offline(self.lesson.steps[index]):
            index += 1
        if index >= len(self.lesson.steps):
            return self._finish()
        self._go(index)
        return self.show_step()

    def _done_offline(self, step: Step) -> bool:
        return step.id in self.passed and CHECKS[step.check.kind].target in (HELPER, NOTHING)

    def _finish(self) -> list[Say]:
        self.finished = True
        if self.progress is not None:
            self.progress.move(self.lesson.id, None)
        if self.progress is not None and self.all_passed:
            self.progress.complete(self.lesson.id)
        says = [Say("done", _t("done", title=self.lesson.title, passed=len(self.passed),
                                total=len(self.lesson.steps)))]
        problem = self.progress.save() if self.progress is not None else ""
        return says + ([Say("info", problem)] if problem else [])

    def next(self) -> list[Say]:
        """Go on: a reading step counts as done; any other step is skipped (not passed)."""
        if self.finished:
            return [Say("info", _t("already-done"))]
        step = self.step
        if step.reading:
            self._record(step)
            return self._advance()
        return [Say("info", _t("skipped", title=step.title))] + self._advance()

    def back(self) -> list[Say]:
        self.finished = False
        self._go(self.index - 1)
        return self.show_step()

    def restart(self) -> list[Say]:
        """From the first step again (the caller opens a fresh connection)."""
        self.finished = False
        self.passed.clear()
        if self.progress is not None:
            self.progress.reset(self.lesson.id)
            self.progress.save()
        self._go(0)
        return self.start()

    def hint(self) -> list[Say]:
        """The next hint; after the last one, the solution."""
        step = self.step
        if self.finished:
            return [Say("info", _t("already-done"))]
        if step.reading:
            return [Say("hint", _t("step.reading"))]
        if self._hint_level < len(step.hints):
            self._hint_level += 1
            text = self.render(step.hints[self._hint_level - 1])
            return [Say("hint", _t("hint", number=self._hint_level, total=len(step.hints), text=text))]
        lines = self.solution(real=False)
        return [Say("solution", _t("solution", lines="\n".join(lines)))]
