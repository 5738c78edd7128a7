"""The transcript model: what crossed the wire, in which direction, with the notes shown; saved as JSON Lines.

File format (one JSON object per line):
  {"type": "header", "version": 1, "target": "sim:lab", "started": 1764547200.0, "redacted": true}
  {"type": "line", "t": 1764547200.1, "dir": "S", "data": "220 sim ESMTP", "tls": false}
  {"type": "line", "t": ..., "dir": "C", "data": "dGltAHRpbQB0YW5zdGFhZnRhbnN0YWFm", "tls": false, "secret": true}
  {"type": "note", "t": ..., "source": "tutor", "key": "sim.auth.decoded", "text": "..."}
`data` is the line without CRLF, bytes shown with tutor.escapes.show (so `\\0`, `\\x02` are visible).
Lines marked secret (credentials) are replaced by "*** (redacted)" when saved redacted (an AUTH command keeps
its `AUTH MECH ` part). Optional, for files holding several sessions (a recorded `serve`): more header
objects, a "session" key on headers, lines and notes, and `{"type": "end", "session": "3"}` when a session is
over (so a reader can report it and forget it); readers that ignore them see one long session.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from tutor import escapes
from tutor.errors import InputError
from tutor.redacted_user import MAX_USER, UserTracker

REDACTED = "*** (redacted)"
VERSION = 1


_AUTH_PREFIX = re.compile(rb"^(AUTH[ \t]+[^ \t]+[ \t]+)", re.IGNORECASE)


def redacted(data: bytes) -> str:
    """A secret line as saved redacted: `AUTH PLAIN *** (redacted)` keeps the command, anything else is all
    hidden, so a reader still sees which mechanism carried the credentials."""
    match = _AUTH_PREFIX.match(data)
    return escapes.show(match.group(1)) + REDACTED if match else REDACTED


@dataclass(frozen=True)
class Entry:
    """One line on the wire ("C" client, "S" server) or one note ("note")."""

    direction: str
    data: bytes = b""
    t: float = 0.0
    tls: bool = False
    secret: bool = False
    key: str = ""          # notes only
    text: str = ""         # notes only
    source: str = ""       # notes only: "tutor" or "server"
    user: str = ""         # a credential line's user name: not secret, kept when the line is redacted

    def with_user(self, tracker: UserTracker) -> Entry:
        """This entry with the user name its line carries (client lines), tracker moved on by it."""
        if self.direction == "S":
            tracker.server_line(self.data)
        if self.direction != "C":
            return self
        user = tracker.client_line(self.data)
        return replace(self, user=user) if user and not self.user else self

    def to_json(self, redact: bool) -> dict:
        if self.direction == "note":
            shown = REDACTED if (self.secret and redact) else self.text
            return {"type": "note", "t": self.t, "source": self.source, "key": self.key, "text": shown,
                    **({"secret": True} if self.secret else {})}
        shown = redacted(self.data) if (self.secret and redact) else escapes.show(self.data)
        out = {"type": "line", "t": self.t, "dir": self.direction, "data": shown, "tls": self.tls}
        if self.secret:
            out["secret"] = True
            if redact and self.user:
                out["user"] = self.user
        return out


@dataclass
class Transcript:
    """An in-memory transcript that a session appends to; save() writes JSON Lines (0600)."""

    target: str = ""
    started: float = field(default_factory=time.time)
    entries: list[Entry] = field(default_factory=list)
    recorder: Recorder | None = None     # when set, every entry is also written to disk as it happens

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        if self.recorder is not None:
            self.recorder.add(entry)

    def record_to(self, path: str | os.PathLike, redact: bool = True) -> Recorder:
        """Stream this transcript to a file from now on (what it holds so far is written first)."""
        recorder = Recorder(path, redact)
        recorder.session(self.target, started=self.started)
        for entry in self.entries:
            recorder.add(entry)
        self.recorder = recorder
        return recorder

    def lines(self) -> Iterator[Entry]:
        return (e for e in self.entries if e.direction in ("C", "S"))

    def save(self, path: str | os.PathLike, redact: bool = True) -> Path:
        """Write the transcript; the file is created 0600 (it may hold credentials)."""
        import json  # not at the top: the REPL's start never reads or writes a transcript file

        target = Path(path).expanduser()
        header = {"type": "header", "version": VERSION, "target": self.target, "started": self.started,
                  "redacted": redact}
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.chmod(target, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                tracker = UserTracker()
                for obj in [header, *(e.with_user(tracker).to_json(redact) for e in self.entries)]:
                    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise InputError(f"cannot write transcript {target}: {exc.strerror or exc}") from None
        return target


def entries(lines: Iterable[str | bytes], name: str = "transcript") -> Iterator[dict | Entry | InputError]:
    """Stream a JSON Lines transcript: a header dict, an Entry per line or note, or an InputError for a bad
    line (the caller decides whether to stop). Several headers in one file start several sessions."""
    import json

    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield InputError(f"{name}:{number}: not JSON ({getattr(exc, 'msg', exc)})")
            continue
        except RecursionError:
            yield InputError(f"{name}:{number}: not a transcript entry (JSON nested too deep)")
            continue
        try:
            yield entry_from_json(obj)
        except (InputError, TypeError, ValueError) as exc:
            yield InputError(f"{name}:{number}: {exc}")


def entry_from_json(obj: object) -> dict | Entry:
    if not isinstance(obj, dict):
        raise InputError("unknown entry (expected type header, line or note)")
    kind = obj.get("type")
    if kind in ("header", "end"):
        return obj
    if kind == "line" and obj.get("dir") in ("C", "S"):
        data = str(obj.get("data", ""))
        raw_bytes = data.encode("utf-8") if data.endswith(REDACTED) else escapes.parse(data)
        return Entry(obj["dir"], raw_bytes, float(obj.get("t", 0.0)), bool(obj.get("tls")), bool(obj.get("secret")),
                     user=str(obj.get("user", ""))[:MAX_USER])
    if kind == "note":
        return Entry("note", t=float(obj.get("t", 0.0)), key=str(obj.get("key", "")), text=str(obj.get("text", "")),
                     source=str(obj.get("source", "")), secret=bool(obj.get("secret")))
    raise InputError("unknown entry (expected type header, line or note)")


def parse_lines(lines: Iterable[str], name: str = "transcript") -> Transcript:
    """Read JSON Lines written by Transcript.save; one-line InputError naming the bad line."""
    transcript = Transcript(started=0.0)
    for item in entries(lines, name):
        if isinstance(item, InputError):
            raise item
        if isinstance(item, dict):
            if item.get("type") == "header":
                transcript.target = str(item.get("target", ""))
                transcript.started = float(item.get("started", 0.0))
        else:
            transcript.add(item)
    return transcript


class Recorder:
    """Writes entries as they happen (for `--record FILE` and `serve`): JSON Lines, the file created 0600,
    flushed after every entry so a crash loses nothing; `session()` starts a new session in the same file."""

    def __init__(self, path: str | os.PathLike, redact: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.redact = redact
        self._users: dict[str, UserTracker] = {}     # per session: which AUTH message each client line is
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.chmod(self.path, 0o600)
            self._out = os.fdopen(fd, "w", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write transcript {self.path}: {exc.strerror or exc}") from None

    def session(self, target: str = "", session: str = "", started: float | None = None) -> None:
        header = {"type": "header", "version": VERSION, "target": target,
                  "started": time.time() if started is None else started, "redacted": self.redact}
        self._write({**header, **({"session": session} if session else {})})

    def add(self, entry: Entry, session: str = "") -> None:
        if len(self._users) > 10_000:                # bounded: a long `serve` run forgets the oldest sessions
            self._users.pop(next(iter(self._users)))
        obj = entry.with_user(self._users.setdefault(session, UserTracker())).to_json(self.redact)
        self._write({**obj, "session": session} if session else obj)

    def end(self, session: str = "") -> None:
        """The session is over: a reader reports it now instead of at the end of the file."""
        self._users.pop(session, None)
        self._write({"type": "end", "t": time.time(), **({"session": session} if session else {})})

    def _write(self, obj: dict) -> None:
        import json

        try:
            self._out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self._out.flush()
        except OSError as exc:
            raise InputError(f"cannot write transcript {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load(path: str | os.PathLike) -> Transcript:
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_lines(handle, str(path))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
