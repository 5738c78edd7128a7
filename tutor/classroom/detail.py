"""One session's exchange, decoded and annotated by the tracer (tutor.trace) from its redacted records.

The records are the wire lines `serve --record` writes (the server's own notes stay in those files), so the
view shows what `smtp-tutor trace` shows for them; the credentials are redacted by role (the lines the server
masks, plus credentials a student put where none belongs), so no password reaches a view.
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor import escapes, explain
from tutor.classroom.session import SessionSummary, Step
from tutor.errors import InputError
from tutor.trace import render
from tutor.trace.importers import jsonl
from tutor.trace.pipeline import reports
from tutor.trace.report import SessionReport
from tutor.trace.source import Source
from tutor.transcript import Entry

OPTIONS = render.Options(reveal=False)


def records(summary: SessionSummary) -> Iterator[dict]:
    """The session as JSON Lines objects (the wire lines of `serve --record`, without the server's notes),
    redacted: the lines the server masked, and the credentials a student put where none belongs."""
    sid = summary.sid
    yield {"type": "header", "version": 1, "target": f"serve from {summary.peer}", "started": summary.started,
           "redacted": True, "session": sid}
    for step in summary.steps:
        for entry in entries(step):
            yield {**entry.to_json(redact=True), "session": sid}
    if summary.dropped:
        yield {"type": "note", "t": summary.ended or 0.0, "source": "tutor", "key": "classroom.dropped",
               "text": f"{summary.dropped} more steps were not kept", "session": sid}
    if not summary.open:
        yield {"type": "end", "t": summary.ended, "session": sid}


def entries(step: Step) -> Iterator[Entry]:
    """One step as transcript entries: the client's lines, then the server's reply lines."""
    t, tls, client, secret, sent = step
    for index, text in enumerate(client):
        yield Entry("C", _bytes(text), t, tls, bool(secret >> index & 1))
    for line in sent.split(b"\r\n")[:-1]:
        yield Entry("S", line, t, tls, False)


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

