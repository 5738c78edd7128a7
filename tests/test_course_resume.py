"""Progress saved per step, resumed: `:lesson start NAME --resume` and `smtp-tutor lesson NAME --resume` continue
where the learner left off on a fresh simulator brought to that step; `--restart` starts over; `lesson --list`
marks completed lessons. A damaged progress file (wrong types, nested deep, huge, /dev/zero) is set aside with
one line and never breaks `lesson --list` or the REPL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.course.progress import MAX_BYTES, Progress, default_path
from tutor.repl.shell import Shell

ROOT = Path(__file__).resolve().parent.parent
CRAM_CHALLENGE_B64 = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"   # RFC 2195 §2, in base64
CRAM_ANSWER = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"                 # tim b913a602c7...


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def make_shell():
    out = []
    shell = Shell(out=out.extend)
    shell.start()
    out.clear()
    return shell, out


def texts(out):
    return [item.text for item in out]


def cli(*args, stdin="", env_home):
    env = {**os.environ, "NO_COLOR": "1", "XDG_DATA_HOME": str(env_home)}
    return subprocess.run([sys.executable, "-m", "tutor", *args], input=stdin, text=True, capture_output=True,
                          cwd=ROOT, env=env, timeout=60)


def test_progress_is_saved_at_every_step():
    shell, _ = make_shell()
    shell.handle(":lesson start cram-md5")
    steps = [("ehlo", "EHLO laptop.example"), ("auth-cram", "AUTH CRAM-MD5"),
             ("decode", f":b64 decode {CRAM_CHALLENGE_B64}"), ("compute", ":cram tim tanstaaftanstaaf"),
             ("respond", CRAM_ANSWER), ("weak", ":lesson next"), ("quit", "QUIT")]
    for index, (step_id, line) in enumerate(steps):
        shell.handle(line)
        saved = Progress()                                  # read back from the file, as another day would
        assert saved.passed("05-cram-md5") == {done for done, _ in steps[:index + 1]}, step_id
        if index + 1 < len(steps):
            assert saved.position("05-cram-md5") == steps[index + 1][0], step_id
    assert Progress().completed("05-cram-md5")


def test_resume_continues_at_the_step_on_a_connection_brought_there():
    shell, _ = make_shell()
    shell.handle(":lesson start cram-md5")
    for line in ("EHLO laptop.example", "AUTH CRAM-MD5", f":b64 decode {CRAM_CHALLENGE_B64}"):
        shell.handle(line)
    again, out = make_shell()                                  # another day, another shell
    assert again.handle(":lesson start cram-md5 --resume")
    runner = again.lesson.runner
    assert runner.step.id == "compute" and {"ehlo", "auth-cram", "decode"} <= runner.passed
    assert any(text.startswith("Continuing where you left off: step 4 of 7") for text in texts(out))
    assert again.session.client.state.name == "AUTH" and again.session.auth.last_challenge.startswith(b"<1896.")
    for line in (":cram tim tanstaaftanstaaf", CRAM_ANSWER, ":lesson next", "QUIT"):
        again.handle(line)
    assert runner.finished and runner.all_passed and Progress().completed("05-cram-md5")


def test_without_resume_a_batch_start_says_how_and_starts_at_step_one():
    shell, _ = make_shell()
    shell.handle(":lesson start cram-md5")
    shell.handle("EHLO laptop.example")
    again, out = make_shell()
    again.handle(":lesson start cram-md5")
    assert again.lesson.runner.index == 0
    assert any("`--resume` continues there" in text for text in texts(out))


def test_restart_forgets_the_position():
    shell, _ = make_shell()
    shell.handle(":lesson start cram-md5")
    shell.handle("EHLO laptop.example")
    again, _ = make_shell()
    again.handle(":lesson start cram-md5 --restart")
    assert again.lesson.runner.index == 0 and Progress().position("05-cram-md5") is None
    assert Progress().passed("05-cram-md5") == set()


def test_the_command_line_resumes_and_lists_completed_lessons(tmp_path):
    home = tmp_path / "cli"
    first = cli("lesson", "cram-md5", stdin="EHLO laptop.example\nAUTH CRAM-MD5\n", env_home=home)
    assert first.returncode == 1
    rest = f":b64 decode {CRAM_CHALLENGE_B64}\n:cram tim tanstaaftanstaaf\n{CRAM_ANSWER}\n:lesson next\nQUIT\n"
    second = cli("lesson", "cram-md5", "--resume", stdin=rest, env_home=home)
    assert second.returncode == 0, second.stdout[-3000:]
    assert "Continuing where you left off: step 3 of 7" in second.stdout and "Lesson complete" in second.stdout
    listing = cli("lesson", "--list", env_home=home)
    line = next(row for row in listing.stdout.splitlines() if "cram-md5" in row)
    assert line.startswith("✓") and line.endswith("completed")
    other = next(row for row in listing.stdout.splitlines() if "auth-login" in row)
    assert not other.startswith("✓") and "completed" not in other


def test_the_command_line_restart_starts_over(tmp_path):
    home = tmp_path / "cli"
    cli("lesson", "cram-md5", stdin="EHLO laptop.example\n", env_home=home)
    again = cli("lesson", "cram-md5", "--restart", stdin="", env_home=home)
    assert "Step 1 of 7" in again.stdout and "Continuing" not in again.stdout
    assert "--resume" not in again.stdout


def test_a_started_lesson_is_listed_with_its_step():
    shell, out = make_shell()
    shell.handle(":lesson start cram-md5")
    shell.handle("EHLO laptop.example")
    out.clear()
    shell.handle(":lesson list")
    line = next(row for row in "\n".join(texts(out)).splitlines() if "cram-md5" in row)
    assert line.endswith("left at step 2/7")


# ---- damaged progress files ---------------------------------------------------------------------------------

DAMAGED = {
    "wrong-types": json.dumps({"version": 1, "lessons": {"05-cram-md5": {"passed": "ehlo", "completed": "yes"}}}),
    "completed-not-bool": json.dumps({"lessons": {"05-cram-md5": {"passed": [], "completed": 1}}}),
    "lessons-a-list": json.dumps({"lessons": [1, 2, 3]}),
    "step-ids-not-strings": json.dumps({"lessons": {"05-cram-md5": {"passed": [{"a": 1}]}}}),
    "deep": "[" * 100_000 + "]" * 100_000,
    "deep-object": '{"lessons": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001,
    "huge": json.dumps({"lessons": {}, "pad": "x" * (MAX_BYTES + 10)}),
    "not-utf8": b'{"lessons": {"\xff": {}}}',
    "not-json": "{not json",
}


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_progress_file_is_set_aside_with_one_line(name):
    path = default_path()
    path.parent.mkdir(parents=True)
    content = DAMAGED[name]
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    progress = Progress()
    assert progress.lessons == {} and "\n" not in progress.problem
    assert progress.problem.startswith("progress: ") and "set aside as progress.json.damaged-" in progress.problem
    assert not path.exists() and len(list(path.parent.glob("progress.json.damaged-*"))) == 1
    progress.record("05-cram-md5", "ehlo")
    assert progress.save() == "" and Progress().passed("05-cram-md5") == {"ehlo"}


@pytest.mark.parametrize("name", ["wrong-types", "deep", "huge"])
def test_the_repl_and_list_survive_a_damaged_progress_file(name, tmp_path):
    path = default_path()
    path.parent.mkdir(parents=True)
    path.write_text(DAMAGED[name])
    shell, out = make_shell()
    assert shell.handle(":lesson list")
    said = "\n".join(texts(out))
    assert "internal error" not in said and "set aside" in said and "cram-md5" in said
    assert shell.handle(":lesson start cram-md5") and shell.handle("EHLO laptop.example")
    home = tmp_path / "cli"
    (home / "smtp-tutor").mkdir(parents=True)
    (home / "smtp-tutor" / "progress.json").write_text(DAMAGED[name])
    listed = cli("lesson", "--list", env_home=home)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert listed.stderr.count("\n") == 1 and "set aside" in listed.stderr and "cram-md5" in listed.stdout


def test_progress_that_is_dev_zero_is_read_bounded():
    path = default_path()
    path.parent.mkdir(parents=True)
    path.symlink_to("/dev/zero")
    progress = Progress()
    assert progress.lessons == {} and progress.problem.startswith("progress: ") and "\n" not in progress.problem
    assert f"bigger than {MAX_BYTES // 1024} KB" in progress.problem
