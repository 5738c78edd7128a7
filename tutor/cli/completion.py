"""`smtp-tutor completion bash|zsh`: print the shell completion script that ships in tutor/data/completion/.

The scripts are generated from the argparse parser by shtab (scripts/make_completion.py, a development tool),
so an installed tutor needs no extra package and this command imports nothing but the standard library.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMPLETION_DIR = Path(__file__).resolve().parent.parent / "data" / "completion"
# Shell -> the script's file name in COMPLETION_DIR (zsh's own convention: `_` + command name).
SCRIPTS = {"bash": "smtp-tutor.bash", "zsh": "_smtp-tutor"}
ENABLE = {
    "bash": 'eval "$(smtp-tutor completion bash)"      # in ~/.bashrc',
    "zsh": 'eval "$(smtp-tutor completion zsh)"       # in ~/.zshrc, after compinit',
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """The `completion` sub-command, with the line that enables each script as its epilog."""
    summary = "print the tab-completion script for bash or zsh"
    parser = subparsers.add_parser("completion", help=summary, description=summary,
                                   epilog="Enable it with one line:\n  " + "\n  ".join(ENABLE.values()),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shell", choices=sorted(SCRIPTS), help="the shell to complete in")


def script(shell: str) -> str:
    """The shipped completion script for `shell` (a key of SCRIPTS)."""
    return (COMPLETION_DIR / SCRIPTS[shell]).read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(script(args.shell))
    return 0


def fast_path(argv: list[str]) -> int | None:
    """`completion SHELL` without building the full parser (it runs at every shell start-up); else None."""
    if len(argv) == 2 and argv[0] == "completion" and argv[1] in SCRIPTS:
        sys.stdout.write(script(argv[1]))
        return 0
    return None
