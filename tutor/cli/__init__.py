"""Command-line front: the REPL (default), `serve`, `lesson`, `trace`, `connect` and the one-shot helpers."""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

from tutor import __version__
from tutor.errors import TutorError

if TYPE_CHECKING:
    import argparse

    from tutor.cli.parser import OneLineParser as OneLineParser

# Sub-commands that live in their own modules: name -> module with register(subparsers) and run(args).
SUBCOMMAND_MODULES = {
    "repl": "tutor.cli.repl",
    "serve": "tutor.cli.serve",
    "connect": "tutor.cli.connect",
    "lesson": "tutor.cli.lesson",
    "trace": "tutor.cli.trace",
    "completion": "tutor.cli.completion",
}
# The names in tutor.helpers.registry.HELPERS, known here without importing it (a test keeps them equal).
HELPER_NAMES = ("b64", "plain", "login", "cram", "scram", "xoauth2", "oauthbearer", "token", "decode", "explain")


def __getattr__(name: str) -> Any:
    """`tutor.cli.OneLineParser`, imported on first use: the REPL starts without argparse (~7 ms)."""
    if name == "OneLineParser":
        from tutor.cli.parser import OneLineParser
        return OneLineParser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _chosen_command(argv: list[str]) -> str | None:
    """The sub-command named on the line, when the first bare word is one; only it need be imported."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in SUBCOMMAND_MODULES or word in HELPER_NAMES else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `only`, just that sub-command is registered (start-up stays fast)."""
    from tutor.cli.parser import OneLineParser
    if only is None or only in HELPER_NAMES:
        from tutor.helpers.registry import HELPERS
    else:
        HELPERS = {}                        # a sub-command alone (e.g. `trace`) needs none of the helpers

    parser = OneLineParser(
        prog="smtp-tutor",
        description="Learn SMTP AUTH by doing it by hand. With no command: an interactive shell on the built-in "
                    "simulated server.", epilog=_t("shell.batch.exit-status"))
    parser.add_argument("--version", action="version", version=f"smtp-tutor {__version__}")
    _add_repl_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, helper in HELPERS.items():
        if only is not None and name != only:
            continue
        p = sub.add_parser(name, help=helper.summary, description=helper.summary)
        helper.configure(p)
        p.add_argument("--quiet", "-q", action="store_true", help="print only the result")
        p.add_argument("--json", action="store_true", help="print a JSON object")
        if helper.secret_positionals:
            p.add_argument("--show-secrets", action="store_true", help=_t("shell.option.helper-show-secrets"))
    for name, module_name in SUBCOMMAND_MODULES.items():
        if only is not None and name != only:
            continue
        importlib.import_module(module_name).register(sub)
    return parser


def _add_repl_options(parser: argparse.ArgumentParser) -> None:
    from tutor.cli.repl import add_repl_options
    add_repl_options(parser)


def run_helper(args: argparse.Namespace) -> int:
    from tutor.cli.password import ask_password
    from tutor.helpers.registry import HELPERS
    from tutor.helpers.render import masked, render_json, render_text
    from tutor.helpers.result import Context

    _check_arguments_are_text(args)
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(ask_password(prompt))
        return asked[-1]

    result = HELPERS[args.command].run(args, Context(ask_password=ask))
    if any(asked) and not getattr(args, "show_secrets", False):
        result = masked(result, asked)      # typed without echo: not printed back in full
        if not (args.quiet or args.json):
            print(_t("shell.mask.cli-how-to-show"), file=sys.stderr)
    print(render_json(result) if args.json else render_text(result, args.quiet))
    return 0


def _t(key: str) -> str:
    from tutor import explain
    return explain.text(key)


def _check_arguments_are_text(args: argparse.Namespace) -> None:
    """InputError (one line) for an argument that is not UTF-8: helpers encode their words as UTF-8."""
    from tutor.escapes import check_utf8

    escapes = (args.command, getattr(args, "action", None)) == ("b64", "encode")   # `b64 encode` takes \xHH
    for name, value in vars(args).items():
        for word in value if isinstance(value, list) else [value]:
            if isinstance(word, str):   # named, not shown: it may be a password
                what = "an argument" if name == "words" else f"the {name.replace('_', '-')} argument"
                check_utf8(word, what, escapes_allowed=escapes)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["completion"]:        # eval'd by every new shell: skip the parser and the helpers
            code = importlib.import_module("tutor.cli.completion").fast_path(argv)
            if code is not None:
                return code
        if _chosen_command(argv) is None:
            from tutor.cli import repl
            code = repl.fast_path(argv)       # the REPL needs no helper or sub-command module to start
            if code is not None:
                return code
        parser = build_parser(_chosen_command(argv))
        args = parser.parse_args(argv)
        if args.command is None:
            from tutor.cli import repl
            return repl.run(args)
        module_name = SUBCOMMAND_MODULES.get(args.command)
        if module_name:
            return importlib.import_module(module_name).run(args)
        return run_helper(args)
    except TutorError as exc:
        print(f"smtp-tutor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("smtp-tutor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
