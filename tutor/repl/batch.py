"""Batch mode: lines from a script or a pipe, run in order, the transcript printed as plain text.

For teachers' handouts and for tests. Exit status 1 when any line could not be run (an SMTP line that got no
answer, or a `:` command that failed, e.g. bad arguments); 0 when every line ran, whatever the server replied.
Once the connection is gone, one line says so and the lines that need a server are skipped; tutor helpers
still run. Scripts are read a line at a time with bounds (MAX_LINE per line, MAX_SCRIPT per file): a file
such as /dev/zero is one error line, never a read without limit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import count
from typing import BinaryIO

from tutor import explain
from tutor.display.format import plain_lines
from tutor.errors import InputError
from tutor.repl import commands
from tutor.repl.shell import Shell
from tutor.session import Item

MAX_LINE = 64 * 1024               # octets in one script line (an AUTH line may be 12288, RFC 4954 §4)
MAX_SCRIPT = 4 * 1024 * 1024       # octets in one script file


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def run(shell: Shell, lines: Iterable[str], write: Callable[[str], object] = _stdout) -> int:
    """Run every line (a `:quit` stops early); 0 when all ran, 1 otherwise."""
    shell.out = lambda items: write(plain_lines(items))
    shell.start()
    skipping = False
    for raw in _stop_on_bad_input(shell, lines):
        if shell.quit_requested:
            break
        line = raw.rstrip("\r\n")
        is_command = line.startswith(":") and not line.startswith("::")
        if line and needs_server(line, is_command):
            if not _connected(shell):
                if not skipping:      # one line, not one per remaining line
                    shell.error(explain.text("repl.batch-skipping", line=line))
                skipping = shell.failed = True
                continue
            skipping = False          # connected again (:connect): say it again if it is lost again
        if is_command:
            shell.out([Item("echo", line)])
        try:
            shell.handle(line)
        except KeyboardInterrupt:
            shell.failed = True
            break
    shell.finish()
    return 1 if shell.failed else 0


def needs_server(line: str, is_command: bool) -> bool:
    """SMTP lines, and the tutor commands marked `online` (:auth, :starttls, :disconnect)."""
    if not is_command:
        return True
    command = commands.get(commands.split(line[1:])[0])
    return command is not None and bool(command.data.get("online"))


def _connected(shell: Shell) -> bool:
    return shell.session is not None and not shell.session.closed


def _stop_on_bad_input(shell: Shell, lines: Iterable[str]) -> Iterator[str]:
    """The lines; a script that cannot be read further (too long, not UTF-8) is one error line, and the end."""
    iterator = iter(lines)
    while not shell.quit_requested:     # nothing more is read once the script is over (:quit, a refusal)
        try:
            yield next(iterator)
        except StopIteration:
            return
        except InputError as exc:
            shell.error(str(exc))
            shell.failed = True
            return


def script_lines(stream: BinaryIO, source: str, max_total: int | None = MAX_SCRIPT) -> Iterator[str]:
    """The lines of a script (a file, or a pipe when `max_total` is None), read with bounds.

    InputError (one line) at a line over MAX_LINE octets, past `max_total` octets, or at a line that is not
    UTF-8; every line before it has run.
    """
    total = 0
    for number in count(1):
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        total += len(raw)
        if len(raw.rstrip(b"\r\n")) > MAX_LINE:
            raise InputError(explain.text("shell.batch.line-too-long", source=source, number=number,
                                          limit=_size(MAX_LINE)))
        if max_total is not None and total > max_total:
            raise InputError(explain.text("shell.batch.too-big", source=source,
                                          limit=_size(max_total)))
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(explain.text("shell.batch.not-utf8", source=source, number=number)) from None


def _size(octets: int) -> str:
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if octets >= unit and octets % unit == 0:
            return f"{octets // unit} {name}"
    return f"{octets} octets"


def stdin_lines() -> Iterable[str]:
    """Standard input as script lines, streamed (a pipe has no end to wait for), each line bounded."""
    binary = getattr(sys.stdin, "buffer", None)
    return script_lines(binary, "standard input", None) if binary is not None else sys.stdin
