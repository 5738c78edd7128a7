"""One session's exchange, decoded and annotated by the tracer (tutor.trace) from its redacted records.

The records are what `serve --record` writes, so the view shows exactly what `smtp-tutor trace` shows for
a recorded file; the credentials are redacted by role (the lines the server masks, plus credentials a student
put where none belongs), so no password reaches a view.
"""

from __future__ import annotations

from typing import Iterator

from tutor import escapes, explain
from tutor.classroom.session import SessionSummary, Step, note_of
from tutor.errors import InputError
from tutor.trace import render
from tutor.trace.importers import jsonl
from tutor.trace.pipeline import reports
from tutor.trace.report import SessionReport
from tutor.trace.source import Source
from tutor.trace.transcript import REDACTED, Entry

OPTIONS = render.Options(reveal=False)


def records(summary: SessionSummary) -> Iterator[dict]:
    """The session as JSON Lines objects, as `serve --record` orders them (client lines, the server's notes,
    its reply), redacted: the lines the server masked, and the misplaced credentials the summary found."""
    sid = summary.sid
    yield {"type": "header", "version": 1, "target": f"serve from {summary.peer}", "started": summary.started,
           "redacted": True, "session": sid}
    for index, step in enumerate(summary.steps):
        for entry in entries(step, index in summary.hidden, index in summary.hidden_notes):
            yield {**entry.to_json(redact=True), "session": sid}
    if summary.dropped:
        yield {"type": "note", "t": summary.ended or 0.0, "source": "tutor", "key": "classroom.dropped",
               "text": f"{summary.dropped} more steps were not kept", "session": sid}
    if not summary.open:
        yield {"type": "end", "t": summary.ended, "session": sid}


def entries(step: Step, hide_client: bool, hide_notes: bool) -> Iterator[Entry]:
    """One step as transcript entries; secret lines and notes carry no words of theirs past to_json(redact)."""
    for direction, text, secret in step.lines:
        if direction == "C":
            yield Entry("C", _bytes(text), step.t, step.tls, secret or hide_client)
    for flat in step.notes:
        note = note_of(flat)
        secret = note.secret or hide_notes
        yield Entry("note", t=step.t, secret=secret, key=note.key, text=REDACTED if secret else note.text(),
                    source="server")
    for direction, text, _secret in step.lines:
        if direction != "C":
            yield Entry(direction, _bytes(text), step.t, step.tls, False)


def _bytes(text: str) -> bytes:
    """A logged line back to its bytes (tutor.escapes.show's escapes undone); never fails."""
    if "\\" not in text:
        return text.encode("utf-8", "replace")
    try:
        return escapes.parse(text)
    except InputError:
        return text.encode("utf-8", "replace")


def report(summary: SessionSummary) -> SessionReport | None:
    """The tracer's report for this session (None if nothing was said yet)."""
    import io
    import json

    data = "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in records(summary)).encode("utf-8")
    found = list(reports(jsonl.read(Source(f"session {summary.sid}", io.BytesIO(data))), lambda bad: None,
                         source="tutor"))
    return found[0] if found else None


def listing(summary: SessionSummary) -> list[render.Line]:
    """The annotated listing as styled lines ((kind, text) fragments), passwords masked; one line saying so
    when the session's exchange is no longer kept."""
    if summary.forgotten:
        return [[("problem", explain.text("classroom.dashboard.detail-missing"))]]
    found = report(summary)
    return list(render.listing(found, OPTIONS)) if found is not None else []

