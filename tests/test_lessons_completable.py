"""No dead ends: every lesson, driven through the REPL's Shell with generated learner input (right answers, wrong
ones, steps out of order, `*` cancels, QUIT and :disconnect, other helpers, bare `next`), can always be finished
by doing only what `:lesson hint` says. Seeded, bounded: the same runs every time, well under a minute.

Plus the known traps as regression tests: lesson 3's postmaster step answered with the ordinary blob (235, then a
rewind to `AUTH PLAIN`, which can only get 503), lesson 5's `:cram` with the wrong password, a 421.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tutor import explain
from tutor.course import loader
from tutor.repl.shell import Shell

ROOT = Path(__file__).resolve().parent.parent
LESSONS = loader.load_all(ROOT / "lessons")
RUNS_PER_LESSON = 6          # seeds per lesson
ACTIONS_PER_RUN = 10         # generated learner lines before the hints are followed
HINT_BUDGET = 80             # tutor commands and lines allowed to finish by hints alone

WRONG_LINES = (
    "HELO laptop", "EHLO laptop", "AUTH PLAIN", "AUTH LOGIN", "AUTH CRAM-MD5", "AUTH SCRAM-SHA-256",
    "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "AUTH XOAUTH2 dXNlcj10aW0BAQ==", "dGlt", "bm90IHJpZ2h0", "*",
    "=", "", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA", ".", "hello there", "RSET", "NOOP",
    "QUIT", "STARTTLS", "xyzzy", "next", "hint", "skip", "AHRpbQB0aW0AdGFuc3RhYWZ0YW5zdGFhZg==",
)
HELPER_LINES = (":b64 encode tim", ":b64 decode dGlt", ":cram tim wrong-password", ":explain 535", ":lesson hint",
                ":lesson back", ":disconnect", ":connect sim:lab", ":lesson restart")
SOLUTION_PREFIX = explain.text("course.solution", lines="")
READING = explain.text("course.step.reading")


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def start(lesson):
    out: list = []
    shell = Shell(out=out.extend)
    shell.start()
    assert shell.handle(f":lesson start {lesson.id}")
    return shell, out


def texts(out) -> list[str]:
    return [item.text for item in out]


def student_line(rng: random.Random, shell) -> str:
    """One generated learner action: the right solution line, another step's, a wrong line, a helper."""
    runner = shell.lesson.runner
    roll = rng.random()
    if roll < 0.35 and not runner.finished:
        lines = runner.solution(real=True) or [":lesson next"]
        return rng.choice(lines)
    if roll < 0.5:
        other = rng.randrange(len(runner.lesson.steps))
        templates = [t for entry in runner.lesson.steps[other].solution for t in entry.split("\n")]
        return runner.render(rng.choice(templates), real=True, strip=False) if templates else "NOOP"
    if roll < 0.85:
        return rng.choice(WRONG_LINES)
    if roll < 0.97:
        return rng.choice(HELPER_LINES)
    return ":lesson next"


def follow_hints(shell, out, until=None) -> list[str]:
    """Do only what `:lesson hint` says until the lesson is finished (or `until()` is true); what was typed, for
    the failure message."""
    typed: list[str] = []
    for _ in range(HINT_BUDGET):
        runner = shell.lesson.runner
        if runner.finished or (until is not None and until()):
            return typed
        out.clear()
        shell.handle(":lesson hint")
        typed.append(":lesson hint")
        said = texts(out)
        if READING in said:
            shell.handle(":lesson next")
            typed.append(":lesson next")
            continue
        solutions = [text for text in said if text.startswith(SOLUTION_PREFIX)]
        if solutions:
            for line in solutions[-1][len(SOLUTION_PREFIX):].split("\n"):
                shell.handle(line)
                typed.append(line)
    return typed


