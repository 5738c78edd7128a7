"""Lesson files: every shipped lesson validates; a bad file gives one `file:LINE: step: what is wrong` line per
problem, never a traceback, through the API and through `smtp-tutor lesson --check`."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.course import loader
from tutor.errors import LessonError

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
REQUIRED = ["01-smtp-basics", "02-base64", "03-auth-plain", "04-auth-login", "05-cram-md5", "06-when-it-fails",
            "07-sniffer", "08-starttls", "09-after-auth", "10-myths-of-2002"]

GOOD = '''
id = "{stem}"
title = "A test lesson"
summary = "For the loader tests."
level = "beginner"
minutes = 5

[[steps]]
id = "ehlo"
title = "Greet"
say = "Say EHLO."
task = "Type EHLO."
check = { kind = "any-ehlo" }
reply = 250
solution = "EHLO laptop.example"
'''


def write(tmp_path, text, stem="99-test"):
    path = tmp_path / f"{stem}.toml"
    path.write_text(text.replace("{stem}", stem) if "{stem}" in text else text, encoding="utf-8")
    return path


def tutor(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd or ROOT, env={**os.environ, "NO_COLOR": "1", **(env or {})})


@pytest.mark.parametrize("name", REQUIRED)
def test_every_required_lesson_exists_and_validates(name):
    path = LESSONS / f"{name}.toml"
    assert path.is_file()
    assert loader.check_file(path) == []


def test_all_lesson_files_validate_and_load_in_order():
    lessons = loader.load_all(LESSONS)
    assert [lesson.id for lesson in lessons][:10] == REQUIRED
    for lesson in lessons:
        assert loader.check_file(lesson.path) == []
        assert lesson.steps and all(step.solution or step.reading for step in lesson.steps)


def test_the_good_template_is_good(tmp_path):
    assert loader.check_file(write(tmp_path, GOOD)) == []


# (what to change in the good file, the `where: what` expected after "99-test.toml:")
BAD = [
    (lambda t: t.replace('kind = "any-ehlo"', 'kind = "any-helo"'), "ehlo: check kind 'any-helo' is unknown"),
    (lambda t: t.replace('kind = "any-ehlo"', 'kind = "any-ehlo", tls = "yes"'), "ehlo: check any-ehlo: tls must be"),
    (lambda t: t.replace('kind = "any-ehlo"', 'kind = "base64-of"'),
     "ehlo: check base64-of needs the parameter 'field'"),
    (lambda t: t.replace('kind = "any-ehlo"', 'kind = "base64-of", field = "email"'),
     "ehlo: check base64-of: field must be one of"),
    (lambda t: t.replace('kind = "any-ehlo"', 'kind = "quit", verb = "QUIT"'),
     "ehlo: check quit takes no parameter 'verb'"),
    (lambda t: t.replace('solution = "EHLO laptop.example"', ""), "ehlo: solution is missing"),
    (lambda t: t.replace('say = "Say EHLO."', 'say = "Say {hello}."'), "ehlo: say: unknown placeholder {hello}"),
    (lambda t: t.replace('say = "Say EHLO."', 'say = "Say {user."'), "ehlo: say: bad template"),
    (lambda t: t.replace("reply = 250", "reply = 99"), "ehlo: reply must be a reply code"),
    (lambda t: t.replace("reply = 250", 'hint = "x"'), "ehlo: unknown key 'hint'"),
    (lambda t: t.replace('level = "beginner"', 'level = "easy"'), "lesson: level must be one of"),
    (lambda t: t.replace("minutes = 5", "minutes = 0"), "lesson: minutes must be a whole number above 0"),
    (lambda t: t.replace('title = "A test lesson"', ""), "lesson: title is missing"),
    (lambda t: t.replace('id = "99-test"', 'id = "98-other"'), "lesson: id '98-other' must match the file name"),
    (lambda t: t.replace('id = "ehlo"', 'id = "Greet Me"'), "step 1: id is missing or not a slug"),
    (lambda t: t + t[t.index("[[steps]]"):], "ehlo: id 'ehlo' is used by an earlier step"),
    (lambda t: t + '\n[sim]\nprofile = "nope"\n', "sim: profile 'nope' is unknown"),
    (lambda t: t + '\n[sim]\naccounts = ["tim"]\n', "sim: account 'tim' must be NAME:PASSWORD"),
    (lambda t: t + '\n[sim]\nuser = "eve"\n', "sim: user 'eve' is not one of the accounts"),
    (lambda t: t + '\n[sim]\nchallenge = "<a\\\\q>"\n', "sim: challenge: unknown escape"),
    (lambda t: t + '\n[steps.fail]\nnot-a-key = "x"\n', "ehlo: fail: check any-ehlo has no failure 'not-a-key'"),
    (lambda t: t.replace('kind = "any-ehlo"', 'kind = "continue"'), "ehlo: reply: a continue step gets no reply"),
    (lambda t: t.replace('title = "A test lesson"', 'title = "x"\nprerequisites = ["nonsense"]'),
     "lesson: prerequisite 'nonsense' is not a lesson id"),
    (lambda t: t.replace("[[steps]]", "[steps]"), "lesson: steps must be a non-empty array of tables"),
    (lambda t: t.replace('solution = "EHLO laptop.example"', "solution = []"), "ehlo: solution is empty"),
    (lambda t: t.replace('say = "Say EHLO."', 'say = "Say {user.upper}."'),
     "ehlo: say: placeholder {user.upper}: write a field name alone"),
    (lambda t: t.replace("minutes = 5", 'minutes = 5\nsimulator_only = "yes"'),
     "lesson: simulator_only must be true or false"),
    (lambda t: t.replace('say = "Say EHLO."', 'say = "Your token is {token}."'),
     "ehlo: uses {token}, which only the simulator has"),
]


@pytest.mark.parametrize("change, expected", BAD, ids=[e for _, e in BAD])
def test_a_bad_file_names_the_file_the_step_and_the_problem(tmp_path, change, expected):
    path = write(tmp_path, change(GOOD.replace("{stem}", "99-test")))
    problems = loader.check_file(path)
    assert any(expected in line for line in problems), problems
    assert all(line.startswith(f"{loader.shown_path(path)}:") and "\n" not in line for line in problems)
    with pytest.raises(LessonError) as raised:
        loader.load_file(path)
    assert "\n" not in str(raised.value) and str(raised.value).startswith(loader.shown_path(path))


LINES = [   # (change to the good file, the problem, the line it is on)
    (lambda t: t.replace('kind = "any-ehlo"', 'kind = "nope"'), "check kind 'nope' is unknown", 13),
    (lambda t: t.replace("reply = 250", "reply = 99"), "reply must be a reply code", 14),
    (lambda t: t.replace("minutes = 5", "minutes = 0"), "minutes must be", 6),
    (lambda t: t.replace('say = "Say EHLO."', 'say = "Say {user:>999}."'), "no format spec", 11),
    (lambda t: t + '\n[sim]\nseed = 1\nprofile = ["lab"]\n', "profile must be a string", 19),
    (lambda t: t + t[t.index("[[steps]]"):].replace('"ehlo"', '"two"').replace('title = "Greet"', "title = 5"),
     "title must be a non-empty string", 18),
]


@pytest.mark.parametrize("change, expected, number", LINES, ids=[e for _, e, _ in LINES])
def test_each_problem_names_its_line(tmp_path, change, expected, number):
    text = change(GOOD.replace("{stem}", "99-test"))
    path = write(tmp_path, text)
    problems = [p for p in loader.check_file(path) if expected in p]
    assert problems and problems[0].startswith(f"{loader.shown_path(path)}:{number}: "), (problems, text)


def test_toml_syntax_errors_are_one_line(tmp_path):
    path = write(tmp_path, 'id = "99-test"\ntitle = \n')
    problems = loader.check_file(path)
    assert len(problems) == 1 and problems[0].startswith(f"{loader.shown_path(path)}:2: toml: ")
    assert "line 2" in problems[0]


def test_a_missing_file_is_one_line(tmp_path):
    problems = loader.check_file(tmp_path / "01-gone.toml")
    assert len(problems) == 1 and "cannot read the file" in problems[0]


def test_prerequisites_must_exist_next_to_the_file(tmp_path):
    path = write(tmp_path, GOOD.replace("{stem}", "99-test").replace("minutes = 5",
                                                                     'minutes = 5\nprerequisites = ["01-nothing"]'))
    assert any("prerequisite '01-nothing' is not a lesson" in p for p in loader.check_file(path))


def test_find_by_number_slug_id_part_and_path():
    lessons = loader.load_all(LESSONS)
    for name in ("5", "05", "cram-md5", "05-cram-md5", "cram", str(LESSONS / "05-cram-md5.toml")):
        assert loader.find(name, lessons).id == "05-cram-md5"
    with pytest.raises(LessonError, match=r"no lesson called 'kerberos'.*cram-md5"):
        loader.find("kerberos", lessons)
    with pytest.raises(LessonError):
        loader.find("auth", lessons)          # auth-plain and auth-login: ambiguous, not guessed


def test_lessons_dir_is_the_checkout_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(loader.ENV, raising=False)
    assert loader.lessons_dir() == LESSONS
    monkeypatch.setenv(loader.ENV, str(tmp_path))
    assert loader.lessons_dir() == tmp_path


def test_cli_check_prints_file_step_lines_and_exits_1(tmp_path):
    bad = write(tmp_path, GOOD.replace("{stem}", "99-test").replace('kind = "any-ehlo"', 'kind = "nope"'))
    result = tutor("lesson", "--check", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("99-test.toml:13: ehlo: check kind 'nope' is unknown")
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_check_accepts_good_files():
    result = tutor("lesson", "--check", *[f"lessons/{name}.toml" for name in REQUIRED])
    assert result.returncode == 0, result.stdout
    assert result.stdout.count(": ok (") == len(REQUIRED)


def test_cli_unknown_lesson_is_one_line():
    result = tutor("lesson", "nonsense-lesson", "--demo")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("smtp-tutor: no lesson called 'nonsense-lesson'")
    assert "Traceback" not in result.stderr


def test_cli_list_shows_progress(tmp_path):
    result = tutor("lesson", "--list", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 0
    assert "cram-md5" in result.stdout and str(tmp_path) in result.stdout


def test_course_code_imports_no_transport_session_or_ui():
    """tutor/course is sans-IO: sockets, the session and the REPL stay at the edge (cli_lesson, lesson_sessions)."""
    import ast

    forbidden = ("tutor.transport", "tutor.session", "tutor.repl", "tutor.display", "tutor.cli")
    for path in sorted((ROOT / "tutor" / "course").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


@pytest.mark.parametrize("text, tls, expected", [
    ("mail.example.org", False, ("mail.example.org", 587)),
    ("mail.example.org", True, ("mail.example.org", 465)),
    ("mail.example.org:2525", False, ("mail.example.org", 2525)),
    ("[::1]:465", False, ("::1", 465)),
    ("::1", False, ("::1", 587)),
])
def test_connect_targets(text, tls, expected):
    """`lesson --connect` reads its target with tutor.transport.address.parse, as `connect` does."""
    from tutor.cli.lesson import live_options

    args = argparse.Namespace(connect=text, tls=tls, starttls=False, user="tim", insecure=False, cafile=None)
    lesson = argparse.Namespace(simulator_only=False)
    host, port, _ = live_options(args, lesson)
    assert (host, port) == expected


@pytest.mark.parametrize("text", ["host:port", ":25", "host:70000", "smtp://mail.example:587", "[mail.example]:25"])
def test_bad_connect_targets_are_one_line(text, capsys, tmp_path, monkeypatch):
    """A URL is refused, not taken as a host name (the old lesson parser connected to "smtp://mail.example")."""
    from tutor import cli

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert cli.main(["lesson", "3", "--connect", text, "--user", "tim"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"bad target {text!r}" in err and "Traceback" not in err


def test_simulator_only_lessons_may_use_the_lab_token(tmp_path):
    text = GOOD.replace("minutes = 5", "minutes = 5\nsimulator_only = true").replace('say = "Say EHLO."',
                                                                                     'say = "Token {token}."')
    path = write(tmp_path, text)
    assert loader.check_file(path) == [] and loader.load_file(path).simulator_only


def _readme():
    return (LESSONS / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_file_is_a_valid_lesson(tmp_path):
    """lessons/README.md teaches by its example: copied into a file, it validates (prerequisites aside)."""
    text = _readme()
    start = text.index("```toml\n") + len("```toml\n")
    example = text[start:text.index("```", start)]
    path = tmp_path / "05-cram-md5.toml"
    path.write_text(example, encoding="utf-8")
    lesson, problems = loader.read(path)
    assert problems == [] and lesson.steps[0].check.kind == "cram-response"


def test_the_readme_documents_every_check_kind_failure_key_and_template_field():
    from tutor.course.checks import CHECKS
    from tutor.course.facts import FIELDS

    rows = {line.split("|")[1].strip(" `"): line for line in _readme().splitlines() if line.startswith("| `")}
    for kind in CHECKS.values():
        assert kind.name in rows, f"lessons/README.md: check kind {kind.name} is not in the table"
        for key in kind.fails:
            assert key in rows[kind.name], f"lessons/README.md: {kind.name} does not list its failure key {key}"
    for name in FIELDS:
        assert "{" + name + "}" in _readme(), f"lessons/README.md: template field {{{name}}} is not documented"
