"""A small hostile corpus of lesson files: wrong types where strings belong, templates that would crash or blow up
str.format, absurd numbers, deep nesting, /dev/zero and huge files. `lesson --check` reports each problem on one
`file:LINE: ...` line and exits 1; nothing raises; a lesson whose solutions do not pass its steps is not "ok"."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tutor.cli import lesson as cli_lesson
from tutor.course import loader

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"

GOOD = '''id = "99-hostile"
title = "A hostile lesson"
summary = "For the hostile tests, {user}."
level = "beginner"
minutes = 5

[sim]
profile = "lab"

[[steps]]
id = "ehlo"
title = "Greet"
say = "Say EHLO, {user}."
task = "Type EHLO."
check = { kind = "any-ehlo" }
reply = 250
hints = ["EHLO and a name."]
solution = "EHLO laptop.example"

[[steps]]
id = "quit"
title = "Leave"
say = "Bye."
task = "Type QUIT."
check = { kind = "quit" }
reply = 221
solution = "QUIT"
'''

# (name, change to GOOD, a words the problem line must hold)
CORPUS = [
    ("profile-list", lambda t: t.replace('profile = "lab"', 'profile = ["lab"]'), "profile must be a string"),
    ("profile-table", lambda t: t.replace('profile = "lab"', "profile = { name = 1 }"), "profile must be a string"),
    ("title-table", lambda t: t.replace('title = "Greet"', "title = { a = 1 }"), "title must be a non-empty string"),
    ("say-list", lambda t: t.replace('say = "Bye."', 'say = ["Bye."]'), "say must be a non-empty string"),
    ("lesson-id-int", lambda t: t.replace('id = "99-hostile"', "id = 99"), "id must look like NN-slug"),
    ("step-id-list", lambda t: t.replace('id = "ehlo"', 'id = ["ehlo"]'), "id is missing or not a slug"),
    ("step-id-table", lambda t: t.replace('id = "quit"', "id = { a = 1 }"), "id is missing or not a slug"),
    ("empty-field", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO, {}."), "empty placeholder"),
    ("positional", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO, {0}."), "unknown placeholder {0}"),
    ("wide-spec", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO, {user:>999}."), "no format spec"),
    ("huge-spec", lambda t: t.replace("{user}.\"\nlevel", "{user:>99999999999999999999}.\"\nlevel"),
     "no format spec"),
    ("nested-spec", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO, {user:{password}}."), "no format spec"),
    ("conversion", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO, {user!r}."), "no format spec or conversion"),
    ("index", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO, {user[0]}."), "write a field name alone"),
    ("unbalanced", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO, {user."), "bad template"),
    ("solution-field", lambda t: t.replace('solution = "QUIT"', 'solution = "{}"'), "empty placeholder"),
    ("hint-spec", lambda t: t.replace('"EHLO and a name."', '"{user:^100000}"'), "no format spec"),
    ("fail-spec", lambda t: t + '\n[steps.fail]\nother-command = "{typed:>99999}"\n', "no format spec"),
    ("hints-table", lambda t: t.replace('hints = ["EHLO and a name."]', "hints = [{ a = 1 }]"),
     "hints must be a string or a list"),
    ("fail-int", lambda t: t + "\n[steps.fail]\nother-command = 5\n", "fail must be a table"),
    ("check-string", lambda t: t.replace('check = { kind = "quit" }', 'check = "quit"'), "check must be a table"),
    ("check-kind-int", lambda t: t.replace('check = { kind = "quit" }', "check = { kind = 5 }"),
     "check must be a table"),
    ("code-table", lambda t: t.replace('check = { kind = "quit" }',
                                       'check = { kind = "reply-code", code = [{ a = 1 }] }'),
     "code must be"),
    ("reply-string", lambda t: t.replace("reply = 221", 'reply = "221"'), "reply must be a reply code"),
    ("clock-inf", lambda t: t.replace('profile = "lab"', 'profile = "lab"\nclock = inf'), "clock must be"),
    ("clock-nan", lambda t: t.replace('profile = "lab"', 'profile = "lab"\nclock = nan'), "clock must be"),
    ("seed-huge", lambda t: t.replace('profile = "lab"', 'profile = "lab"\nseed = 99999999999999999999999'),
     "seed must be"),
    ("accounts-ints", lambda t: t.replace('profile = "lab"', 'profile = "lab"\naccounts = [1, 2]'),
     "accounts must be"),
    ("user-int", lambda t: t.replace('profile = "lab"', 'profile = "lab"\nuser = 3'), "user must be a string"),
    ("challenge-int", lambda t: t.replace('profile = "lab"', 'profile = "lab"\nchallenge = 7'), "challenge:"),
    ("minutes-bool", lambda t: t.replace("minutes = 5", "minutes = true"), "minutes must be"),
    ("level-list", lambda t: t.replace('level = "beginner"', "level = []"), "level must be one of"),
    ("steps-empty", lambda t: t[:t.index("[[steps]]")] + "steps = []\n", "steps must be a non-empty array"),
    ("too-many-steps", lambda t: t + "".join(t[t.index("[[steps]]"):t.index("[[steps]]", t.index("[[steps]]") + 1)]
                                             .replace('"ehlo"', f'"s{n}"') for n in range(201)), "more than 200"),
    ("deep-array", lambda t: t + "\n[x]\ny = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deep"),
    ("sim-string", lambda t: t.replace('[sim]\nprofile = "lab"\n', 'sim = "lab"\n'), "sim must be a table"),
    ("not-toml", lambda t: "id = \n", "toml:"),
    ("control-char", lambda t: t.replace("Say EHLO, {user}.", "Say EHLO\\u001b[2J, {user}."),
     "a control character (\\x1b)"),
    ("control-in-account", lambda t: t.replace('profile = "lab"', 'profile = "lab"\naccounts = ["tim\\u0007:x"]'),
     "a control character in an account"),
    ("control-key", lambda t: t.replace("minutes = 5", 'minutes = 5\n"k\\u001b" = 1'), "unknown key 'k\\x1b'"),
    ("empty-file", lambda t: "", "id must look like NN-slug"),
    ("nul-bytes", lambda t: t.replace("Bye.", "Bye\x00."), "Illegal character '\\x00'"),
]


def write(tmp_path: Path, text: str, stem: str = "99-hostile") -> Path:
    path = tmp_path / f"{stem}.toml"
    path.write_text(text.replace("99-hostile", stem), encoding="utf-8")
    return path


def test_the_good_template_is_ok(tmp_path, capsys):
    assert cli_lesson.check_files([str(write(tmp_path, GOOD))]) == 0
    assert "ok (2 steps" in capsys.readouterr().out


@pytest.mark.parametrize("name, change, words", CORPUS, ids=[c[0] for c in CORPUS])
def test_a_hostile_lesson_gets_one_line_per_problem_with_its_line(tmp_path, capsys, name, change, words):
    path = write(tmp_path, change(GOOD))
    assert cli_lesson.check_files([str(path)]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    shown = loader.shown_path(path)
    assert lines and all(re.match(rf"^{re.escape(shown)}:\d+: ", line) for line in lines), lines
    assert any(words in line for line in lines), lines
    assert "Traceback" not in out.out + out.err and len(out.out) < 20_000
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", out.out)        # nothing from the file reaches a terminal raw


def test_a_lesson_file_that_is_dev_zero_or_huge_is_refused_in_one_line(tmp_path, capsys):
    huge = tmp_path / "98-huge.toml"
    huge.write_text(GOOD + "# " + "x" * (loader.MAX_BYTES + 1) + "\n")
    assert cli_lesson.check_files(["/dev/zero", str(huge)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["/dev/zero:1: lesson: bigger than 256 KB: not a lesson file",
                     f"{loader.shown_path(huge)}:1: lesson: bigger than 256 KB: not a lesson file"]


def test_a_lesson_whose_solution_fails_its_step_is_not_ok(tmp_path, capsys):
    for path in LESSONS.glob("0[23]-*.toml"):
        shutil.copy(path, tmp_path / path.name)
    lesson = tmp_path / "03-auth-plain.toml"
    text = lesson.read_text()
    lesson.write_text(text.replace('solution = "AUTH PLAIN {plain_b64}"', 'solution = "AUTH PLAIN {user_b64}"'))
    number = lesson.read_text().splitlines().index('solution = "AUTH PLAIN {user_b64}"') + 1
    assert cli_lesson.check_files([str(lesson)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "ok (" not in lines[0]
    assert lines[0].startswith(f"{loader.shown_path(lesson)}:{number}: initial: the solution does not pass")


def test_a_solution_with_the_wrong_reply_is_not_ok(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("reply = 250", "reply = 235"))
    assert cli_lesson.check_files([str(path)]) == 1
    assert "ehlo: the solution does not pass this step on the simulator" in capsys.readouterr().out


def test_the_shipped_lessons_pass_the_full_check(capsys):
    assert cli_lesson.check_files([str(p) for p in sorted(LESSONS.glob("*.toml"))]) == 0
    out = capsys.readouterr().out
    assert out.count("every solution passes its step on the simulator") == len(list(LESSONS.glob("*.toml")))