def run(lesson, seed: int) -> tuple[bool, str]:
    rng = random.Random(f"{lesson.id}/{seed}")
    shell, out = start(lesson)
    actions: list[str] = []
    for _ in range(ACTIONS_PER_RUN):
        line = student_line(rng, shell)
        actions.append(line)
        shell.handle(line)
    runner = shell.lesson.runner
    from_index = runner.index if not runner.finished else len(lesson.steps)
    typed = follow_hints(shell, out)
    remaining = [step.id for step in lesson.steps[from_index:] if step.id not in runner.passed]
    story = f"seed {seed}: generated {actions!r}; then by hints {typed[-12:]!r}; unpassed {remaining}"
    return runner.finished and not remaining, story


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_following_the_hints_finishes_the_lesson_from_any_reached_state(lesson):
    for seed in range(RUNS_PER_LESSON):
        finished, story = run(lesson, seed)
        assert finished, story


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_hints_alone_finish_a_fresh_lesson_with_every_step_passed(lesson):
    shell, out = start(lesson)
    follow_hints(shell, out)
    runner = shell.lesson.runner
    assert runner.finished and runner.all_passed, sorted({s.id for s in lesson.steps} - runner.passed)


# Things that knock a connection off course; each lesson is played once per rotation, with one of them done at
# every step (so every step meets every one), and the hints alone must bring it back to pass that step.
DISRUPTIONS = ("QUIT", "*", "AUTH PLAIN AHRpbQB0aW0Ad3Jvbmc=", ":lesson back", ":disconnect",
               "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "MAIL FROM:<a@example.com>")


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_step_recovers_from_every_disruption_by_hints_alone(lesson):
    for offset in range(len(DISRUPTIONS)):
        shell, out = start(lesson)
        runner = shell.lesson.runner
        story = []
        for _ in range(3 * len(lesson.steps)):
            if runner.finished:
                break
            index = runner.index
            step_id = lesson.steps[index].id
            disruption = DISRUPTIONS[(index + offset) % len(DISRUPTIONS)]
            shell.handle(disruption)
            story.append(f"{step_id}: {disruption}")
            follow_hints(shell, out, until=lambda: step_id in runner.passed and runner.index != index)  # noqa: B023
        assert runner.finished and runner.all_passed, (offset, story,
                                                       sorted({s.id for s in lesson.steps} - runner.passed))


# ---- the known traps --------------------------------------------------------------------------------------

def test_lesson_3_postmaster_step_answered_with_the_ordinary_blob_is_not_a_dead_end():
    lesson = loader.find("auth-plain", LESSONS)
    shell, out = start(lesson)
    for line in ("EHLO laptop.example", ":b64 encode '\\0tim\\0tanstaaftanstaaf'", "AUTH PLAIN"):
        shell.handle(line)
    assert shell.lesson.runner.step.id == "authzid"
    shell.handle("AHRpbQB0YW5zdGFhZnRhbnN0YWFm")          # \0tim\0tanstaaftanstaaf: logged in, 235
    assert shell.session.last_reply.code == 235
    assert shell.lesson.runner.step.id == "no-initial"      # rewound to AUTH PLAIN, which now can only get 503
    out.clear()
    shell.handle(":lesson hint")
    said = "\n".join(texts(out))
    assert "You are logged in already" in said and "fresh connection" in said
    assert not shell.session.client.authenticated and shell.session.client.capabilities.offers("PLAIN")
    shell.handle("AUTH PLAIN")
    assert shell.session.last_reply.code == 334 and shell.lesson.runner.step.id == "authzid"


def test_lesson_3_hints_never_repeat_a_solution_that_gets_503():
    lesson = loader.find("auth-plain", LESSONS)
    shell, out = start(lesson)
    for line in ("EHLO laptop.example", ":b64 encode '\\0tim\\0tanstaaftanstaaf'", "AUTH PLAIN",
                 "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"):
        shell.handle(line)
    follow_hints(shell, out)
    assert shell.lesson.runner.finished
    assert not any(text.startswith("503") for text in texts(out) if text)


def test_lesson_5_cram_with_the_wrong_password_does_not_pass_compute_the_hmac():
    lesson = loader.find("cram-md5", LESSONS)
    shell, out = start(lesson)
    for line in ("EHLO laptop.example", "AUTH CRAM-MD5",
                 ":b64 decode PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"):
        shell.handle(line)
    assert shell.lesson.runner.step.id == "compute"
    out.clear()
    shell.handle(":cram tim secret")
    assert shell.lesson.runner.step.id == "compute" and "compute" not in shell.lesson.runner.passed
    assert any("another password" in text for text in texts(out))
    assert not any("b913a602c7eda7a495b4e6e7334d3890" in text for text in texts(out) if "✓" in text)
    out.clear()
    shell.handle(":cram tim tanstaaftanstaaf")                # RFC 2195 §2's secret
    assert "compute" in shell.lesson.runner.passed
    assert any("b913a602c7eda7a495b4e6e7334d3890" in text for text in texts(out))


def test_lesson_5_cram_password_asked_at_the_prompt_is_judged_too():
    lesson = loader.find("cram-md5", LESSONS)
    shell, out = start(lesson)
    for line in ("EHLO laptop.example", "AUTH CRAM-MD5",
                 ":b64 decode PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"):
        shell.handle(line)
    shell.ask_password = lambda prompt: "wrong"
    shell.handle(":cram tim")
    assert "compute" not in shell.lesson.runner.passed
    shell.ask_password = lambda prompt: "tanstaaftanstaaf"
    shell.handle(":cram tim")
    assert "compute" in shell.lesson.runner.passed


def test_wrong_logins_in_a_lesson_do_not_meet_the_three_failures_421():
    lesson = loader.find("auth-plain", LESSONS)
    shell, out = start(lesson)
    shell.handle("EHLO laptop.example")
    for _ in range(6):                                        # a public profile drops the client after 3 (RFC 4954 §9)
        shell.handle("AUTH PLAIN AHRpbQB0aW0Ad3Jvbmc=")        # \0tim\0wrong
        assert shell.session.last_reply.code == 535 and not shell.session.closed


def test_a_421_in_a_lesson_is_explained_and_hint_reconnects(monkeypatch):
    from tutor import lesson_sessions

    monkeypatch.setattr(lesson_sessions, "LESSON_MAX_AUTH_FAILURES", 3)
    lesson = loader.find("auth-plain", LESSONS)
    shell, out = start(lesson)
    shell.handle("EHLO laptop.example")
    shell.handle(":b64 encode '\\0tim\\0tanstaaftanstaaf'")
    out.clear()
    for _ in range(3):
        shell.handle("AUTH PLAIN AHRpbQB0aW0Ad3Jvbmc=")
    assert shell.session.closed and shell.session.last_reply.code == 421
    assert any(text.startswith("The server ended the connection with 421") and "`:lesson hint`" in text
               for text in texts(out))
    follow_hints(shell, out)
    assert shell.lesson.runner.finished


@pytest.mark.parametrize("word, command", [("next", ":lesson next"), ("hint", ":lesson hint"),
                                           ("skip", ":lesson next"), ("HINT", ":lesson hint")])
def test_a_bare_lesson_word_is_answered_not_sent(word, command):
    shell, out = start(loader.find("smtp-basics", LESSONS))
    sent_before = len(shell.session.transcript.entries) if hasattr(shell.session, "transcript") else None
    out.clear()
    assert shell.handle(word)
    assert any(f"`{command}`" in text and "not sent" in text for text in texts(out))
    assert not any(item.kind == "C" for item in out)
    if sent_before is not None:
        assert len(shell.session.transcript.entries) == sent_before


def test_a_bare_word_inside_a_message_is_message_text():
    lesson = loader.find("after-auth", LESSONS)
    shell, out = start(lesson)
    for line in ("EHLO laptop.example", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "MAIL FROM:<tim@example.com>",
                 "RCPT TO:<someone@example.com>", "DATA"):
        shell.handle(line)
    out.clear()
    shell.handle("next")
    assert [item.text for item in out if item.kind == "C"] == ["next"]


def test_lesson_11_scram_with_the_wrong_password_does_not_pass_compute_or_verify():
    lesson = loader.find("scram-sha-256", LESSONS)
    shell, out = start(lesson)
    shell.handle("EHLO laptop.example")
    shell.handle(":lesson next")                                     # the reading step
    shell.handle(":scram user --nonce rOprNGfwEbeRWgbNEkqO")         # RFC 7677 §3's client nonce
    shell.handle("AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=")
    shell.handle(":decode " + shell.session.client.last_reply.text)
    runner = shell.lesson.runner
    assert runner.step.id == "compute"
    shell.handle(":scram user wrong")
    assert "compute" not in runner.passed
    shell.handle(":scram user pencil")                               # RFC 7677 §3's password
    assert "compute" in runner.passed
    # RFC 7677 §3's client-final message, proof included
    shell.handle("Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0F"
                 "mdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==")
    assert runner.step.id == "verify"
    shell.handle(":scram user wrong")
    assert "verify" not in runner.passed
    shell.handle(":scram user pencil")
    assert "verify" in runner.passed
