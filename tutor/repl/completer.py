"""Completion of SMTP verbs, advertised mechanisms, `:commands` with their arguments, and profile names.

Legal verbs come first. Reads only a ReplView (convention 12); cheap enough to run on every keystroke.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from tutor import explain
from tutor.protocol.commands import VERBS
from tutor.protocol.states import LEGAL
from tutor.repl.view import ReplView

VERB_ARGS = {"MAIL": ("FROM:<",), "RCPT": ("TO:<",), "EHLO": ("laptop.example",), "HELO": ("laptop.example",)}


def _matching(word: str, candidates: Iterable[str], meta: Callable[[str], str] = lambda c: "") -> list[Completion]:
    low = word.lower()
    return [Completion(c, -len(word), display_meta=meta(c)) for c in candidates if c.lower().startswith(low)]


class TutorCompleter(Completer):
    """Completes the line being typed from what the shell view says is possible now."""

    def __init__(self, get_view: Callable[[], ReplView]) -> None:
        self.get_view = get_view

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if text.startswith("::"):
            return []
        if text.startswith(":"):
            return self.command(text[1:])
        return self.smtp(text, self.get_view())

    # ---- SMTP lines ------------------------------------------------------------------------------
    def smtp(self, text: str, view: ReplView) -> list[Completion]:
        if view.line_kind not in ("command", "offline"):
            return []
        parts = text.split(" ")
        if len(parts) == 1:
            return _matching(parts[0], self.verbs(view), _verb_meta)
        verb = parts[0].upper()
        if len(parts) == 2 and verb == "AUTH":
            from tutor.sasl import registry  # every mechanism: loaded at the first completion, not at start

            offered = view.advertised or registry.names()   # before any EHLO said what the server has
            return _matching(parts[1], offered, lambda m: "advertised" if m in view.advertised else "")
        if len(parts) == 2 and verb in VERB_ARGS:
            return _matching(parts[1], VERB_ARGS[verb])
        return []

    @staticmethod
    def verbs(view: ReplView) -> list[str]:
        """Every verb, the ones legal in the current state first."""
        legal = LEGAL.get(view.state, frozenset()) if view.state is not None else frozenset()
        return sorted(VERBS, key=lambda v: (v not in legal, VERBS.index(v)))

    # ---- :commands -------------------------------------------------------------------------------
    def command(self, text: str) -> list[Completion]:
        from tutor.repl import commands

        name, space, rest = text.partition(" ")
        if not space:
            return [Completion(":" + n, -len(text) - 1, display_meta=command.summary)
                    for n in commands.names()
                    if n.startswith(name.lower()) and (command := commands.get(n)) is not None]
        command = commands.get(name)
        if command is None or command.complete is None:
            return []
        words = rest.split(" ")
        done, word = [w for w in words[:-1] if w], words[-1]
        return _matching(word, command.complete(self.get_view(), done))


def _verb_meta(verb: str) -> str:
    return explain.text(f"repl.verb.{verb}")
