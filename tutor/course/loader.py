"""Finds and reads the lesson files (lessons/NN-slug.toml), bounded and strictly: every problem is one
`file:LINE: step: what` line (LessonError for the first), never a traceback. Finds the lessons in a source checkout
(repo/lessons), in an installed package (tutor/lessons), or where $SMTP_TUTOR_LESSONS points."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path

from tutor.course import locate
from tutor.course.model import Lesson
from tutor.course.schema import Problems, parse_lesson
from tutor.errors import LessonError

ENV = "SMTP_TUTOR_LESSONS"
MAX_BYTES = 256 * 1024       # the biggest shipped lesson is about 10 KB


def lessons_dir() -> Path:
    """Where the lessons are: $SMTP_TUTOR_LESSONS, the checkout's lessons/, or the package's tutor/lessons/."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "lessons").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / "lessons"
    packaged = Path(str(resources.files("tutor").joinpath("lessons")))
    if packaged.is_dir():
        return packaged
    raise LessonError(f"no lessons found: looked in {checkout / 'lessons'} and {packaged} (set ${ENV} to a folder)")


def shown_path(path: Path) -> str:
    """The path as errors show it: relative to the current directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_text(file: Path) -> str:
    """A lesson file's text, read bounded (a lesson is a few KB: /dev/zero or a huge file is refused)."""
    with open(file, "rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValueError(f"bigger than {MAX_BYTES // 1024} KB: not a lesson file")
    return raw.decode("utf-8")


def read(path: str | os.PathLike) -> tuple[Lesson | None, list[str]]:
    """The lesson in a file and its problems as `file:LINE: where: what` lines (the lesson is None if unreadable)."""
    file = Path(path)
    name = shown_path(file)
    try:
        text = read_text(file)
        data = tomllib.loads(text)
    except OSError as exc:
        return None, [f"{name}:1: lesson: cannot read the file ({exc.strerror or exc})"]
    except UnicodeDecodeError as exc:
        return None, [f"{name}:1: lesson: not UTF-8 text (bad byte at offset {exc.start})"]
    except tomllib.TOMLDecodeError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "not TOML"
        return None, [f"{name}:{locate.line_of('', 'toml', message, None)}: toml: {message}"]
    except RecursionError:
        return None, [f"{name}:1: lesson: arrays or tables nested too deep to read"]
    except ValueError as exc:                       # bigger than MAX_BYTES
        return None, [f"{name}:1: lesson: {exc}"]
    problems = Problems()
    lesson = parse_lesson(data, file.stem, str(file), problems)
    return lesson, [f"{name}:{locate.line_of(text, where, what, step)}: {where}: {what}"
                    for where, what, step in problems.found]


def check_file(path: str | os.PathLike) -> list[str]:
    """Every problem in one lesson file, prerequisites checked against the lessons next to it."""
    lesson, problems = read(path)
    if lesson is not None:
        siblings = {p.stem for p in Path(path).parent.glob("*.toml")}
        name = shown_path(Path(path))
        line = locate.line_of(read_text(Path(path)), "lesson", "prerequisites", None)
        problems += [f"{name}:{line}: lesson: prerequisite {p!r} is not a lesson in {shown_path(Path(path).parent)}"
                     for p in lesson.prerequisites if p not in siblings]
    return problems


def load_file(path: str | os.PathLike) -> Lesson:
    """The lesson in a file; LessonError with the first problem (and how many more) otherwise."""
    lesson, problems = read(path)
    if problems or lesson is None:
        more = f" (and {len(problems) - 1} more: smtp-tutor lesson --check {path})" if len(problems) > 1 else ""
        raise LessonError(problems[0] + more)
    return lesson


def load_all(directory: str | os.PathLike | None = None, errors: list[str] | None = None) -> list[Lesson]:
    """Every lesson in the folder, in number order. LessonError at the first bad file, or, when `errors` is
    given, each bad file's one-line message is appended there and the good lessons are still returned."""
    folder = Path(directory) if directory is not None else lessons_dir()
    lessons = []
    for path in sorted(folder.glob("*.toml")):
        try:
            lessons.append(load_file(path))
        except LessonError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
    ids = {lesson.id for lesson in lessons}
    for lesson in lessons:
        for item in lesson.prerequisites:
            if item not in ids:
                message = f"{shown_path(Path(lesson.path))}:1: lesson: prerequisite {item!r} is not a lesson"
                if errors is None:
                    raise LessonError(message)
                errors.append(message)
    return sorted(lessons, key=lambda lesson: (lesson.number, lesson.id))


def find(name: str, lessons: list[Lesson] | None = None) -> Lesson:
    """A lesson by id (`05-cram-md5`), slug (`cram-md5`), number (`5`), a part of one slug only (`cram`), or
    the path of a lesson file."""
    if name.endswith(".toml") and Path(name).is_file():
        return load_file(name)
    lessons = load_all() if lessons is None else lessons
    wanted = name.strip().lower()
    for lesson in lessons:
        if wanted in lesson.names():
            return lesson
    partial = [lesson for lesson in lessons if wanted and wanted in lesson.slug]
    if len(partial) > 1:   # a whole word of the slug wins: "cram" is cram-md5, not scram-sha-256
        partial = [lesson for lesson in partial if wanted in lesson.slug.split("-")] or partial
    if len(partial) == 1:
        return partial[0]
    known = ", ".join(lesson.slug for lesson in lessons)
    raise LessonError(f"no lesson called {name!r} (known: {known})")
