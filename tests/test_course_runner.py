"""The lesson runner on the simulator: passing, failing with the right hint, hints then the solution, the reply
a step expects, going back after the server ends an exchange, next/back/restart, progress, live masking."""

from pathlib import Path

import pytest

from tutor import lesson_sessions
from tutor.course import loader
from tutor.course.facts import Credentials
from tutor.course.progress import Progress
from tutor.course.runner import FAIL, PASS, WAIT, LessonRunner
from tutor.course.view import view_of

LESSONS = Path(__file__).resolve().parent.parent / "lessons"


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


class Learner:
    """A learner at the keyboard: lines go to the lesson's simulator and are checked by the runner."""

    def __init__(self, name, progress=None, **options):
        self.lesson = loader.find(name, loader.load_all(LESSONS))
        self.session, _ = lesson_sessions.sim_session(self.lesson)
        self.runner = LessonRunner(self.lesson, progress=progress, **options)
        self.intro = self.runner.start(view_of(self.session))

    def type(self, text):
        before = view_of(self.session)
        self.session.send(text.encode("utf-8"))
        return self.runner.line(text.encode("utf-8"), before, view_of(self.session))

    def helper(self, name, *args):
        return self.runner.helper(name, list(args), view_of(self.session))

    @property
    def step(self):
        return self.runner.step.id


def texts(verdict, kind=None):
    return [s.text for s in verdict.says if kind is None or s.kind == kind]


def test_start_shows_the_lesson_and_the_first_step():
    learner = Learner("cram-md5")
    kinds = [s.kind for s in learner.intro]
    assert kinds[:2] == ["lesson", "info"] and "step" in kinds and kinds[-1] == "task"
    assert "Lesson 5" in learner.intro[0].text
    assert learner.runner.status() == "Lesson 5 · step 1/7: Greet the server"
    assert learner.runner.prompt_tag() == "L5 1/7"


def test_a_right_line_passes_explains_the_reply_and_moves_on():
    learner = Learner("cram-md5")
    verdict = learner.type("EHLO laptop.example")
    assert verdict.status == PASS and verdict.step_id == "ehlo"
    assert "PLAIN LOGIN CRAM-MD5" in " ".join(texts(verdict, "explain"))
    assert learner.step == "auth-cram"


def test_a_wrong_line_gets_its_own_hint_not_a_pass():
    learner = Learner("cram-md5")
    verdict = learner.type("HELO laptop.example")
    assert verdict.status == FAIL and learner.step == "ehlo"
    assert "HELO is the old RFC 821 greeting" in texts(verdict, "fail")[0]
    assert any(":lesson hint" in t for t in texts(verdict, "info"))


def test_hints_come_one_at_a_time_then_the_solution():
    learner = Learner("cram-md5")
    first, second, third = learner.runner.hint(), learner.runner.hint(), learner.runner.hint()
    assert first[0].text.startswith("Hint 1/1:")
    assert second[0].kind == "solution" and "EHLO laptop.example" in second[0].text
    assert third[0].kind == "solution"


