"""The tutor's own JSON Lines transcripts (tutor.transcript): lines with TLS state and secret marks,
and the notes that were shown. A bad line is reported and skipped; the rest is still read."""

from __future__ import annotations

import json
from collections.abc import Iterator

from tutor.errors import InputError
from tutor.trace.records import MAX_OPEN_SESSIONS, Bad, Begin, End, Mark, Record, Wire
from tutor.trace.source import Source
from tutor.transcript import entry_from_json


def score(lines: list[bytes]) -> int:
    total = 0
    for line in lines[:20]:
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError):     # RecursionError: nested too deep
            continue
        total += 10 if isinstance(obj, dict) and obj.get("type") in ("header", "line", "note") else 0
    return total


MAX_KEY = 128                   # session keys and targets are kept this long at most (bounded memory)


class _State:
    """The sessions of one transcript file: the current one, a count, those not yet ended (in order)."""

    def __init__(self, name: str) -> None:
        self.name, self.current, self.count = name, "", 0
        self.opened: dict[str, None] = {}


def _key(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_KEY else f"{text[:MAX_KEY // 2]}…{hash(text) & 0xFFFFFFFF:08x}"


def read(src: Source) -> Iterator[Record]:
    state = _State(src.name)
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
        session = _key(obj.get("session", ""))
        if isinstance(entry, dict):
            yield from (_end if entry.get("type") == "end" else _header)(state, session, entry, where)
        else:
            yield from _entry(state, session, entry, where)
    for sid in state.opened:
        yield End(sid)


def _end(state: _State, session: str, entry: dict, where: str) -> Iterator[Record]:
    sid = f"{state.name}#{session}" if session else state.current
    if sid in state.opened:
        state.opened.pop(sid, None)
        yield End(sid)


def _header(state: _State, session: str, entry: dict, where: str) -> Iterator[Record]:
    state.count += 1
    if not session and state.current in state.opened:   # a header without a session key: the previous one is over
        state.opened.pop(state.current, None)
        yield End(state.current)
    current = state.current = f"{state.name}#{session or state.count}"
    if current in state.opened:
        yield End(current)
    state.opened[current] = None
    yield from _evict(state.opened, where)
    label = f"{state.name}: {_key(entry.get('target') or 'session')} {session}".rstrip()
    yield Begin(current, label, "tutor")


def _entry(state: _State, session: str, entry, where: str) -> Iterator[Record]:
    sid = f"{state.name}#{session}" if session else (state.current or f"{state.name}#1")
    if sid in state.opened:
        state.opened[sid] = state.opened.pop(sid)        # the most recently active is evicted last
    else:
        state.opened[sid] = None
        yield from _evict(state.opened, where)
        yield Begin(sid, f"{state.name}: session {session or 1}", "tutor")
    if entry.direction == "note":
        params = {"source": entry.source, **({"secret": True} if entry.secret else {})}
        yield Mark(sid, "trace.mark.recorded", where, params, entry.text)
    else:
        yield Wire(sid, entry.direction, entry.data, where, entry.t or None, entry.tls, entry.secret, user=entry.user)


def _evict(opened: dict[str, None], where: str) -> Iterator[Record]:
    """Bounded memory: past MAX_OPEN_SESSIONS sessions that never ended, the oldest is reported now (a later
    line of it opens a new report, so nothing is lost, only split)."""
    while len(opened) > MAX_OPEN_SESSIONS:
        oldest = next(iter(opened))
        del opened[oldest]
        yield Mark(oldest, "trace.mark.evicted", where, {"limit": MAX_OPEN_SESSIONS})
        yield End(oldest)
