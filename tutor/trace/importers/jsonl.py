"""The tutor's own JSON Lines transcripts (tutor.trace.transcript): lines with TLS state and secret marks,
and the notes that were shown. A bad line is reported and skipped; the rest is still read."""

from __future__ import annotations

import json
from typing import Iterator

from tutor.errors import InputError
from tutor.trace.records import MAX_OPEN_SESSIONS, Bad, Begin, End, Mark, Record, Wire
from tutor.trace.source import Source
from tutor.trace.transcript import entry_from_json


def score(lines: list[bytes]) -> int:
    total = 0
    for line in lines[:20]:
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError):     # RecursionError: nested too deep
            continue
        total += 10 if isinstance(obj, dict) and obj.get("type") in ("header", "line", "note") else 0
    return total


def read(src: Source) -> Iterator[Record]:
    current, count = "", 0
    opened: dict[str, None] = {}                    # sessions not yet ended, in order (bounded memory)
    for number, raw in src.numbered():
        if not raw.strip():
            continue
        where = f"{src.name}:{number}"
        try:
            obj = json.loads(raw)
            entry = entry_from_json(obj)
        except RecursionError:
            yield Bad(where, f"{where}: not a transcript entry (JSON nested too deep)")
            continue
        except (ValueError, UnicodeDecodeError, TypeError, InputError) as exc:
            yield Bad(where, f"{where}: not a transcript entry ({getattr(exc, 'msg', exc)})")
            continue
        session = str(obj.get("session", ""))
        if isinstance(entry, dict) and entry.get("type") == "end":
            sid = f"{src.name}#{session}" if session else current
            if sid in opened:
                opened.pop(sid, None)
                yield End(sid)
            continue
        if isinstance(entry, dict):
            count += 1
            if not session and current in opened:   # a header without a session key: the previous one is over
                opened.pop(current, None)
                yield End(current)
            current = f"{src.name}#{session or count}"
            if current in opened:
                yield End(current)
            opened[current] = None
            yield from _evict(opened, where)
            label = f"{src.name}: {entry.get('target') or 'session'} {session}".rstrip()
            yield Begin(current, label, "tutor")
            continue
        sid = f"{src.name}#{session}" if session else (current or f"{src.name}#1")
        if sid in opened:
            opened[sid] = opened.pop(sid)               # the most recently active is evicted last
        else:
            opened[sid] = None
            yield from _evict(opened, where)
            yield Begin(sid, f"{src.name}: session {session or 1}", "tutor")
        if entry.direction == "note":
            params = {"source": entry.source, **({"secret": True} if entry.secret else {})}
            yield Mark(sid, "trace.mark.recorded", where, params, entry.text)
        else:
            yield Wire(sid, entry.direction, entry.data, where, entry.t or None, entry.tls, entry.secret)
    for sid in opened:
        yield End(sid)


def _evict(opened: dict[str, None], where: str) -> Iterator[Record]:
    """Bounded memory: past MAX_OPEN_SESSIONS sessions that never ended, the oldest is reported now (a later
    line of it opens a new report, so nothing is lost, only split)."""
    while len(opened) > MAX_OPEN_SESSIONS:
        oldest = next(iter(opened))
        del opened[oldest]
        yield Mark(oldest, "trace.mark.evicted", where, {"limit": MAX_OPEN_SESSIONS})
        yield End(oldest)
