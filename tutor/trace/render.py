"""Session reports as styled lines (plain text, and the input of the colour/HTML formatters in
tutor.display.trace_render), Markdown, JSON objects, one-line summaries and hashcat lines.

A styled line is a list of (kind, text) fragments; kinds: heading, prefix-client, prefix-server, prefix-note,
client, server, auth, data, log, mark, note, problem, finding, leak. Passwords are masked unless `reveal`
(docs/ARCHITECTURE.md convention 14).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tutor import escapes, explain
from tutor.explain import Note
from tutor.trace import crack, findings
from tutor.trace.report import SECRET_PARAMS, Row, SessionReport

MASK = "********"
LEAKS = ("password", "password-cut", "cracked", "offline", "token", "scram-offline", "scram-cracked", "in-log",
         "keylog", "mechs:digest-cracked", "mechs:ntlm-cracked", "mechs:ntlm-offline")
Fragment = tuple[str, str]
Line = list[Fragment]
_ROW_KIND = {"command": "client", "reply": "server", "auth": "auth", "data": "data", "mark": "mark",
             "log": "log", "bad": "problem"}


@dataclass(frozen=True)
class Options:
    reveal: bool = False


def note_text(note: Note, reveal: bool) -> str:
    if note.secret and not reveal:
        return explain.text(note.key, **{k: (MASK if k in SECRET_PARAMS else v) for k, v in note.params.items()})
    return note.text()


def _note_kind(note: Note) -> str:
    if ".problem." in note.key or note.key.startswith(("sasl.problem.", "sequence.")):
        return "problem"
    return "note"


def row_text(row: Row, reveal: bool) -> str:
    if row.secret and not reveal:
        return row.text[:row.keep] + explain.text("trace.render.masked-line")
    return row.text


def _direction(row: Row) -> str:
    if row.direction in ("C", "S"):
        return f"{row.direction}{'~' if row.tls else ':'} "
    return "-- " if row.direction == "mark" else "log "


def listing(report: SessionReport, opts: Options) -> Iterator[Line]:
    """The annotated listing of one session, then its findings."""
    yield [("heading", explain.text("trace.render.heading", label=report.label, source=report.source))]
    for row in report.rows:
        text = row_text(row, opts.reveal)
        if row.direction == "mark":
            words = [text] if text else [note_text(n, opts.reveal) for n in row.notes]
            yield [("prefix-note", "  -- "), ("mark", " ".join(words))]
            continue
        prefix = "prefix-server" if row.direction == "S" else "prefix-client" if row.direction == "C" else "prefix-note"
        yield [(prefix, "  " + _direction(row)), (_ROW_KIND.get(row.kind, "client"), text)]
        for note in row.notes:
            yield [("note", "       ↳ "), (_note_kind(note), note_text(note, opts.reveal))]
    if report.dropped_rows:
        yield [("mark", "  -- " + explain.text("trace.render.dropped", count=report.dropped_rows))]
    for note in report.problems:
        yield [("problem", "  ! " + note_text(note, opts.reveal))]
    yield [("heading", explain.text("trace.render.findings"))]
    for note in findings.findings(report):
        kind = "leak" if note.key.startswith(("trace.finding.password", "trace.finding.token")) or \
            note.key.endswith("cracked") else "finding"
        yield [("finding", "  • "), (kind, note_text(note, opts.reveal))]
    yield []


def plain(line: Line) -> str:
    """A styled line as terminal text: every fragment through escapes.for_terminal (input never reaches a
    terminal raw)."""
    return "".join(escapes.for_terminal(text) for _, text in line)


def markdown_line(line: Line) -> str:
    """A styled line as Markdown prose (escapes.for_markdown)."""
    return escapes.for_markdown("".join(text for _, text in line))


def summary(report: SessionReport, opts: Options) -> Line:
    """One line: where, then each attempt's mechanism, user, result and what leaked."""
    parts: Line = [("heading", report.label), ("note", "  ")]
    if not report.attempts and report.encrypted and report.tls_note is not None:    # --keylog found no key
        parts.append(("note", report.tls_note.text()))
    elif not report.attempts:
        key = "no-auth-yet" if report.evicted else "no-auth" if not report.encrypted else \
            "no-auth-encrypted" if report.starttls else "implicit-tls"
        parts.append(("note", explain.text(f"trace.summary.{key}", octets=report.encrypted_octets)))
    for index, attempt in enumerate(report.attempts):
        if index:
            parts.append(("note", "; "))
        leak = findings.leak(attempt)
        secret = next((s for s in (attempt.cracked, attempt.password, attempt.token) if s is not None), None)
        shown = (secret if opts.reveal else MASK) if secret is not None else ""
        parts += [("client", f"{attempt.mechanism or '?'} {attempt.user or '?'} "),
                  ("finding" if attempt.result == "success" else "problem", attempt.result)]
        said = leak_text(leak, shown)
        if said:
            parts.append(("leak" if leak in LEAKS else "note", " " + said))
    return parts


