"""Batch mode: lines from a script or a pipe, run in order, the transcript printed as plain text.

For teachers' handouts and for tests. Exit status 1 when any line could not be run.
"""

from __future__ import annotations

import sys
from typing import Callable, Iterable

from tutor.display.format import plain_lines
from tutor.repl.shell import Shell
from tutor.session import Item


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def run(shell: Shell, lines: Iterable[str], write: Callable[[str], object] = _stdout) -> int:
    """Run every line (a `:quit` stops early); 0 when all ran, 1 otherwise."""
    shell.out = lambda items: write(plain_lines(items))
    shell.start()
    for raw in lines:
        if shell.quit_requested:
            break
        line = raw.rstrip("\r\n")
        if line.startswith(":") and not line.startswith("::"):
            shell.out([Item("echo", line)])
        try:
            shell.handle(line)
        except KeyboardInterrupt:
            shell.failed = True
            break
    shell.finish()
    return 1 if shell.failed else 0
