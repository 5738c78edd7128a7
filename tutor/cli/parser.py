"""The command line's argparse parser class (its own module: the REPL's start never needs argparse)."""

from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    """argparse with a usage error as one line on stderr (exit 2) instead of the whole usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")
