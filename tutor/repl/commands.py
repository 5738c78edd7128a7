"""The `:` command registry (a plain dict, convention 6): built-ins, the shared helpers, and anyone's additions.

Other modules add commands with `register(ReplCommand(...))` (lessons, live transports, new mechanisms).
A command's `run(shell, argument_text)` returns False (or raises TutorError) when it could not be done.
"""

from __future__ import annotations

import importlib
import shlex
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tutor import explain
from tutor.errors import InputError
from tutor.protocol.record import Record, _set

if TYPE_CHECKING:
    import argparse

    from tutor.interfaces import ShellLike
    from tutor.repl.arguments import ArgumentParser

Runner = Callable[[Any, str], "bool | None"]
Completer = Callable[[Any, list[str]], Iterable[str]]   # (ReplView, words before the cursor) -> candidates


class ReplCommand(Record):
    """One tutor command: `:name args`. `redact` turns the argument text into a form safe for history.
    `data` (anything a front end keeps with it, e.g. batch mode's "online") is not compared."""

    __slots__ = ("name", "syntax", "summary", "help", "run", "complete", "redact", "data")
    _compared = ("name", "syntax", "summary", "help", "run", "complete", "redact")
    name: str
    syntax: str
    summary: str
    help: str
    run: Runner
    complete: Completer | None
    redact: Callable[[str], str | None] | None
    data: dict

    def __init__(self, name: str, syntax: str, summary: str, help: str, run: Runner,
                 complete: Completer | None = None, redact: Callable[[str], str | None] | None = None,
                 data: dict | None = None) -> None:
        _set(self, "name", name)
        _set(self, "syntax", syntax)
        _set(self, "summary", summary)
        _set(self, "help", help)
        _set(self, "run", run)
        _set(self, "complete", complete)
        _set(self, "redact", redact)
        _set(self, "data", {} if data is None else data)


COMMANDS: dict[str, ReplCommand] = {}
# Modules that register more commands when imported; loaded with the built-ins.
EXTENSIONS: list[str] = ["tutor.repl.lesson_commands"]
_builtins_loaded = _helpers_loaded = False
_lock = threading.RLock()


def register(command: ReplCommand) -> ReplCommand:
    """Add (or replace) a command under its name."""
    COMMANDS[command.name] = command
    return command


def from_data(name: str, run: Runner, **extra: Any) -> ReplCommand:
    """A command whose syntax, summary and help live in tutor/data/repl.toml `[cmd.NAME]`."""
    base = f"repl.cmd.{name}."
    return ReplCommand(name, explain.text(base + "syntax"), explain.text(base + "summary"),
                       explain.text(base + "help"), run, **extra)


def ensure_loaded(helpers: bool = True) -> dict[str, ReplCommand]:
    """Register the built-ins, then the helpers, on first use (keeps start-up fast). Thread-safe."""
    global _builtins_loaded, _helpers_loaded  # noqa: PLW0603 - load-once flags guarded by _lock
    with _lock:
        if not _builtins_loaded:
            _builtins_loaded = True
            importlib.import_module("tutor.repl.builtins")      # registers on import
        if helpers and not _helpers_loaded:
            _helpers_loaded = True
            _register_helpers()
            _load_extensions()
    return COMMANDS


def _load_extensions() -> None:
    for module in EXTENSIONS:
        importlib.import_module(module)


def get(name: str) -> ReplCommand | None:
    key = name.lower().lstrip(":")
    return ensure_loaded(helpers=False).get(key) or ensure_loaded().get(key)


def names() -> list[str]:
    return sorted(ensure_loaded())


def split(text: str) -> tuple[str, str]:
    """`:name rest` -> (name, rest); the colon is optional."""
    name, _, rest = text.strip().lstrip(":").partition(" ")
    return name.lower(), rest.strip()


def dispatch(shell: ShellLike, text: str) -> bool:
    """Run `:name args`; False when the command is unknown or failed."""
    name, rest = split(text)
    command = get(name)
    if command is None:
        raise InputError(explain.text("repl.err.unknown-command", name=name))
    return command.run(shell, rest) is not False


def redact(text: str) -> str | None:
    """The history form of a `:command` line (without ':'), None to keep it out of history."""
    name, rest = split(text)
    command = get(name)
    if command is None or command.redact is None or not rest:
        return text.strip()
    safe = command.redact(rest)
    return None if safe is None else f"{name} {safe}".rstrip()


