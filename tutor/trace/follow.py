"""`smtp-tutor trace --follow FILE`: a log file read as it grows, like `tail -f`. Reads return as soon as
there is new data and wait (polling) while there is none; a file truncated in place (copytruncate) is read
again from its start, a file renamed away (rotation) is left for the new one at the same path. Memory holds
one read at a time. It never ends by itself: Ctrl-C stops it (the CLI exits cleanly)."""

from __future__ import annotations

import os
import time
from io import BufferedReader

POLL_SECONDS = 0.2


class Follow:
    """A binary file handle whose reads wait for more data instead of reporting the end of the file."""

    def __init__(self, path: str, handle: BufferedReader, poll: float = POLL_SECONDS) -> None:
        self.path, self._handle, self.poll = path, handle, poll

    def seekable(self) -> bool:
        return False                            # live: tutor.trace.source does not wait for a full head

    def read1(self, size: int = -1) -> bytes:
        while True:
            data = self._handle.read1(size)
            if data:
                return data
            self._reopen_if_rotated()
            time.sleep(self.poll)

    read = read1

    def _reopen_if_rotated(self) -> None:
        try:
            now = os.stat(self.path)
        except OSError:
            return                              # rotated away and not yet re-created: keep waiting
        mine = os.fstat(self._handle.fileno())
        if (now.st_ino, now.st_dev) != (mine.st_ino, mine.st_dev):
            try:
                fresh = open(self.path, "rb")  # noqa: SIM115 - replaces the handle the follower owns
            except OSError:
                return
            self._handle.close()
            self._handle = fresh
        elif now.st_size < self._handle.tell():   # truncated in place: start again
            self._handle.seek(0)

    def close(self) -> None:
        self._handle.close()
