"""Key logging for a learner's own TLS sessions: `connect --keylog FILE` (or SSLKEYLOGFILE, as curl and
browsers honour it) makes Python's ssl write the NSS key log format (ssl.SSLContext.keylog_filename), which
`smtp-tutor trace CAPTURE --keylog FILE` reads back. The file is a secret: it is created with mode 0600,
only ever appended to, and must be a regular file.
"""

from __future__ import annotations

import os
import stat
import sys

from tutor import explain
from tutor.errors import InputError

ENV = "SSLKEYLOGFILE"
T = explain.text


def resolve(explicit: str | None) -> str | None:
    """The key log to write: --keylog FILE, else $SSLKEYLOGFILE (unless python -E), else None."""
    if explicit:
        return explicit
    if sys.flags.ignore_environment:
        return None
    return os.environ.get(ENV) or None


def prepare(path: str) -> str | None:
    """Create the file with mode 0600 if it does not exist (never truncate, never follow a symlink's target
    into being); InputError (one line) if it cannot be a key log. Returns a warning when others can read it."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise InputError(T("transport_keylog.cannot", path=path, reason=exc.strerror or exc)) from None
    try:
        found = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(found.st_mode):
        raise InputError(T("transport_keylog.not-a-file", path=path))
    if found.st_mode & 0o077:
        return T("transport_keylog.readable", path=path, mode=f"{stat.S_IMODE(found.st_mode):04o}")
    return None


def setup(explicit: str | None) -> tuple[str | None, list[str]]:
    """The key log to use (or None) and what to tell the learner about it: that it is a secret, and whether
    others can already read it. InputError (one line) when the file cannot be a key log."""
    path = resolve(explicit)
    if path is None:
        return None, []
    warning = prepare(path)
    return path, [T("transport_keylog.notice", path=path)] + ([warning] if warning else [])