# ---- argument parsing shared by commands --------------------------------------------------------------
def __getattr__(name: str) -> Any:
    """`commands.ArgumentParser` (tutor.repl.arguments), imported on first use: argparse is not needed to start."""
    if name == "ArgumentParser":
        from tutor.repl.arguments import ArgumentParser
        return ArgumentParser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def split_words(text: str) -> list[str]:
    """Shell-like words, quotes honoured, but backslashes kept as typed: `\\0` and `\\x01` mean bytes here."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    lexer.commenters = ""
    return list(lexer)


def words(text: str) -> list[str]:
    try:
        return split_words(text)
    except ValueError as exc:
        raise InputError(explain.text("repl.err.cannot-split", error=exc)) from None


def parse(parser: ArgumentParser, text: str) -> argparse.Namespace:
    import argparse

    try:
        return parser.parse_args(words(text))
    except argparse.ArgumentError as exc:
        raise InputError(explain.text("repl.err.bad-arguments", name=parser.prog.lstrip(":"), error=str(exc))) from None


def positional_words(parser: argparse.ArgumentParser, tokens: list[str]) -> list[int]:
    """Indexes into `tokens` of the positional words (options and their values skipped)."""
    takes_value = {s for a in parser._actions if a.option_strings and a.nargs != 0 for s in a.option_strings}
    out, skip = [], False
    for index, token in enumerate(tokens):
        if skip:
            skip = False
        elif token.startswith("-") and len(token) > 1:
            skip = token in takes_value
        else:
            out.append(index)
    return out


def redactor(build: Callable[[], argparse.ArgumentParser], positions: Iterable[int]) -> Callable[[str], str | None]:
    """A `redact` that drops the positional words at `positions` (passwords) from the argument text."""
    wanted = frozenset(positions)

    def redact_args(text: str) -> str | None:
        try:
            tokens = split_words(text)
        except ValueError:
            return None
        drop = {index for n, index in enumerate(positional_words(build(), tokens)) if n in wanted}
        return shlex.join(t for i, t in enumerate(tokens) if i not in drop)

    return redact_args


def argument_candidates(parser: argparse.ArgumentParser, done: list[str]) -> list[str]:
    """Completion for an argparse command: the next positional's choices, and the options."""
    positions = positional_words(parser, done)
    positionals = [a for a in parser._actions if not a.option_strings]
    out: list[str] = []
    choices = positionals[len(positions)].choices if len(positions) < len(positionals) else None
    if choices:
        out += [str(c) for c in choices]
    out += [s for a in parser._actions for s in a.option_strings if s.startswith("--")]
    return out


# ---- the shared helpers (tutor.helpers.registry) as REPL commands --------------------------------------
HELPER_WORDS: dict[str, tuple[str, ...]] = {
    "explain": ("220", "221", "235", "250", "334", "354", "421", "432", "454", "500", "501", "503", "504", "530",
                "534", "535", "538", "550", "554"),
}


def _register_helpers() -> None:
    from tutor.helpers.registry import HELPERS

    for helper in HELPERS.values():
        if helper.name not in COMMANDS:
            register(_from_helper(helper))


def _from_helper(helper: Any) -> ReplCommand:
    from tutor.repl.arguments import ArgumentParser  # the helpers are registered after the greeting

    def build() -> ArgumentParser:
        parser = ArgumentParser(helper.name)
        helper.configure(parser)
        return parser

    def complete(view: Any, done: list[str]) -> list[str]:
        if not done and helper.name in HELPER_WORDS:
            return list(HELPER_WORDS[helper.name])
        return argument_candidates(build(), done)

    def run(shell: ShellLike, text: str) -> bool:
        return run_helper(shell, helper, build(), text)

    positions = tuple(getattr(helper, "secret_positionals", ()))
    return ReplCommand(helper.name, helper.syntax, helper.summary, build().format_help().strip(), run, complete,
                       redactor(build, positions) if positions else None, {"helper": helper})


def show_result(shell: ShellLike, result: Any, asked: list[str]) -> None:
    """A helper's table; a password typed at the no-echo prompt stays hidden in it unless show_secrets
    (`:show` prints the last hidden table in full)."""
    from tutor.helpers.render import render_lines

    hide = bool([a for a in asked if a]) and not getattr(shell, "show_secrets", False)
    shell.hidden_result = result if hide else None
    shell.show_lines(render_lines(result))      # Shell.emit hides what was typed at the no-echo prompt
    if hide:
        shell.note("shell.mask.how-to-show")


def run_helper(shell: ShellLike, helper: Any, parser: ArgumentParser, text: str) -> bool:
    from tutor.helpers.result import Context

    args = parse(parser, text)
    for position in getattr(helper, "secret_positionals", ()):
        tokens = words(text)
        index = positional_words(parser, tokens)
        if position < len(index):
            shell.remember_secret(tokens[index[position]])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(shell.ask_secret(prompt))
        return asked[-1]

    result = helper.run(args, Context.of_session(shell.session, ask))
    for step in result.steps:
        if step.secret:
            shell.remember_secret(step.value)
            shell.remember_secret(result.result)
    show_result(shell, result, asked)
    lesson = getattr(shell, "lesson", None)
    if lesson is not None:
        lesson.after_helper(shell, helper.name, words(text), result.data)
    return True
