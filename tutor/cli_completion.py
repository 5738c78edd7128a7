"""`smtp-tutor completion bash|zsh`: print the shell completion script that ships in tutor/data/completion/.

The scripts are generated from the argparse parser by shtab (scripts/make_completion.py, a development tool),
so an installed tutor needs no extra package and this command imports nothing but the standard library.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files

# Shell -> the script's file name in tutor/data/completion/ (zsh's own convention: `_` + command name).
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
    return (files("tutor.data") / "completion" / SCRIPTS[shell]).read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(script(args.shell))
    return 0
