"""Asking for a password at the command line: without echo on a terminal, one bounded line from a pipe."""

from __future__ import annotations

import getpass
import sys

from tutor import escapes, explain
from tutor.errors import InputError
from tutor.helpers.result import no_password

MAX_PASSWORD = 16384    # characters read from a pipe as a password or token (a long OAuth JWT fits)


def ask_password(prompt: str) -> str:
    """Ask without echo on a terminal, so the password stays out of shell history."""
    if not sys.stdin.isatty():
        try:
            line = sys.stdin.readline(MAX_PASSWORD + 1)     # bounded: `< /dev/zero` is one error line
        except UnicodeDecodeError as exc:
            byte = exc.object[exc.start]
            raise InputError(f"the password given is not valid UTF-8 (0x{byte:02x}): use UTF-8 text") from None
        if not line:
            no_password(prompt)            # nothing piped in: the helper's own one-line error
        answer = line.rstrip("\r\n")
        if len(answer) > MAX_PASSWORD:
            raise InputError(explain.text("shell.mask.password-too-long", limit=MAX_PASSWORD))
    else:
        try:
            answer = getpass.getpass(prompt)
        except (EOFError, KeyboardInterrupt):
            raise InputError("no password given") from None
    escapes.check_utf8(answer, "the password given")
    return answer