def test_the_rfc_2195_exchange_end_to_end():
    learner = Learner("cram-md5")
    learner.type("EHLO laptop.example")
    assert learner.type("AUTH CRAM-MD5").status == PASS
    assert learner.helper("b64", "decode", "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+").status == PASS
    assert learner.helper("cram", "tim", "tanstaaftanstaaf").status == PASS
    verdict = learner.type("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
    assert verdict.status == PASS and learner.session.last_reply.code == 235
    assert "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw" in " ".join(texts(verdict, "explain"))


def test_after_the_server_ends_the_exchange_the_lesson_goes_back_to_the_auth_step():
    learner = Learner("cram-md5")
    for line in ("EHLO laptop.example", "AUTH CRAM-MD5"):
        learner.type(line)
    learner.helper("b64", "decode", "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")
    learner.helper("cram", "tim", "tanstaaftanstaaf")
    wrong = learner.type("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkx")      # last hex digit changed
    assert wrong.status == FAIL and learner.session.last_reply.code == 535
    assert "does not match HMAC-MD5" in texts(wrong, "fail")[0]
    assert learner.step == "auth-cram"
    learner.type("AUTH CRAM-MD5")
    assert learner.step == "respond"            # the helper steps already done are not asked again


def test_a_helper_during_a_wire_step_is_neither_pass_nor_fail():
    learner = Learner("cram-md5")
    assert learner.helper("b64", "encode", "tim").status == WAIT
    assert learner.step == "ehlo"


def test_a_line_during_a_helper_step_gets_the_helper_hint():
    learner = Learner("cram-md5")
    learner.type("EHLO laptop.example")
    learner.type("AUTH CRAM-MD5")
    verdict = learner.type("*")
    assert verdict.status == FAIL and ":b64" in texts(verdict, "fail")[0]


def test_a_right_line_with_the_wrong_reply_does_not_pass(tmp_path):
    text = (LESSONS / "03-auth-plain.toml").read_text(encoding="utf-8")
    lesson_file = tmp_path / "03-auth-plain.toml"
    lesson_file.write_text(text.replace('check = { kind = "plain-response", authzid = "postmaster" }\nreply = 535',
                                        'check = { kind = "plain-response", authzid = "postmaster" }\nreply = 235'))
    learner = Learner("3")
    learner.lesson = loader.load_file(lesson_file)
    learner.runner = LessonRunner(learner.lesson)
    learner.runner.start(view_of(learner.session))
    learner.type("EHLO laptop.example")
    learner.helper("b64", "encode", "\\0tim\\0tanstaaftanstaaf")
    learner.type("AUTH PLAIN")
    verdict = learner.type("cG9zdG1hc3RlcgB0aW0AdGFuc3RhYWZ0YW5zdGFhZg==")
    assert verdict.status == FAIL and "the server answered 535, not 235" in texts(verdict, "fail")[0]


def test_next_back_restart_and_progress(tmp_path):
    progress = Progress(tmp_path / "progress.json")
    learner = Learner("smtp-basics", progress=progress)
    says = learner.runner.next()                            # a reading step: counts as done
    assert learner.step == "ehlo" and "banner" in learner.runner.passed
    learner.runner.next()                                   # skipped: not passed
    assert learner.step == "two-auth-lines" and "ehlo" not in learner.runner.passed
    learner.runner.back()
    assert learner.step == "ehlo"
    learner.runner.restart()
    assert learner.step == "banner" and not learner.runner.passed
    assert Progress(tmp_path / "progress.json").passed("01-smtp-basics") == set()
    assert says and says[0].kind == "step"


def test_finishing_every_step_marks_the_lesson_completed(tmp_path):
    progress = Progress(tmp_path / "progress.json")
    learner = Learner("smtp-basics", progress=progress)
    learner.runner.next()
    learner.type("EHLO laptop.example")
    learner.runner.next()
    learner.type("HELO laptop.example")
    verdict = learner.type("QUIT")
    assert verdict.status == PASS and learner.runner.finished and learner.runner.all_passed
    assert texts(verdict, "done")
    saved = Progress(tmp_path / "progress.json")
    assert saved.completed("01-smtp-basics")
    assert saved.passed("01-smtp-basics") == {"banner", "ehlo", "two-auth-lines", "helo", "quit"}
    assert learner.runner.next()[0].kind == "info"          # nothing after the end


def test_a_closed_connection_is_said_once_and_not_a_pass():
    learner = Learner("cram-md5")
    learner.type("EHLO laptop.example")
    verdict = learner.type("QUIT")
    assert verdict.status == FAIL
    assert learner.session.closed


def test_live_prose_masks_the_password_but_the_solution_is_real():
    lesson = loader.find("base64", loader.load_all(LESSONS))
    runner = LessonRunner(lesson, Credentials("alice", "wonderland"), live=True, target="127.0.0.1:10025")
    says = runner.start()
    assert "wonderland" not in " ".join(s.text for s in says)
    assert any("live server (127.0.0.1:10025)" in s.text for s in says)
    while runner.step.id != "password":
        runner.next()
    assert "(your password)" in runner.show_step()[-1].text
    assert runner.solution() == ["d29uZGVybGFuZA=="]
    shown = runner.hint() + runner.hint() + runner.hint()
    assert "wonderland" not in " ".join(s.text for s in shown)
    assert "(the base64 of your password)" in shown[-1].text


def test_a_wrong_auth_line_the_server_took_anyway_says_cancel_first():
    """`AUTH LOGIN dGlt` where the step wants `AUTH LOGIN`: the server is now inside the exchange, so the learner
    is told to cancel with `*`; the `*` itself is not held against the step; then the right line passes."""
    learner = Learner("auth-login")
    learner.type("EHLO laptop.example")
    verdict = learner.type("AUTH LOGIN dGlt")
    assert verdict.status == FAIL and learner.step == "auth-login"
    assert "Leave the initial response out" in texts(verdict, "fail")[0]
    assert any("send a line holding a single *" in t for t in texts(verdict, "info"))
    cancel = learner.type("*")
    assert cancel.status == WAIT and not cancel.says
    assert learner.type("AUTH LOGIN").status == PASS


def test_a_swapped_login_answer_names_the_fields_in_words():
    learner = Learner("auth-login")
    for line in ("EHLO laptop.example", "AUTH LOGIN"):
        learner.type(line)
    learner.helper("b64", "decode", "VXNlciBOYW1lAA==")
    verdict = learner.type("dGFuc3RhYWZ0YW5zdGFhZg==")          # the password, to the user-name prompt
    assert verdict.status == FAIL
    assert "base64 of the password, but the first LOGIN prompt wants the user name" in texts(verdict, "fail")[0]
