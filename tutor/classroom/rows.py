"""A session summary as the cells every view shows (dashboard, web page, one-line log): plain, safe strings."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from json.encoder import encode_basestring as _text  # a JSON string, escaped (the C encoder's)

from tutor.classroom import words
from tutor.classroom.model import Totals
from tutor.classroom.session import SessionSummary

COLUMNS = ("time", "peer", "user", "client", "mechanism", "tls", "result", "mistake")


WARNINGS = ("password-without-tls", "token-without-tls")   # true, but the lab profile invites them: shown last


def ordered_mistakes(keys: list[str]) -> list[str]:
    """The real errors first, in the order they happened, then the clear-text warnings."""
    return sorted(keys, key=lambda key: key in WARNINGS)


def headings() -> dict[str, str]:
    return {column: words.text(f"column.{column}") for column in COLUMNS}


def state(summary: SessionSummary) -> str:
    """For colour: "ok" (logged in, no mistake), "warn" (logged in with a mistake), "fail", "open", "idle"."""
    if summary.logged_in:
        return "warn" if summary.mistakes else "ok"
    if summary.result is not None or summary.mistakes:
        return "fail"
    return "open" if summary.open else "idle"


@lru_cache(maxsize=4096)
def _clock(second: int) -> str:
    return time.strftime("%H:%M:%S", time.localtime(second))


def cells(summary: SessionSummary) -> dict[str, str]:
    """The row's cells by column name; no password can be in them (the user name comes from its field only)."""
    return {
        "time": _clock(int(summary.started)),
        "peer": summary.peer,
        "user": summary.user or "?",
        "client": words.client(summary.client, summary.ehlo),
        "mechanism": summary.mechanism or "-",
        "tls": "TLS" if summary.tls else "clear",
        "result": words.result(334 if summary.waiting else summary.result, summary.logged_in, summary.ended is None),
        "mistake": mistakes_text(tuple(summary.mistakes)) if summary.mistakes else "",
    }


@lru_cache(maxsize=1024)
def mistakes_text(keys: tuple[str, ...]) -> str:
    """A row's mistakes in words, the real errors first (a class makes the same few again and again)."""
    return "; ".join(words.mistake(m) for m in ordered_mistakes(list(keys)))


def as_dict(summary: SessionSummary) -> dict:
    """A JSON-ready row: the cells, plus the session id, its state and whether it is still open."""
    is_open = summary.ended is None
    key = (summary.state, is_open)              # what all but the time, peer and id depend on
    shared = _READ_CELLS.get(key)
    if shared is None:
        if len(_READ_CELLS) >= READ_CELLS:
            _READ_CELLS.clear()
        row: dict = cells(summary)
        shared = _READ_CELLS[key] = {name: row[name] for name in READ_COLUMNS}
        shared["state"] = state(summary)
    return {"time": _clock(int(summary.started)), "peer": summary.peer, **shared, "id": summary.sid,
            "open": is_open}


# A row's cells but its time and peer depend only on its reading state (tutor.classroom.memo) and whether it is
# open: made once for each (a class's sessions end in a few states) for the web page's batches of rows.
READ_COLUMNS = tuple(column for column in COLUMNS if column not in ("time", "peer"))
READ_CELLS = 1024
_READ_CELLS: dict[tuple, dict] = {}
_READ_JSON: dict[tuple, str] = {}


def as_json(summary: SessionSummary) -> str:
    """as_dict(summary) as JSON text: the web page's batches carry up to PAGE_ROWS new rows several times a second
    while a class is busy, so the cells its reading state gives are encoded once (as as_dict makes them once), and
    only the time, peer and id for each row (escaped by the JSON encoder: nothing from input goes out raw)."""
    is_open = summary.ended is None
    key = (summary.state, is_open)
    shared = _READ_JSON.get(key)
    if shared is None:
        if len(_READ_JSON) >= READ_CELLS:
            _READ_JSON.clear()
        row = as_dict(summary)
        shared = _READ_JSON[key] = json.dumps({name: row[name] for name in (*READ_COLUMNS, "state")},
                                              ensure_ascii=False)[1:-1]
    return (f'{{"time": {_text(_clock(int(summary.started)))}, "peer": {_text(summary.peer)}, {shared}, '
            f'"id": {_text(summary.sid)}, "open": {"true" if is_open else "false"}}}')   # (as json.dumps writes it)


def totals_lines(totals: Totals) -> list[str]:
    """Above the rows: counts, mechanisms (tried/worked), the most common mistakes."""
    none = words.text("totals.none")
    mechs = ", ".join(f"{m} {ok}/{n}" for m, n, ok in totals.mechanisms[:8]) or none
    mistakes = ", ".join(f"{words.mistake(k)} ×{n}" for k, n in totals.mistakes[:5]) or none
    line = "totals.line-of" if totals.roster else "totals.line"
    return [words.text(line, sessions=totals.sessions, open=totals.open, students=totals.students,
                       logged_in=totals.logged_in, roster=totals.roster),
            words.text("totals.mechanisms", list=mechs), words.text("totals.mistakes", list=mistakes)]


def totals_dict(totals: Totals) -> dict:
    return {"lines": totals_lines(totals), "sessions": totals.sessions, "open": totals.open,
            "students": totals.students, "logged_in": totals.logged_in, "roster": totals.roster,
            "mechanisms": [{"mechanism": m, "tried": n, "worked": ok} for m, n, ok in totals.mechanisms],
            "mistakes": [{"mistake": words.mistake(k), "key": k, "sessions": n} for k, n in totals.mistakes]}
