"""`smtp-tutor lesson NAME --format md|html` writes a handout (the lesson's prose, each step's worked transcript);
`lesson NAME --demo --record FILE` writes the demo's transcript. HTML is self-contained and escaped."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.course import loader

ROOT = Path(__file__).resolve().parent.parent
LESSONS = loader.load_all(ROOT / "lessons")
RFC2195_RESPONSE = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"   # tim b913a602c7eda7a495b4e6e7334d3890

HOSTILE = '''id = "97-escape"
title = "Escaping <b>me</b> & you"
summary = "A summary with <script>alert(1)</script> in it."
level = "beginner"
minutes = 5

[[steps]]
id = "ehlo"
title = "Greet <i>it</i>"
say = "Say <img src=x onerror=alert(1)> please."
task = "Type EHLO."
check = { kind = "any-ehlo" }
reply = 250
solution = "EHLO laptop.example"
'''


def tutor(*args, tmp_path):
    env = {**os.environ, "NO_COLOR": "1", "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env=env)


def test_markdown_handout_has_every_step_and_the_worked_transcript(tmp_path):
    done = tutor("lesson", "cram-md5", "--format", "md", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    lesson = loader.find("cram-md5", LESSONS)
    text = done.stdout
    assert text.startswith("# Lesson 5: ")
    assert text.count("\n## Step ") == len(lesson.steps)
    for step in lesson.steps:
        assert step.title in text
    assert "C: AUTH CRAM-MD5" in text and f"C: {RFC2195_RESPONSE}" in text
    assert "S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+" in text
    assert "**Task:** Type `:cram tim tanstaaftanstaaf`." in text      # the task with its values filled in
    assert text.count("```") % 2 == 0 and text.count("```text") == sum(1 for s in lesson.steps if not s.reading)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_lesson_has_an_html_handout(lesson, tmp_path):
    done = tutor("lesson", lesson.id, "--format", "html", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    page = done.stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<h2>") == len(lesson.steps) and "<pre>" in page
    for forbidden in ("<script", "src=", "href=", "<link"):
        assert forbidden not in page           # self-contained: nothing from a CDN, nothing run
    style = page[page.index("<style>"):page.index("</style>")]
    assert "url(" not in style and "@import" not in style


def test_html_handout_escapes_the_lessons_text(tmp_path):
    path = tmp_path / "97-escape.toml"
    path.write_text(HOSTILE)
    done = tutor("lesson", str(path), "--format", "html", tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    page = done.stdout
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;me&lt;/b&gt; &amp; you" in page and "&lt;i&gt;it&lt;/i&gt;" in page


def test_a_control_character_in_what_the_demo_showed_is_escaped_in_the_handout():
    from tutor.course import handout

    lesson = loader.find("smtp-basics", LESSONS)
    events = [("step", "Step 1 of 5: x"), ("info", "say"), ("task", "do"), ("S", "250 ok\x1b[31m red"),
              ("explain", "bell\x07")]
    for fmt in handout.FORMATS:
        text = handout.render(fmt, lesson, events)
        assert "\x1b" not in text and "\x07" not in text
        assert "250 ok\\x1b[31m red" in text and "bell\\x07" in text


def test_handout_is_for_the_simulator(tmp_path):
    done = tutor("lesson", "cram-md5", "--format", "md", "--connect", "127.0.0.1:1", "--user", "tim",
                 tmp_path=tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr and "leave out --connect" in done.stderr


def test_demo_record_writes_the_transcript(tmp_path):
    record = tmp_path / "demo.jsonl"
    done = tutor("lesson", "cram-md5", "--demo", "--no-pause", "--record", str(record), tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert record.is_file() and stat.S_IMODE(record.stat().st_mode) == 0o600
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert rows[0]["type"] == "header" and rows[0]["target"] == "sim:fixed-challenge"
    wire = [(row["dir"], row["data"]) for row in rows if row.get("type") == "line"]
    assert ("C", "AUTH CRAM-MD5") in wire and ("C", "QUIT") in wire
    assert any(d == "S" and data.startswith("235 ") for d, data in wire)
    assert wire[0][0] == "S" and wire[0][1].startswith("220 ")              # the greeting is in it too
    assert str(record) in done.stdout
    traced = tutor("trace", str(record), "--summary", tmp_path=tmp_path)
    assert traced.returncode == 0 and "CRAM-MD5" in traced.stdout
