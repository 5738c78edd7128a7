"""Remembered readings of a session's steps (sans-IO): a class's clients repeat the same exchange, so what a step
does in a given reading state is worked out once (by tutor.classroom.session's code) and then replayed.

A state is the whole of what a session's reading depends on, interned (one Reading object per distinct state):
the tracker's own fields, the client's behaviour (time aside: the tracker keeps when the client last spoke) and
the row's fields, which the row (tutor.classroom.session.SessionSummary) reads from its state. A step is a key:
the client's lines as received and their secret bits, the watched notes' keys (and a failure's reason), the bytes
sent and whether inside TLS.
What is remembered: the next state, and the step as the detail view keeps it (an Entry: TLS or not, the client
lines, their secret bits, the bytes sent), which every session that takes the same step then shares; and, for a
run of up to RUN_STEPS steps read at once (remember_run), the state after them all. In memory only, never written
anywhere, and bounded: only steps and runs of at most MAX_KEY_TEXT characters are remembered, at most MAX_AFTER
steps and MAX_RUNS runs from one state, MAX_REMEMBERED in all (then a new table is started, and the old states
forget what followed them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_KEY_TEXT = 4096       # characters of client lines and reply bytes in one remembered step
MAX_REMEMBERED = 2048     # states and steps remembered before starting again
REMEMBER = True           # False: every step is read afresh (tests compare the two)
MAX_AFTER = 64            # steps remembered from one state
RUN_STEPS = 8             # steps in a remembered run (a session's steps read at once: remember_run)
RUN_ITEMS = 5             # items a step in a run's key (a step as serve hands it on, but its time)
MAX_RUNS = 256            # runs remembered from one state
ROW = 10                  # state fields before the row's: the tracker's five, then the behaviour's five
SLOW = 9                  # the behaviour's `slow` (a pause like someone typing) in a state's fields
ROW_FIELDS = (   # the row's fields, after the first ROW fields of a state
    "tls", "user", "mechanism", "result", "logged_in", "mistakes", "client", "ehlo", "tried", "worked",
              "waiting")
LIST_FIELDS = ("mistakes", "tried", "worked")

# A step as a session keeps it for the detail view (tutor.classroom.session.Step without its time): whether inside
# TLS, the client's lines, a bit set for each that carries a credential, the bytes the server sent.
Entry = tuple[bool, tuple[str, ...], int, bytes]
NO_STEP: Entry = (False, (), 0, b"")     # a session's end: no step to keep
# (next state, the step's Entry)
Found = tuple["Reading", Entry]


class Reading:
    """One reading state and what is known to follow it."""

    __slots__ = ("after", "fields", "on_close", "runs")

    def __init__(self, fields: tuple) -> None:
        self.fields = fields
        self.after: dict[Any, Found] = {}       # step key -> what it does from here
        self.on_close: Found | None = None       # what the session's end does from here
        self.runs: dict[tuple, Run] = {}         # several steps' keys -> what they do from here, all at once


class _Table:
    """The interned states, and how many states and steps are remembered in all."""

    def __init__(self) -> None:
        self.states: dict[tuple, Reading] = {}
        self.remembered = 0


_table = _Table()


def intern(fields: tuple) -> Reading:
    """The one Reading for these fields."""
    table = _table
    state = table.states.get(fields)
    if state is None:
        if table.remembered >= MAX_REMEMBERED:
            forget()
        state = table.states[fields] = Reading(fields)
        table.remembered += 1
    return state


def forget() -> None:
    """Start a new table. The old states forget what follows them (so rows that still hold one keep no chain of
    remembered steps alive); they stay valid, and a session under way in one reads its next step afresh."""
    for state in (*_table.states.values(), *_starts.values()):
        state.after = {}
        state.runs = {}
        state.on_close = None
    _table.states = {}
    _table.remembered = 0


def _start(tls: bool) -> Reading:
    return Reading((tls, False, "", 0, 0, "", "", "", False, False, tls, "", "", None, False, (), "none", "", (), (),
                    False))


# A new session's state (a row's defaults; True for implicit TLS). The two are kept (forget leaves them): every
# session starts from one of them. (A dict's own look-up: it runs for every session.)
_starts: dict[bool, Reading] = {False: _start(False), True: _start(True)}
start: Callable[[bool], Reading] = _starts.__getitem__


def slowed(state: Reading) -> Reading:
    """The same state with the client seen pausing like someone typing."""
    fields = state.fields
    return intern(fields[:SLOW] + (True,) + fields[SLOW + 1:])


def row_field(index: int, doc: str, as_list: bool = False) -> property:
    """A row's reading field, read from its session's state (SessionSummary.state): lists are fresh copies."""
    at = ROW + index
    if as_list:
        return property(lambda summary: list(summary.state.fields[at]), doc=doc)
    return property(lambda summary: summary.state.fields[at], doc=doc)


def notes_key(notes: tuple, watched: frozenset[str]) -> tuple:
    """What a step's notes say to the reading: the watched keys, with a failure's reason."""
    return tuple((note.key, str(note.params.get("reason", ""))) for note in notes if note.key in watched)


def learn(state: Reading, key: Any, fields: tuple, entry: Entry) -> Found:
    """Remember (under `key`, unless None or too big) that the step led from `state` to `fields`."""
    found: Found = (intern(fields), entry)
    if REMEMBER and key is not None and _size(key) <= MAX_KEY_TEXT:
        after = state.after
        if len(after) >= MAX_AFTER:
            after.clear()
        after[key] = found
        _table.remembered += 1
        if _table.remembered >= MAX_REMEMBERED:
            forget()
    return found


# A run of steps read at once from a state (tutor.classroom.session.SessionTracker._replay): the state after them,
# the Entry of each step read, which steps were read (() when every one was), the index of the last step in which
# the client spoke (-1: none), and whether any step was read.
Run = tuple["Reading", tuple[Entry, ...], tuple[int, ...], int, bool]


def remember_run(state: Reading, key: tuple, after: Reading, taken: list[tuple[int, Entry, bool]],
                 read: bool) -> None:
    """Remember that the run of steps `key` (RUN_ITEMS items a step: client lines, secret bits, notes, bytes sent,
    TLS; tutor.classroom.session.run_key) led from `state` to `after`, each step read as `taken` says (index,
    Entry, whether the client spoke), unless its text is too big (MAX_KEY_TEXT) or remembering is off."""
    clients, sents = key[0::RUN_ITEMS], key[3::RUN_ITEMS]
    if not REMEMBER or sum(map(len, sents)) + sum(len(line) for lines in clients for line in lines) > MAX_KEY_TEXT:
        return
    indexes = tuple(index for index, _entry, _spoke in taken)
    spoke = [index for index, _entry, client_spoke in taken if client_spoke]
    runs = state.runs
    if len(runs) >= MAX_RUNS:
        runs.clear()
    runs[key] = (after, tuple(entry for _index, entry, _spoke in taken),
                 () if len(indexes) == len(sents) else indexes, spoke[-1] if spoke else -1, read)
    _table.remembered += 1
    if _table.remembered >= MAX_REMEMBERED:
        forget()


def _size(key: tuple) -> int:
    client, _secret, notes, sent, _tls = key
    return len(sent) + sum(len(line) for line in client) + sum(len(reason) for _, reason in notes)
