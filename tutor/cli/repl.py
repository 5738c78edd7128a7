"""The REPL's command-line face: its options, and choosing the terminal app or batch mode."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING

from tutor import explain
from tutor.errors import InputError

if TYPE_CHECKING:
    import argparse

T = explain.text
# What the REPL options mean when none is given (add_repl_options gives argparse the same defaults).
DEFAULTS = {"profile": "lab", "script": None, "no_color": False, "record": None, "batch": False,
            "show_secrets": False, "max_auth_failures": None}


def add_repl_options(parser: argparse.ArgumentParser) -> None:
    """--profile, --script FILE, --no-color, --record FILE, --batch, --show-secrets."""
    parser.add_argument("--profile", default=DEFAULTS["profile"], help=T("repl.option.profile"))
    parser.add_argument("--script", metavar="FILE", help=T("repl.option.script"))
    parser.add_argument("--no-color", "--no-colour", dest="no_color", action="store_true",
                        help=T("repl.option.no-color"))
    parser.add_argument("--record", metavar="FILE", help=T("repl.option.record"))
    parser.add_argument("--batch", action="store_true", help=T("repl.option.batch"))
    parser.add_argument("--show-secrets", action="store_true", help=T("shell.option.show-secrets"))
    parser.add_argument("--max-auth-failures", type=_auth_failures, default=None, metavar="N",
                        help="failed logins before the simulator closes with 421 (default 3; 0 = never)")


def _auth_failures(text: str) -> int:
    """A failed-login limit for the simulator, 0 or more (0: never close), for argparse."""
    import argparse

    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a count: use 0 or more (0 = never close)")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    """`smtp-tutor repl`: the same as no command."""
    parser = subparsers.add_parser("repl", help=T("repl.option.repl"), description=T("repl.option.repl"),
                                   epilog=T("shell.batch.exit-status"))
    add_repl_options(parser)


def use_color(args: argparse.Namespace, stream=None) -> bool:
    """Colour unless --no-color, NO_COLOR (any non-empty value, no-color.org) or output is not a terminal."""
    stream = sys.stdout if stream is None else stream
    return not (getattr(args, "no_color", False) or os.environ.get("NO_COLOR") or not stream.isatty())


def run(args: argparse.Namespace) -> int:
    """Open the REPL: the terminal app on a terminal, batch mode for --script, --batch or pipes."""
    from tutor.repl.shell import Shell

    profile = getattr(args, "profile", None) or "lab"
    _check_profile(profile)
    script = getattr(args, "script", None)
    record = getattr(args, "record", None)
    interactive = not (script or getattr(args, "batch", False)) and sys.stdin.isatty() and sys.stdout.isatty()
    shell = Shell(profile=profile, interactive=interactive, record=record)
    if getattr(args, "max_auth_failures", None) is not None:
        shell.sim_options["max_auth_failures"] = args.max_auth_failures
    shell.show_secrets = bool(getattr(args, "show_secrets", False))
    if interactive:
        from tutor.repl.app import ReplApp
        return ReplApp(shell, color=use_color(args)).run()
    from tutor.repl import batch
    if script is None:
        return batch.run(shell, batch.stdin_lines())
    with open_script(script) as handle:
        return batch.run(shell, batch.script_lines(handle, script))


def open_script(path: str):
    """The --script file, opened for bounded reading (tutor.repl.batch.script_lines); InputError if it cannot be."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(T("repl.err.cannot-read", path=path, reason=exc.strerror or exc)) from None


def _check_profile(name: str) -> None:
    """A usage error (one line on stderr, exit 2) before anything starts, not a failure inside the REPL."""
    from tutor.sim.profiles import PROFILES, canonical_name

    if canonical_name(name) not in PROFILES:
        raise InputError(T("repl.err.unknown-profile", name=name, known=", ".join(PROFILES)))


def repl_parser() -> argparse.ArgumentParser:
    """A parser with only the REPL options (no helpers, no sub-commands: nothing slow to import)."""
    import argparse

    parser = argparse.ArgumentParser(prog="smtp-tutor", add_help=False)
    add_repl_options(parser)
    return parser


def fast_path(argv: list[str]) -> int | None:
    """Run the REPL when `argv` holds nothing but REPL options, else None (the full CLI must parse it).

    The full parser imports every helper and sub-command module; the REPL needs none of them before its
    first prompt (docs/PERFORMANCE.md, "REPL start-up").
    """
    if not argv:   # the usual start: no parser to build (argparse and the options' help texts stay unloaded)
        return run(SimpleNamespace(**DEFAULTS))   # type: ignore[arg-type]
    if any(a in ("-h", "--help", "--version") for a in argv):
        return None
    parsed, rest = repl_parser().parse_known_args(argv)
    if rest:
        return None
    return run(parsed)


def main(argv: list[str] | None = None) -> int:
    """`python -m tutor.cli.repl [REPL options]`: the REPL without the rest of the CLI."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = fast_path(args)
    except InputError as exc:
        print(f"smtp-tutor: {exc}", file=sys.stderr)
        return 2
    if code is None:
        from tutor.cli import main as full_main
        return full_main(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
