"""`:lesson ...` in the REPL, driven through the Shell as a learner would: start, wrong answers and their
hints, helper steps, the toolbar, list with progress, quit; and `smtp-tutor lesson NAME` in batch mode."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.repl import commands, lesson_commands
from tutor.repl.shell import Shell

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def make_shell():
    out = []
    shell = Shell(out=out.extend)
    shell.start()
    out.clear()
    return shell, out


def kinds_texts(out, kind):
    return [i.text for i in out if i.kind == kind]


def test_lesson_is_a_registered_command():
    command = commands.get("lesson")
    assert command is not None and command.run is lesson_commands.run_lesson
    assert "start" in command.help and list(command.complete(None, [])) == list(lesson_commands.SUBCOMMANDS)
    assert "cram-md5" in command.complete(None, ["start"])


def test_start_opens_the_lessons_simulator_and_shows_step_one():
    shell, out = make_shell()
    assert shell.handle(":lesson start cram-md5")
    assert shell.session.target == "sim:fixed-challenge"
    assert any("Lesson 5" in t for t in kinds_texts(out, "heading"))
    assert kinds_texts(out, "result")[-1] == "Type `EHLO laptop.example`."
    assert shell.view().lesson == "Lesson 5 · step 1/7: Greet the server"
    assert shell.prompt_tag() == "L5 1/7"


def test_lines_are_checked_and_wrong_ones_get_their_hint():
    shell, out = make_shell()
    shell.handle(":lesson start cram-md5")
    out.clear()
    shell.handle("HELO laptop.example")
    assert any("HELO is the old RFC 821 greeting" in t for t in kinds_texts(out, "warning"))
    out.clear()
    shell.handle("EHLO laptop.example")
    assert "✓ Greet the server" in kinds_texts(out, "result")
    shell.handle("AUTH CRAM-MD5")
    out.clear()
    shell.handle(":b64 decode PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")
    assert "✓ Decode the challenge" in kinds_texts(out, "result")
    shell.handle(":cram tim tanstaaftanstaaf")
    out.clear()
    shell.handle("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
    assert "✓ Send the response" in kinds_texts(out, "result")
    assert shell.session.last_reply.code == 235


def test_hint_next_back_restart_and_quit():
    shell, out = make_shell()
    shell.handle(":lesson start 1")
    out.clear()
    shell.handle(":lesson hint")
    assert kinds_texts(out, "note") == ["Nothing to type here: read, then `:lesson next`."]
    shell.handle(":lesson next")
    assert shell.lesson.runner.step.id == "ehlo"
    out.clear()
    shell.handle(":lesson hint")
    assert kinds_texts(out, "note")[0].startswith("Hint 1/2:")
    shell.handle(":lesson back")
    assert shell.lesson.runner.step.id == "banner"
    shell.handle("EHLO laptop.example")
    shell.handle(":lesson restart")
    assert shell.lesson.runner.step.id == "banner" and shell.session.state.name == "INITIAL"
    out.clear()
    shell.handle(":lesson")
    assert kinds_texts(out, "info") == ["Lesson 1 · step 1/5: Read the banner"]
    shell.handle(":lesson quit")
    assert shell.lesson is None
    out.clear()
    assert not shell.handle(":lesson hint")
    assert "No lesson is running" in kinds_texts(out, "error")[0]


def test_a_finished_lesson_shows_in_the_list(tmp_path):
    shell, out = make_shell()
    shell.handle(":lesson start smtp-basics")
    for line in (":lesson next", "EHLO laptop.example", ":lesson next", "HELO laptop.example", "QUIT"):
        shell.handle(line)
    assert shell.lesson.runner.finished and shell.lesson.runner.all_passed
    out.clear()
    shell.handle(":lesson list")
    listing = "\n".join(kinds_texts(out, "info"))
    assert "✓  1  smtp-basics" in listing and "   2  base64" in listing


def test_unknown_subcommand_gives_usage():
    shell, out = make_shell()
    assert not shell.handle(":lesson frobnicate")
    assert any("Usage: :lesson" in t for t in kinds_texts(out, "info"))


def test_batch_lesson_from_stdin_exits_0_only_when_complete(tmp_path):
    env = {**os.environ, "NO_COLOR": "1", "XDG_DATA_HOME": str(tmp_path)}
    lines = "EHLO me\nAUTH LOGIN\n:b64 decode VXNlciBOYW1lAA==\ndGlt\ndGFuc3RhYWZ0YW5zdGFhZg==\n:lesson next\nQUIT\n"
    done = subprocess.run([sys.executable, "-m", "tutor", "lesson", "auth-login"], input=lines, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Lesson complete" in done.stdout
    half = subprocess.run([sys.executable, "-m", "tutor", "lesson", "auth-login"], input="EHLO me\nQUIT\n",
                          text=True, capture_output=True, cwd=ROOT, env=env, timeout=60)
    assert half.returncode == 1 and "Traceback" not in half.stderr


def test_start_here_keeps_the_current_connection():
    shell, out = make_shell()
    shell.handle("EHLO laptop.example")
    session = shell.session
    assert shell.handle(":lesson start auth-plain --here")
    assert shell.session is session and shell.session.target == "sim:lab"
    assert shell.lesson.runner.step.id == "ehlo"


def test_a_live_password_is_kept_out_of_history(monkeypatch):
    shell, out = make_shell()
    shell.ask_password = lambda prompt: "s3cret-pass"
    assert shell.handle(":lesson start auth-login --here --user alice")
    assert "s3cret-pass" in shell.secrets
    assert shell.lesson.runner.creds.user == "alice"


def test_user_without_here_is_refused():
    shell, out = make_shell()
    assert not shell.handle(":lesson start auth-login --user alice")
    assert "--here" in next(i.text for i in out if i.kind == "error")


def test_the_toolbar_and_the_prompt_show_the_lesson_and_its_step(tmp_path, monkeypatch):
    """What the learner sees in the terminal app: the toolbar's lesson · step text and the `[L5 2/7]` prompt tag."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from tutor.repl import toolbar
    from tutor.repl.app import ReplApp

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    shell, out = make_shell()
    shell.handle(":lesson start cram-md5")
    shell.handle("EHLO laptop.example")
    assert "Lesson 5 · step 2/7: Ask for a challenge" in toolbar.text(shell.view())
    with create_pipe_input() as pipe:
        app = ReplApp(shell, color=False, input=pipe, output=DummyOutput())
        assert "".join(text for _, text in app.message()).startswith("[L5 2/7] ")
        shell.handle(":lesson quit")
        assert not "".join(text for _, text in app.message()).startswith("[")
    assert "Lesson" not in toolbar.text(shell.view())
