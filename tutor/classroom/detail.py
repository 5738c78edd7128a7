"""One session's exchange, decoded and annotated by the tracer (tutor.trace) from its redacted entries.

The entries are what `serve --record` writes, so the view shows exactly what `smtp-tutor trace` would show
for the recorded file; the credentials were redacted by role when the entries were kept.
"""

from __future__ import annotations

from typing import Iterator

from tutor.classroom.session import SessionSummary
from tutor.trace import render
from tutor.trace.importers import jsonl
from tutor.trace.pipeline import reports
from tutor.trace.report import SessionReport
from tutor.trace.source import Source
from tutor.explain import Note
from tutor.trace.transcript import REDACTED, Entry

OPTIONS = render.Options(reveal=False)


def records(summary: SessionSummary) -> Iterator[dict]:
    """The session as JSON Lines objects (a header, its entries redacted, an end when it is over)."""
    yield {"type": "header", "version": 1, "target": f"serve from {summary.peer}", "started": summary.started,
           "redacted": True, "session": summary.sid}
    for item in summary.entries:
        yield {**as_entry(item).to_json(redact=True), "session": summary.sid}
    if not summary.open:
        yield {"type": "end", "t": summary.ended, "session": summary.sid}


def as_entry(item: Entry | tuple[float, Note]) -> Entry:
    """A kept line as it is, a kept server note worded now (its words hidden if it is secret)."""
    if isinstance(item, Entry):
        return item
    t, note = item
    return Entry("note", t=t, secret=note.secret, key=note.key, text=REDACTED if note.secret else note.text(),
                 source="server")


def report(summary: SessionSummary) -> SessionReport | None:
    """The tracer's report for this session (None if nothing was said yet)."""
    import io
    import json

    data = "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in records(summary)).encode("utf-8")
    found = list(reports(jsonl.read(Source(f"session {summary.sid}", io.BytesIO(data))), lambda bad: None,
                         source="tutor"))
    return found[0] if found else None


def listing(summary: SessionSummary) -> list[render.Line]:
    """The annotated listing as styled lines ((kind, text) fragments), passwords masked."""
    found = report(summary)
    return list(render.listing(found, OPTIONS)) if found is not None else []