def leak_text(leak: str, shown: str = "") -> str:
    """The words for a findings.leak key: `mechs:x` keys are under mechs.summary, the others trace.summary."""
    if leak.startswith("mechs:"):
        return explain.text(f"mechs.summary.{leak.removeprefix('mechs:')}", password=shown)
    return explain.text(f"trace.summary.{leak}", password=shown)


def tally_lines(tally) -> list[Line]:
    """`--by user|ip`: a heading, then per key its failures, successes and other ends (tutor.trace.tally)."""
    out: list[Line] = [[("heading", explain.text(f"mechs.tally.heading-{tally.by}"))]]
    for key, count in tally.rows():
        line: Line = [("client", f"  {key}  "), ("problem" if count.failure else "note",
                                                 explain.text("mechs.tally.failures", count=count.failure)),
                      ("note", ", "), ("finding", explain.text("mechs.tally.successes", count=count.success))]
        if count.other:
            line.append(("note", ", " + explain.text("mechs.tally.other", count=count.other)))
        if count.users:
            line.append(("note", "  " + explain.text("mechs.tally.users", users=" ".join(sorted(count.users)))))
        out.append(line)
    return out


def hashcat_lines(report: SessionReport) -> Iterator[str]:
    for attempt in report.attempts:
        line = crack.hashcat_line(attempt)
        if line is not None:
            yield line


def as_dict(report: SessionReport, opts: Options, rows: bool = True) -> dict:
    """A JSON-ready object for one session (rows left out for --summary)."""
    out = {"session": report.id, "label": report.label, "source": report.source, "mechanism": report.mechanism,
           "user": report.user, "result": report.result, "advertised": list(report.advertised),
           "starttls": report.starttls, "encrypted_after_starttls": report.encrypted,
           "encrypted_octets": report.encrypted_octets, "reported_early": report.evicted,
           "attempts": [_attempt_dict(a, opts) for a in report.attempts],
           "findings": [note_text(n, opts.reveal) for n in findings.findings(report)]}
    if rows:
        out["rows"] = [{"dir": r.direction, "line": row_text(r, opts.reveal), "where": r.where, "tls": r.tls,
                        "notes": [note_text(n, opts.reveal) for n in r.notes]} for r in report.rows]
    return out


def _attempt_dict(attempt, opts: Options) -> dict:
    def secret(value: str | None) -> str | None:
        return value if value is None or opts.reveal else MASK
    return {"mechanism": attempt.mechanism, "user": attempt.user, "authzid": attempt.authzid,
            "result": attempt.result, "code": attempt.code, "tls": attempt.tls,
            "password": secret(attempt.password), "cracked": secret(attempt.cracked), "token": secret(attempt.token),
            "leak": findings.leak(attempt), "hashcat": crack.hashcat_line(attempt)}


def markdown(report: SessionReport, opts: Options) -> Iterator[str]:
    """A Markdown section: the listing as a bullet list with notes nested, then the findings; every text
    through escapes.for_markdown (code spans: escapes.for_markdown_code)."""
    md = escapes.for_markdown
    yield f"## {md(report.label)}\n"
    for row in report.rows:
        text = row_text(row, opts.reveal)
        if row.direction == "mark":
            yield f"- *{md(text or ' '.join(note_text(n, opts.reveal) for n in row.notes))}*"
            continue
        head = f"- **{_direction(row).strip()}**"
        yield f"{head} `{escapes.for_markdown_code(text)}`" if text else head
        for note in row.notes:
            yield f"  - {md(note_text(note, opts.reveal))}"
    yield f"\n### {md(explain.text('trace.render.findings').strip(' :'))}\n"
    for note in findings.findings(report):
        yield f"- {md(note_text(note, opts.reveal))}"
    yield ""
