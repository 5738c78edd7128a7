"""The argparse parser class of the `:` commands (its own module: the REPL's start needs no argparse)."""

from __future__ import annotations

import argparse
from typing import Any

from tutor import explain
from tutor.errors import InputError


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises InputError (one line) instead of printing usage and exiting."""

    def __init__(self, name: str, syntax: str = "", **kwargs: Any) -> None:
        super().__init__(prog=f":{name}", add_help=False, exit_on_error=False, **kwargs)
        self.syntax = syntax

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(explain.text("repl.err.bad-arguments", name=self.prog.lstrip(":"), error=message))

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise InputError(message or self.prog)
