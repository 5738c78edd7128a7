"""Lesson progress: which steps each lesson has passed and which lessons are done, kept in
$XDG_DATA_HOME/smtp-tutor/progress.json (default ~/.local/share/smtp-tutor/progress.json).

A missing or damaged file is treated as no progress (it is never worth a traceback); writes are atomic.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterable

from tutor import explain

VERSION = 1


def default_path() -> Path:
    """$XDG_DATA_HOME/smtp-tutor/progress.json, or ~/.local/share/smtp-tutor/progress.json."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "smtp-tutor" / "progress.json"


class Progress:
    """Passed steps per lesson id, and the lessons completed; `save()` after changes (the runner does)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.lessons: dict[str, dict] = {}
        self.problem = ""          # why the file could not be read, if it could not
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            self.problem = f"{self.path}: {exc}"
            return
        lessons = data.get("lessons") if isinstance(data, dict) else None
        if isinstance(lessons, dict):
            self.lessons = {k: v for k, v in lessons.items() if isinstance(v, dict)}

    def _entry(self, lesson_id: str) -> dict:
        entry = self.lessons.setdefault(lesson_id, {})
        if not isinstance(entry.get("passed"), list):
            entry["passed"] = []
        return entry

    def passed(self, lesson_id: str) -> set[str]:
        entry = self.lessons.get(lesson_id, {})
        return set(entry.get("passed", [])) if isinstance(entry.get("passed"), list) else set()

    def completed(self, lesson_id: str) -> bool:
        return bool(self.lessons.get(lesson_id, {}).get("completed"))

    def record(self, lesson_id: str, step_id: str) -> None:
        entry = self._entry(lesson_id)
        if step_id not in entry["passed"]:
            entry["passed"].append(step_id)
        entry["updated"] = time.time()

    def complete(self, lesson_id: str) -> None:
        entry = self._entry(lesson_id)
        entry["completed"] = True
        entry["updated"] = time.time()

    def reset(self, lesson_id: str) -> None:
        """Forget the steps passed (a restart); a lesson once completed stays completed."""
        entry = self._entry(lesson_id)
        entry["passed"] = []

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
    """The lessons, one line each, marked done / started / new (words in tutor/data/course.toml)."""
    lines = [explain.text("course.cli.list-heading", path=progress.path)]
    for lesson in lessons:
        state = "done" if progress.completed(lesson.id) else "started" if progress.passed(lesson.id) else "new"
        mark = explain.text(f"course.cli.mark-{state}").ljust(1)
        lines.append(explain.text("course.cli.list-line", mark=mark, number=lesson.number, slug=lesson.slug,
                                  title=lesson.title, minutes=lesson.minutes, level=lesson.level))
    return lines
