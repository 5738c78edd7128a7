"""Base64 shown back to the learner keeps its case: a failure message quotes the typed word as typed, never
upper-cased like an SMTP verb (`dGlt` is the base64 of `tim`; `DGLT` is something else)."""

from pathlib import Path

import pytest
from course_support import READY, TIM, line

from tutor.course import loader
from tutor.course.checks import CHECKS
from tutor.course.runner import LessonRunner

LESSONS = loader.load_all(Path(__file__).resolve().parent.parent / "lessons")


@pytest.mark.parametrize("kind, params", [("any-ehlo", {}), ("command", {"verb": "NOOP"}), ("mail-from", {}),
                                          ("rcpt-to", {}), ("starttls", {}), ("quit", {}),
                                          ("auth-command", {"mechanism": "PLAIN"})])
def test_a_base64_word_typed_as_a_command_is_quoted_as_typed(kind, params):
    outcome = CHECKS[kind].run(params, line(READY, "dGltIGI5MTNh"), TIM)
    assert outcome.params["typed"] == "dGltIGI5MTNh"


def test_the_failure_text_keeps_the_case():
    lesson = loader.find("auth-plain", LESSONS)
    runner = LessonRunner(lesson)
    verdict = runner.line(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm", READY, READY)
    text = " ".join(say.text for say in verdict.says)
    assert "AHRpbQB0YW5zdGFhZnRhbnN0YWFm" in text and "AHRPBQB0YW5ZDGFHZNRHBNN0YWFM" not in text


def test_a_control_character_in_the_typed_word_is_escaped():
    outcome = CHECKS["quit"].run({}, line(READY, "bad\x1bword"), TIM)
    assert outcome.params["typed"] == "bad\\x1bword"
