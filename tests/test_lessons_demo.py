"""Every lesson's demo runs to the end on the simulator, through the API and through `smtp-tutor lesson NAME
--demo`; and at every step of every lesson a typical wrong answer gets that step's hint, never a pass."""

import base64
import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor import lesson_sessions
from tutor.course import demo, loader
from tutor.course.checkbase import Fail
from tutor.course.checks import CHECKS
from tutor.course.runner import LessonRunner
from tutor.course.view import AUTH_RESPONSE, Attempt, view_of
from tutor.protocol.replies import make

ROOT = Path(__file__).resolve().parent.parent
LESSONS = loader.load_all(ROOT / "lessons")


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def play(lesson):
    session, _ = lesson_sessions.sim_session(lesson)
    shown = []
    result = demo.play(lesson, session, lambda kind, text: shown.append((kind, text)))
    return result, shown


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_demo_runs_to_the_end_with_every_step_passed(lesson):
    result, shown = play(lesson)
    assert result.ok, [text for kind, text in shown if kind in ("fail", "error")]
    assert result.passed == [step.id for step in lesson.steps]
    assert shown[-1][0] == "done"


def test_demos_are_deterministic():
    lesson = loader.find("cram-md5", LESSONS)
    assert play(lesson)[1] == play(lesson)[1]


