"""Batch mode: lines from a script or a pipe, run in order, the transcript printed as plain text.

For teachers' handouts and for tests. Exit status 1 when any line could not be run. Once the connection is
gone, one line says so and the lines that need a server are skipped; tutor helpers still run.
"""

from __future__ import annotations

import sys
from typing import Callable, Iterable

from tutor import explain
from tutor.display.format import plain_lines
from tutor.repl import commands
from tutor.repl.shell import Shell
from tutor.session import Item


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def run(shell: Shell, lines: Iterable[str], write: Callable[[str], object] = _stdout) -> int:
    """Run every line (a `:quit` stops early); 0 when all ran, 1 otherwise."""
    shell.out = lambda items: write(plain_lines(items))
    shell.start()
    skipping = False
    for raw in lines:
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
