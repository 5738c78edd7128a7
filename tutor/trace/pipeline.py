"""From records to session reports: one Observer per open session, a report as soon as a session ends."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tutor import escapes
from tutor.trace.observer import Observer
from tutor.trace.records import MAX_OPEN_SESSIONS, Bad, Begin, End, Logged, Mark, Record, Wire
from tutor.trace.report import SessionReport


def _redacted_user(report: SessionReport, user: str) -> None:
    """A redacted line's user name (transcripts keep it) names the current attempt when nothing else did."""
    if report.attempts and not report.attempts[-1].user:
        report.attempts[-1].user = escapes.show(user.encode("utf-8", "replace"))


def reports(records: Iterable[Record], on_bad: Callable[[Bad], None], keep_rows: bool = True,
            source: str = "") -> Iterator[SessionReport]:
    """Session reports in the order the sessions end; memory holds only the sessions still open."""
    open_: dict[str, Observer] = {}
    for record in records:
        match record:
            case Wire():
                observer = open_.get(record.session) or _open(open_, record.session, record.session, source, keep_rows)
                observer.line(record.direction, record.data, record.where, record.t, record.tls, record.secret,
                              record.cut)
                if record.user:
                    _redacted_user(observer.report, record.user)
            case Begin():
                if record.session in open_:
                    yield from _finish(open_.pop(record.session))
                _open(open_, record.session, record.label, record.source or source, keep_rows)
                if len(open_) > MAX_OPEN_SESSIONS:     # a safety net: the importers bound their own sessions
                    sid = next(iter(open_))
                    open_[sid].mark(Mark(sid, "trace.mark.evicted", "", {"limit": MAX_OPEN_SESSIONS}))
                    yield from _finish(open_.pop(sid))
            case End():
                if record.session in open_:
                    yield from _finish(open_.pop(record.session))
            case Mark():
                observer = open_.get(record.session) or _open(open_, record.session, record.session, source, keep_rows)
                observer.mark(record)
            case Logged():
                observer = open_.get(record.session) or _open(open_, record.session, record.session, source, keep_rows)
                observer.logged(record)
            case Bad():
                on_bad(record)
    for observer in open_.values():
        yield from _finish(observer)


def _finish(observer: Observer) -> Iterator[SessionReport]:
    report = observer.finish()
    if not report.empty:
        yield report


def _open(open_: dict[str, Observer], sid: str, label: str, source: str, keep_rows: bool) -> Observer:
    observer = Observer(sid, label, source, keep_rows)
    open_[sid] = observer
    return observer


def trace_source(src, fmt: str | None = None, on_bad: Callable[[Bad], None] | None = None,
                 keep_rows: bool = True) -> Iterator[SessionReport]:
    """Detect the format of a tutor.trace.source.Source (unless given) and report its sessions."""
    from tutor.trace.importers.detect import FORMATS, detect
    name = fmt or detect(src.head, src.name)
    report_bad = on_bad or (lambda bad: None)
    src.on_bad = report_bad
    yield from reports(FORMATS[name](src), report_bad, keep_rows, name)


def trace_bytes(data: bytes, name: str = "input", fmt: str | None = None,
                on_bad: Callable[[Bad], None] | None = None, keep_rows: bool = True) -> list[SessionReport]:
    """All session reports of an in-memory capture (for tests and the REPL)."""
    import io

    from tutor.trace.source import Source
    return list(trace_source(Source(name, io.BytesIO(data)), fmt, on_bad, keep_rows))
