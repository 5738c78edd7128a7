"""The transcript model: what crossed the wire, in which direction, with the notes shown; saved as JSON Lines.

File format (one JSON object per line):
  {"type": "header", "version": 1, "target": "sim:lab", "started": 1764547200.0, "redacted": true}
  {"type": "line", "t": 1764547200.1, "dir": "S", "data": "220 sim ESMTP", "tls": false}
  {"type": "line", "t": ..., "dir": "C", "data": "dGltAHRpbQB0YW5zdGFhZnRhbnN0YWFm", "tls": false, "secret": true}
  {"type": "note", "t": ..., "source": "tutor", "key": "sim.auth.decoded", "text": "..."}
`data` is the line without CRLF, bytes shown with tutor.escapes.show (so `\\0`, `\\x02` are visible).
Lines marked secret (credentials) are replaced by "*** (redacted)" when saved redacted.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from tutor import escapes
from tutor.errors import InputError

REDACTED = "*** (redacted)"
VERSION = 1


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

    def to_json(self, redact: bool) -> dict:
        if self.direction == "note":
            shown = REDACTED if (self.secret and redact) else self.text
            return {"type": "note", "t": self.t, "source": self.source, "key": self.key, "text": shown,
                    **({"secret": True} if self.secret else {})}
        shown = REDACTED if (self.secret and redact) else escapes.show(self.data)
        out = {"type": "line", "t": self.t, "dir": self.direction, "data": shown, "tls": self.tls}
        if self.secret:
            out["secret"] = True
        return out


@dataclass
class Transcript:
    """An in-memory transcript that a session appends to; save() writes JSON Lines (0600)."""

    target: str = ""
    started: float = field(default_factory=time.time)
    entries: list[Entry] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def lines(self) -> Iterator[Entry]:
        return (e for e in self.entries if e.direction in ("C", "S"))

    def save(self, path: str | os.PathLike, redact: bool = True) -> Path:
        """Write the transcript; the file is created 0600 (it may hold credentials)."""
        target = Path(path).expanduser()
        header = {"type": "header", "version": VERSION, "target": self.target, "started": self.started,
                  "redacted": redact}
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.chmod(target, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                for obj in [header, *(e.to_json(redact) for e in self.entries)]:
                    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise InputError(f"cannot write transcript {target}: {exc.strerror or exc}") from None
        return target


def parse_lines(lines: Iterable[str], name: str = "transcript") -> Transcript:
    """Read JSON Lines written by Transcript.save; one-line InputError naming the bad line."""
    transcript = Transcript(started=0.0)
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{number}: not JSON ({exc.msg})") from None
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "header":
            transcript.target = str(obj.get("target", ""))
            transcript.started = float(obj.get("started", 0.0))
        elif kind == "line" and obj.get("dir") in ("C", "S"):
            data = str(obj.get("data", ""))
            raw_bytes = data.encode("utf-8") if data == REDACTED else escapes.parse(data)
            transcript.add(Entry(obj["dir"], raw_bytes, float(obj.get("t", 0.0)), bool(obj.get("tls")),
                                 bool(obj.get("secret"))))
        elif kind == "note":
            transcript.add(Entry("note", t=float(obj.get("t", 0.0)), key=str(obj.get("key", "")),
                                 text=str(obj.get("text", "")), source=str(obj.get("source", "")),
                                 secret=bool(obj.get("secret"))))
        else:
            raise InputError(f"{name}:{number}: unknown entry (expected type header, line or note)")
    return transcript


def load(path: str | os.PathLike) -> Transcript:
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_lines(handle, str(path))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
