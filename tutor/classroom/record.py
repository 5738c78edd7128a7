"""`serve --record DIR`: one JSON Lines file per session (what `smtp-tutor trace` reads), each created 0600.

Same calls as tutor.transcript.Recorder (session / add / end), so the server records through either;
only the sessions still open hold a file open.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tutor.errors import InputError
from tutor.transcript import Entry, Recorder


class SessionFiles:
    """A directory of per-session recordings: DIR/serve-<start time>-<session number>.jsonl."""

    def __init__(self, directory: str | os.PathLike, redact: bool = True) -> None:
        self.path = Path(directory).expanduser()
        self.redact = redact
        if str(directory).endswith(("/", os.sep)) and not self.path.exists():
            try:
                self.path.mkdir(mode=0o700, parents=True)   # recordings may hold user names: ours only
            except OSError as exc:
                raise InputError(f"--record {directory}: cannot make it: {exc.strerror or exc}") from None
        if not self.path.is_dir():
            raise InputError(f"--record {directory}: not a directory")
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise InputError(f"--record {directory}: cannot write there")
        self._stamp = time.strftime("%Y%m%d-%H%M%S")
        self._open: dict[str, Recorder] = {}

    def file_for(self, session: str) -> Path:
        return self.path / f"serve-{self._stamp}-{int(session):05d}.jsonl"

    def session(self, target: str = "", session: str = "", started: float | None = None) -> None:
        recorder = Recorder(self.file_for(session), self.redact)
        recorder.session(target, session=session, started=started)
        self._open[session] = recorder

    def add(self, entry: Entry, session: str = "") -> None:
        recorder = self._open.get(session)
        if recorder is not None:
            recorder.add(entry, session)

    def end(self, session: str = "") -> None:
        recorder = self._open.pop(session, None)
        if recorder is not None:
            recorder.end(session)
            recorder.close()

    def close(self) -> None:
        for session in list(self._open):
            self.end(session)


def recorder_for(path: str, redact: bool):
    """A directory (existing, or named with a trailing /) records a file per session; else one file for all."""
    if path.endswith(("/", os.sep)) or Path(path).expanduser().is_dir():
        return SessionFiles(path, redact)
    return Recorder(path, redact)
