"""`smtp-tutor connect HOST[:PORT]`: the REPL (or batch mode) on a live server, with TLS checked and secrets masked."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Any

from tutor import explain
from tutor.errors import InputError
from tutor.transport import address

T = explain.text
PASSWORD_ENV = "SMTP_TUTOR_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `connect` subcommand."""
    p = subparsers.add_parser("connect", help=T("transport.cli.help"), description=T("transport.cli.description"),
                              epilog=T("shell.batch.exit-status"))
    configure(p)
    return p


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="HOST[:PORT]", help=T("transport.cli.target"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--starttls", action="store_true", help=T("transport.cli.starttls"))
    mode.add_argument("--tls", action="store_true", help=T("transport.cli.tls"))
    p.add_argument("--by-hand", action="store_true", help=T("shell.starttls.by-hand-option"))
    p.add_argument("--insecure", action="store_true", help=T("transport.cli.insecure"))
    p.add_argument("--cafile", metavar="FILE", help=T("transport.cli.cafile"))
    p.add_argument("--keylog", metavar="FILE", help=T("transport_keylog.option"))
    p.add_argument("--allow-cleartext", action="store_true", help=T("transport.cli.allow-cleartext"))
    p.add_argument("--show-secrets", action="store_true", help=T("transport.cli.show-secrets"))
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help=T("transport.cli.timeout"))
    p.add_argument("--script", metavar="FILE", help=T("transport.cli.script"))
    p.add_argument("--record", metavar="FILE", help=T("transport.cli.record"))
    p.add_argument("--batch", action="store_true", help=T("transport.cli.batch"))
    p.add_argument("--no-color", "--no-colour", dest="no_color", action="store_true", help=T("transport.cli.no-color"))


@dataclass(frozen=True)
class LiveOptions:
    """How to reach the server and how careful to be with credentials."""

    where: address.Address
    starttls: bool = False
    tls: bool = False
    insecure: bool = False
    cafile: str | None = None
    timeout: float = 10.0
    allow_cleartext: bool = False
    show_secrets: bool = False
    # `connect --starttls` without --by-hand: the tutor does the upgrade (tutor.repl.live)
    auto_starttls: bool = False
    keylog: str | None = None       # --keylog FILE or SSLKEYLOGFILE: TLS keys logged (tutor.transport.keylog)

    def connect(self) -> Any:
        from tutor.transport import tcp

        return tcp.connect(self.where.host, self.where.port, starttls=self.starttls, tls=self.tls,
                           insecure=self.insecure, cafile=self.cafile, timeout=self.timeout, keylog=self.keylog)


def options(args: argparse.Namespace) -> LiveOptions:
    """Check the arguments before anything touches the network: InputError (one line, exit 2) if bad."""
    from tutor.transport import tls

    where = address.parse(args.target, starttls=args.starttls, tls=args.tls)
    if not args.timeout > 0:
        raise InputError(T("transport.error.bad-timeout", seconds=args.timeout))
    if args.cafile:
        tls.client_context(cafile=args.cafile)   # a missing or unreadable CA file is bad input
    if getattr(args, "by_hand", False) and not args.starttls:
        raise InputError(T("shell.starttls.by-hand-alone"))
    return LiveOptions(where, args.starttls, args.tls, args.insecure, args.cafile, args.timeout,
                       args.allow_cleartext, args.show_secrets, args.starttls and not getattr(args, "by_hand", False),
                       keylog=_keylog(getattr(args, "keylog", None)))


def _keylog(explicit: str | None) -> str | None:
    """--keylog FILE (or SSLKEYLOGFILE) made 0600 now, and said on standard error: it is a secret."""
    from tutor.transport import keylog

    path, said = keylog.setup(explicit)
    for line in said:
        print(line, file=sys.stderr)
    return path


def _make_shell(live: LiveOptions, **shell_options: Any) -> Any:
    """A REPL Shell that starts on the live server instead of the simulator (imported late: fast --help)."""
    from tutor.repl.live import LiveShell

    shell = LiveShell(live, **shell_options)
    if not shell.interactive:
        shell.ask_password = _env_password
    return shell


def _env_password(prompt: str) -> str:
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value
    raise InputError(T("transport.cli.no-password", variable=PASSWORD_ENV))


def run(args: argparse.Namespace) -> int:
    """The REPL on the live server: the terminal app on a terminal, batch mode for --script, --batch or pipes."""
    from tutor.cli.repl import open_script

    live = options(args)
    script = getattr(args, "script", None)
    handle = open_script(script) if script is not None else None    # before any network use
    interactive = not (script or args.batch) and sys.stdin.isatty() and sys.stdout.isatty()
    shell = _make_shell(live, interactive=interactive, record=args.record)
    if interactive:
        from tutor.cli.repl import use_color
        from tutor.repl.app import ReplApp
        return ReplApp(shell, color=use_color(args)).run()
    from tutor.repl import batch
    if handle is None or script is None:
        return batch.run(shell, batch.stdin_lines())
    with handle:
        return batch.run(shell, batch.script_lines(handle, script))
