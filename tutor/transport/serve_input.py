"""How a session hands its client's bytes to the simulator: a few lines at a time, so replies never outrun the client.

Feeding a bounded batch of command lines per call lets the session look at its unsent replies (back-pressure)
and at a failed AUTH (the failure delay) between batches, instead of answering a whole pipelined burst at once.
A batch holds at most BATCH_LINES plain commands (their replies stay well under the 8 KiB a session may go
past its write bound); AUTH, STARTTLS, DATA and BDAT always go alone, so a failed AUTH is held back before
anything after it is read, and nothing sent after STARTTLS in clear reaches the simulator (RFC 3207 §4.2).
The session batches only when nothing reads the explanations (no log, record or view): with them, each
command's notes follow it as before.
Message text (DATA) goes in bigger pieces, cut right after the end-of-data line (RFC 5321 §4.1.1.4: a line
holding only "."), so commands pipelined after a message are again fed one at a time.
"""

from __future__ import annotations

COMMAND_PIECE = 16 * 1024   # at most this much of one unfinished command line per call (the reader bounds lines)
TEXT_PIECE = 64 * 1024      # at most this much message text per call
BATCH_LINES = 16            # at most this many plain command lines per call
_ALONE = (b"AUTH", b"STAR", b"DATA", b"BDAT")   # commands fed one at a time (first four letters, any case)


def next_piece(pending: bytes | bytearray, in_data: bool, after_newline: bool) -> int:
    """How many of `pending`'s leading bytes to feed next (at least 1 when pending is not empty).

    `in_data`: the simulator is reading message text; `after_newline`: the last byte fed was LF.
    """
    if not in_data:
        newline = pending.find(b"\n", 0, COMMAND_PIECE)
        return newline + 1 if newline >= 0 else min(len(pending), COMMAND_PIECE)
    end = _end_of_data(pending, after_newline)
    if end is not None:
        return end
    window = min(len(pending), TEXT_PIECE)
    if window < len(pending):
        newline = pending.rfind(b"\n", 0, window)
        if newline >= 0:
            return newline + 1
    return window


def _end_of_data(pending: bytes | bytearray, after_newline: bool) -> int | None:
    """The length up to and including the first "." line within TEXT_PIECE, or None (CRLF or bare LF)."""
    found = []
    if after_newline:
        for terminator in (b".\r\n", b".\n"):
            if pending.startswith(terminator):
                return len(terminator)
    for terminator in (b"\n.\r\n", b"\n.\n"):
        at = pending.find(terminator, 0, TEXT_PIECE)
        if at >= 0:
            found.append(at + len(terminator))
    return min(found) if found else None


def batch_end(pending: bytes | bytearray, first: int) -> int:
    """Where a batch of plain command lines that starts with pending[:first] ends (`first` if it cannot grow).

    Only whole lines are added, up to BATCH_LINES in all; a batch neither starts with nor takes in AUTH,
    STARTTLS, DATA or BDAT, nor a line that does not start with a letter.
    """
    if not _plain(pending, 0) or not pending[:first].endswith(b"\n"):
        return first
    end, lines = first, 1
    while lines < BATCH_LINES:
        newline = pending.find(b"\n", end, end + COMMAND_PIECE)
        if newline < 0 or not _plain(pending, end):
            break
        end, lines = newline + 1, lines + 1
    return end


def _plain(pending: bytes | bytearray, at: int) -> bool:
    """The line at `at` starts with a letter (no leading space to hide a verb) and is not one fed alone."""
    head = bytes(pending[at:at + 4])
    return head[:1].isalpha() and head.upper() not in _ALONE
