"""Lesson progress: which steps each lesson has passed, the step the learner was on, and which lessons are done,
kept in $XDG_DATA_HOME/smtp-tutor/progress.json (default ~/.local/share/smtp-tutor/progress.json).

A damaged file (not JSON, wrong types, nested too deep, too big) is never worth a traceback: it is set aside as
progress.json.damaged-<time> with a one-line note (`problem`), and lessons start fresh. Writes are atomic.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tutor import explain

VERSION = 1
MAX_BYTES = 256 * 1024       # a real file holds a few KB: a dozen lessons, a dozen step ids each
MAX_LESSONS = 1000
MAX_STEPS = 200
MAX_NAME = 100


def default_path() -> Path:
    """$XDG_DATA_HOME/smtp-tutor/progress.json, or ~/.local/share/smtp-tutor/progress.json."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "smtp-tutor" / "progress.json"


def _name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME


def _entry_problem(entry: Any) -> str:
    """What is wrong with one lesson's entry ("" when nothing)."""
    if not isinstance(entry, dict):
        return "a lesson entry is not an object"
    passed = entry.get("passed", [])
    if not isinstance(passed, list) or len(passed) > MAX_STEPS or not all(_name(step) for step in passed):
        return "`passed` is not a list of step ids"
    if not isinstance(entry.get("completed", False), bool):
        return "`completed` is not true/false"
    if "at" in entry and not _name(entry["at"]):
        return "`at` is not a step id"
    updated = entry.get("updated", 0)
    if isinstance(updated, bool) or not isinstance(updated, (int, float)):
        return "`updated` is not a number"
    return ""


def validate(data: Any) -> str:
    """What is wrong with the file's data ("" when it is a progress file this version reads)."""
    if not isinstance(data, dict) or not isinstance(data.get("lessons", {}), dict):
        return "not a progress file (an object with `lessons`)"
    lessons = data.get("lessons", {})
    if len(lessons) > MAX_LESSONS:
        return f"more than {MAX_LESSONS} lessons"
    for lesson_id, entry in lessons.items():
        problem = _entry_problem(entry) if _name(lesson_id) else "a lesson id is not a short string"
        if problem:
            return problem
    return ""


class Progress:
    """Passed steps per lesson id, the step the learner is at, the lessons completed; `save()` after changes."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.lessons: dict[str, dict] = {}
        self.problem = ""          # one line: why the file was set aside, if it was
        self._load()

    def _read(self) -> Any:
        """The file's JSON; ValueError (with why) when it is too big, not UTF-8 or not JSON."""
        with open(self.path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ValueError(f"bigger than {MAX_BYTES // 1024} KB")
        try:
            return json.loads(raw.decode("utf-8"))
        except RecursionError:
            raise ValueError("nested too deep") from None
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None

    def _load(self) -> None:
        try:
            data = self._read()
        except FileNotFoundError:
            return
        except IsADirectoryError:
            self.problem = explain.text("course.progress.unreadable", path=self.path, error="a directory")
            return
        except OSError as exc:
            self.problem = explain.text("course.progress.unreadable", path=self.path, error=exc.strerror or exc)
            return
        except ValueError as exc:
            self._set_aside(str(exc).splitlines()[0][:120])
            return
        problem = validate(data)
        if problem:
            self._set_aside(problem)
            return
        self.lessons = {key: dict(value) for key, value in data.get("lessons", {}).items()}

    def _set_aside(self, why: str) -> None:
        """Rename the damaged file out of the way (it may be worth a look), note it, and start fresh."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            if not self.path.is_file():
                raise OSError("not a regular file")
            os.replace(self.path, aside)
        except OSError:
            self.problem = explain.text("course.progress.damaged-kept", path=self.path, why=why)
            return
        self.problem = explain.text("course.progress.damaged", path=self.path, why=why, aside=aside.name)

    def _entry(self, lesson_id: str) -> dict:
        entry = self.lessons.setdefault(lesson_id, {})
        if not isinstance(entry.get("passed"), list):
            entry["passed"] = []
        return entry

    def passed(self, lesson_id: str) -> set[str]:
        entry = self.lessons.get(lesson_id, {})
        return set(entry.get("passed", [])) if isinstance(entry.get("passed"), list) else set()

    def completed(self, lesson_id: str) -> bool:
        return self.lessons.get(lesson_id, {}).get("completed") is True

    def position(self, lesson_id: str) -> str | None:
        """The id of the step the learner was on when they left (None: not started, or finished)."""
        at = self.lessons.get(lesson_id, {}).get("at")
        return at if isinstance(at, str) else None

    def record(self, lesson_id: str, step_id: str) -> None:
        entry = self._entry(lesson_id)
        if step_id not in entry["passed"]:
            entry["passed"].append(step_id)
        entry["updated"] = time.time()

    def move(self, lesson_id: str, step_id: str | None) -> None:
        """Remember the step the learner is on (None: the lesson was finished)."""
        entry = self._entry(lesson_id)
        if step_id is None:
            entry.pop("at", None)
        else:
            entry["at"] = step_id
        entry["updated"] = time.time()

    def complete(self, lesson_id: str) -> None:
        entry = self._entry(lesson_id)
        entry["completed"] = True
        entry.pop("at", None)
        entry["updated"] = time.time()

    def reset(self, lesson_id: str) -> None:
        """Forget the steps passed and the position (a restart); a lesson once completed stays completed."""
        entry = self._entry(lesson_id)
        entry["passed"] = []
        entry.pop("at", None)

    def save(self) -> str:
        """Write the file atomically; returns "" or why it could not be written (progress is not worth a crash)."""
        payload = {"version": VERSION, "lessons": self.lessons}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".json.tmp")
            temporary.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            return f"cannot save progress to {self.path}: {exc.strerror or exc}"
        return ""


def listing(progress: Progress, lessons: Iterable) -> list[str]:
    """The lessons, one line each, marked completed / at step N / new (words in tutor/data/course.toml)."""
    lines = [explain.text("course.cli.list-heading", path=progress.path)]
    for lesson in lessons:
        state = _state(progress, lesson)
        mark = explain.text(f"course.cli.mark-{state}").ljust(1)
        at = progress.position(lesson.id)
        index = next((i for i, step in enumerate(lesson.steps) if step.id == at), None)
        where = explain.text(f"course.cli.where-{state}", step=(index or 0) + 1, total=len(lesson.steps))
        lines.append(explain.text("course.cli.list-line", mark=mark, number=lesson.number, slug=lesson.slug,
                                  title=lesson.title, minutes=lesson.minutes, level=lesson.level, where=where))
    return lines


def _state(progress: Progress, lesson: Any) -> str:
    if progress.completed(lesson.id):
        return "done"
    return "started" if progress.passed(lesson.id) or progress.position(lesson.id) else "new"