def test_the_cram_md5_demo_reproduces_rfc_2195_exactly():
    result, shown = play(loader.find("cram-md5", LESSONS))
    wire = [(kind, text) for kind, text in shown if kind in ("C", "S")]
    assert ("S", "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+") in wire
    assert ("C", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw") in wire
    assert wire[wire.index(("C", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")) + 1][1].startswith("235 ")


def test_the_login_demo_shows_the_drafts_prompt_words():
    result, shown = play(loader.find("auth-login", LESSONS))
    assert ("S", "334 VXNlciBOYW1lAA==") in shown and ("S", "334 UGFzc3dvcmQA") in shown   # draft §2.3


def _b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def wrong_answer(step, view, runner):
    """A typical mistake for the step's check kind, as an Attempt, with the failure key it must get."""
    kind, params, creds = step.check.kind, step.check.params, runner.creds
    in_auth = view.line_kind == AUTH_RESPONSE

    def wire(text, key, reply=None):
        answer = make(reply, "x") if reply else None
        return Attempt(view, view, line=text.encode("utf-8"), reply=answer), key

    if kind == "any-ehlo":
        return wire("HELO laptop.example", "helo")
    if kind in ("command", "data", "quit"):
        return wire("XYZZY", "other-command")
    if kind == "mail-from":
        return wire("MAIL FROM: " + creds.user, "syntax")
    if kind == "rcpt-to":
        return wire("RCPT TO: friend@example.com", "syntax")
    if kind == "starttls":
        return wire("STARTTLS now", "has-argument")
    if kind == "reply-code":
        return wire("NOOP", "other-code", 250)
    if kind == "auth-command":
        return wire("EHLO laptop.example", "not-auth")
    if kind == "base64-of":
        value = creds.user if params["field"] == "username" else creds.password
        return wire(value, "plain-text")
    if kind == "login-username":
        return wire(_b64(creds.password), "swapped")
    if kind == "login-password":
        return wire(_b64(creds.user), "swapped")
    if kind == "plain-response":
        blob = _b64(f"{creds.user}\0{creds.password}")
        return wire(blob if in_auth else f"AUTH PLAIN {blob}", "one-nul")
    if kind == "cram-response":
        digest = hmac.new(creds.password.encode(), _b64(view.challenge.decode("latin-1")).encode(), hashlib.md5)
        return wire(_b64(f"{creds.user} {digest.hexdigest()}"), "over-base64")
    if kind == "cancel":
        return wire(_b64(creds.user), "not-cancel")
    if kind == "helper-command":
        return Attempt(view, view, helper="explain", args=("250",)), "wrong-helper"
    if kind == "cram-digest":          # the helper ran, but with another password: RFC 2195 §2's key is the secret
        return Attempt(view, view, helper="cram", args=(creds.user, "not-the-password")), "wrong-password"
    if kind == "scram-helper":         # the helper ran over this exchange with another password
        return Attempt(view, view, helper="scram", args=(creds.user, "not-the-password"),
                       result={"client_final": "c=biws,r=x,p=eA==", "server": "sent"}), "wrong-password"
    if kind == "cram-guess":
        user = base64.b64decode(params["response"]).rsplit(b" ", 1)[0].decode()
        return Attempt(view, view, helper="cram", args=(user, "password", params["challenge"])), "no-match"
    if kind == "message-end":
        return wire("This is not the end", None)
    if kind == "scram-client-first":
        return wire(f"AUTH {params.get('mechanism', 'SCRAM-SHA-256')} n,,n={creds.user},r=abcdef", "plain-text")
    if kind == "scram-client-final":
        combined = view.challenge.decode().split(",")[0][2:]
        return wire(_b64(f"c=biws,r={combined},p={_b64('x' * 32)}"), "wrong-proof")
    if kind == "bearer-response":
        message = f"user={creds.user}^Aauth=Bearer token^A^A" if params["mechanism"] == "XOAUTH2" \
            else f"n,a={creds.user},^Aauth=Bearer token^A^A"
        return wire(f"AUTH {params['mechanism']} {_b64(message)}", "literal-ctrl-a")
    if kind == "bearer-error-answer":       # RFC 7628 §3.2.3: OAUTHBEARER wants ^A; XOAUTH2 an empty line
        return wire("", "wants-ctrl-a") if view.mechanism == "OAUTHBEARER" else wire(_b64(creds.user), "wants-empty")
    raise AssertionError(f"no wrong answer for check kind {kind}")


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_a_wrong_answer_at_every_step_gets_its_hint_not_a_pass(lesson):
    session, _ = lesson_sessions.sim_session(lesson)
    runner = LessonRunner(lesson)
    runner.start(view_of(session))
    checked = set()
    while not runner.finished:
        step = runner.step
        if not step.reading:
            view = view_of(session)
            attempt, key = wrong_answer(step, view, runner)
            outcome = CHECKS[step.check.kind].run(step.check.params, attempt, runner.creds)
            if key is None:
                assert not isinstance(outcome, Fail) and outcome.__class__.__name__ != "Pass", step.id
            else:
                assert isinstance(outcome, Fail) and outcome.key == key, (step.id, outcome)
                text = runner.fail_text(step, outcome, view)
                assert text and not text.startswith("Not what this step asks for"), (step.id, text)
            checked.add(step.check.kind)
        assert demo.play_step(runner, session, lambda kind, text: None), step.id
    assert checked, lesson.id


def _cli(*args, stdin=subprocess.DEVNULL, env=None):
    return subprocess.run([sys.executable, "-m", "tutor", "lesson", *args], capture_output=True, text=True,
                          stdin=stdin, timeout=120, cwd=ROOT, env={**os.environ, "NO_COLOR": "1", **(env or {})})


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_cli_demo_exits_0_when_every_step_passed(lesson, tmp_path):
    result = _cli(lesson.slug, "--demo", "--no-pause", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "every step passed" in result.stdout.splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_cli_demo_without_a_terminal_runs_straight_through(tmp_path):
    """No --no-pause, but stdin is not a terminal: no pauses, no prompt, exit 0."""
    result = _cli("5", "--demo", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 0 and "press Enter" not in result.stdout


def test_cli_demo_exits_1_when_a_step_does_not_pass(tmp_path):
    broken = (ROOT / "lessons" / "05-cram-md5.toml").read_text(encoding="utf-8").replace(
        'solution = "{cram_b64}"', 'solution = "{user_b64}"')
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "05-cram-md5.toml").write_text(broken, encoding="utf-8")
    result = _cli(str(folder / "05-cram-md5.toml"), "--demo", "--no-pause", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 1
    assert "did not pass: respond" in result.stdout.splitlines()[-1]


def test_at_a_terminal_the_demo_pauses_and_q_stops_it(monkeypatch, capsys):
    """Teachers project it: Enter between steps; q stops, said in one line, exit 1 (not every step was shown)."""
    import builtins

    from tutor import cli

    answers = iter(["", "q"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main(["lesson", "smtp-basics", "--demo"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == ("Demo of lesson 1 (SMTP basics: the banner, EHLO and what a server offers): "
                    "stopped after 2 of 5 steps.")
