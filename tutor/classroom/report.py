"""`serve --report FILE --format md|html|json`: the end-of-class report, per student (account): what they
did, which mechanisms worked, their mistakes. No password is in it: the model never holds one."""

from __future__ import annotations

import html
import json
import time

from tutor.classroom import rows, words
from tutor.classroom.model import Classroom, Student


def as_dict(room: Classroom) -> dict:
    totals = room.totals()
    return {"title": words.text("report.title"), "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "totals": rows.totals_dict(totals),
            "students": [_student_dict(s) for s in room.students()], "absent": room.absent()}


def _student_dict(student: Student) -> dict:
    return {"user": student.user, "sessions": student.sessions, "logins": student.successes,
            "tried": student.tried, "worked": student.worked,
            "mistakes": [{"mistake": words.mistake(k), "key": k, "sessions": n}
                         for k, n in student.mistakes.most_common()],
            "clients": [words.client(c) for c in student.clients], "peers": student.peers}


def _facts(student: Student) -> list[str]:
    none = words.text("report.none")
    mistakes = ", ".join(f"{words.mistake(k)} ×{n}" for k, n in student.mistakes.most_common()) or none
    return [words.text("report.worked", list=", ".join(student.worked) or none),
            words.text("report.tried", list=", ".join(student.tried) or none),
            words.text("report.mistakes", list=mistakes),
            words.text("report.clients", list=", ".join(words.client(c) for c in student.clients) or none)]


def _heading(student: Student) -> str:
    user = student.user or words.text("report.no-user")
    return words.text("report.student", user=user, sessions=student.sessions, successes=student.successes)


def markdown(room: Classroom) -> str:
    out = [f"# {words.text('report.title')}", "", *(f"- {_md(line)}" for line in rows.totals_lines(room.totals())), ""]
    for student in room.students():
        out += [f"## {_md(_heading(student))}", "", *(f"- {_md(fact)}" for fact in _facts(student)), ""]
    if room.absent():
        out += [f"## {_md(words.text('report.absent'))}", "", ", ".join(_md(name) for name in room.absent()), ""]
    return "\n".join(out)


def html_page(room: Classroom) -> str:
    title = html.escape(words.text("report.title"))
    out = [f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>',
           "<style>body{font-family:sans-serif;max-width:60rem;margin:auto}h2{margin-bottom:.2rem}</style>",
           f"</head><body>\n<h1>{title}</h1>\n<ul>"]
    out += [f"<li>{html.escape(line)}</li>" for line in rows.totals_lines(room.totals())]
    out.append("</ul>")
    for student in room.students():
        out.append(f"<h2>{html.escape(_heading(student))}</h2>\n<ul>")
        out += [f"<li>{html.escape(fact)}</li>" for fact in _facts(student)]
        out.append("</ul>")
    if room.absent():
        absent = html.escape(", ".join(room.absent()))
        out.append(f"<h2>{html.escape(words.text('report.absent'))}</h2>\n<p>{absent}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def render(room: Classroom, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_dict(room), ensure_ascii=False, indent=1) + "\n"
    if fmt == "html":
        return html_page(room)
    return markdown(room) + "\n"


def _md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text)
