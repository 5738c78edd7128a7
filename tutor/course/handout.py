"""A printable handout of a lesson: its prose, step by step, each with the worked transcript of its solution as the
demo played it (tutor.course.demo's show() events), as Markdown or as one self-contained HTML page (no CDN, every
text escaped, control characters shown as escapes)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from tutor import explain
from tutor.course.model import Lesson

WIRE = {"C": "C: ", "S": "S: ", "echo": "> "}
PROSE = ("explain", "fail", "error", "info", "done", "hint", "solution")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORMATS = ("md", "html")


def clean(text: str) -> str:
    """Control characters (but newlines and tabs) as visible escapes: nothing from input reaches a page raw."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass
class Section:
    """One step of the handout: its heading, its prose, its task, the transcript, what followed it."""

    heading: str
    say: str = ""
    task: str = ""
    transcript: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


def sections(lesson: Lesson, events: list[tuple[str, str]]) -> tuple[list[str], list[Section]]:
    """(the lesson's opening paragraphs, its steps) from the demo's show() events."""
    opening: list[str] = []
    steps: list[Section] = []
    for kind, text in events:
        text = clean(text)
        current = steps[-1] if steps else None
        if kind == "step":
            steps.append(Section(text))
        elif current is None:
            if kind in ("info",):
                opening.append(text)
        elif kind == "info" and not current.say:
            current.say = text
        elif kind == "task" and not current.task:
            current.task = text
        elif kind in WIRE:
            current.transcript.append(WIRE[kind] + text.replace("\n", "\n" + " " * len(WIRE[kind])))
        elif kind.startswith("helper-") or kind == "note":
            prefix = "   " if kind.startswith("helper-") else "   # "
            current.transcript.append(prefix + text.replace("\n", "\n" + " " * len(prefix)))
        elif kind == "pass" or kind in PROSE:
            current.after.append(text)
    return opening, steps


def _heading(lesson: Lesson) -> str:
    return clean(explain.text("course.lesson.heading", number=lesson.number, title=lesson.title,
                              minutes=lesson.minutes, level=lesson.level))


def markdown(lesson: Lesson, events: list[tuple[str, str]]) -> str:
    """The handout as Markdown; transcripts in fenced blocks."""
    opening, steps = sections(lesson, events)
    out = [f"# {_heading(lesson)}", ""] + [line for text in opening for line in (text, "")]
    for step in steps:
        out += [f"## {step.heading}", "", step.say, ""]
        if step.task:
            out += [f"**{explain.text('course.handout.task')}** {step.task}", ""]
        if step.transcript:
            fence = "````" if any("```" in line for line in step.transcript) else "```"
            out += [fence + "text", *step.transcript, fence, ""]
        out += [line for text in step.after for line in (text, "")]
    return "\n".join(out).rstrip() + "\n"


STYLE = ("body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.45}"
         "p{white-space:pre-line}pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}p.task{font-weight:bold}")


def page(lesson: Lesson, events: list[tuple[str, str]]) -> str:
    """The handout as one HTML page: inline style, nothing loaded from elsewhere, every text escaped."""
    opening, steps = sections(lesson, events)
    e = html.escape
    title = _heading(lesson)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
           f"<style>{STYLE}</style></head><body>", f"<h1>{e(title)}</h1>"]
    out += [f"<p>{e(text)}</p>" for text in opening]
    for step in steps:
        out += [f"<h2>{e(step.heading)}</h2>", f"<p>{e(step.say)}</p>"]
        if step.task:
            out.append(f'<p class="task">{e(explain.text("course.handout.task"))} {e(step.task)}</p>')
        if step.transcript:
            out.append("<pre>" + e("\n".join(step.transcript)) + "</pre>")
        out += [f"<p>{e(text)}</p>" for text in step.after]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(fmt: str, lesson: Lesson, events: list[tuple[str, str]]) -> str:
    return markdown(lesson, events) if fmt == "md" else page(lesson, events)
