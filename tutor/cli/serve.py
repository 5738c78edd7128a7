"""`smtp-tutor serve`: the simulated server on a real socket, so students can point their own clients at it."""

from __future__ import annotations

import argparse
import re
import sys

from tutor.errors import InputError, TransportError, TutorError
from tutor.sim.profiles import DEFAULT_HOSTNAME, DEFAULT_PROFILE, PROFILES, canonical_name
from tutor.transport import serve_config as limits

# The server itself (asyncio, the simulator, TLS) is imported in run(), so `smtp-tutor --help` stays fast.

MEMORY_SINK_LIMIT = 1000        # summaries of accepted messages kept in memory when there is no --maildir
USERS_FILE_LIMIT = 1024 ** 2    # bytes: a users file is a class list, not a database
TLS_FILE_LIMIT = 1024 ** 2      # bytes: a PEM certificate chain or key


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `serve` subcommand."""
    p = subparsers.add_parser(
        "serve", help="run the simulated SMTP server on a socket (for swaks, Thunderbird, scripts)",
        description="Run the simulated SMTP submission server on a real socket. It accepts mail from logged-in "
                    "users and relays nothing. Built-in users: tim/tanstaaftanstaaf and demo/demo.")
    configure(p)
    return p


def configure(p: argparse.ArgumentParser) -> None:
    """The serve options (also used by `python -m tutor.cli.serve`)."""
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_number, default=2525,
                   help="port for plain SMTP with STARTTLS (default 2525; 0 = any)")
    p.add_argument("--profile", default=DEFAULT_PROFILE, type=canonical_name, choices=list(PROFILES), metavar="NAME",
                   help=f"teaching profile (default {DEFAULT_PROFILE}; see --list-profiles)")
    p.add_argument("--list-profiles", action="store_true", help="list the profiles and exit")
    p.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD",
                   help="an account (repeatable); replaces the built-in ones")
    p.add_argument("--users", metavar="FILE", help="a file of name:password lines or a CSV of name,password[,note] "
                   "(note 'error=454|534|538|432' gives that account the AUTH error); replaces the built-in accounts")
    p.add_argument("--make-accounts", type=int, metavar="N",
                   help="make N student accounts (student01...) with pronounceable passwords, write them to "
                        "--users-out FILE (CSV, mode 0600, never overwritten), then serve them")
    p.add_argument("--users-out", metavar="FILE", help="where --make-accounts writes the class's accounts")
    p.add_argument("--maildir", metavar="DIR", help="store accepted messages in this Maildir (default: memory)")
    p.add_argument("--tls-cert", metavar="FILE", help="TLS certificate (PEM); default: a self-signed lab certificate")
    p.add_argument("--tls-key", metavar="FILE", help="TLS private key (PEM) for --tls-cert")
    p.add_argument("--implicit-tls-port", type=port_number, metavar="PORT",
                   help="also listen with implicit TLS (like 465)")
    p.add_argument("--max-clients", type=int, default=limits.MAX_CLIENTS, metavar="N",
                   help=f"concurrent clients (default {limits.MAX_CLIENTS})")
    p.add_argument("--max-per-ip", type=int, default=limits.MAX_PER_IP, metavar="N",
                   help=f"concurrent clients from one address (default {limits.MAX_PER_IP}; a class behind one "
                        "NAT shares one address)")
    p.add_argument("--max-session-time", type=seconds, default=limits.SESSION_LIFETIME, metavar="SECONDS",
                   help=f"longest a session may last, however busy (default {limits.SESSION_LIFETIME:g})")
    p.add_argument("--auth-failure-delay", type=seconds, default=limits.AUTH_FAILURE_DELAY, metavar="SECONDS",
                   help=f"wait before each failed-AUTH reply, as Dovecot does (default {limits.AUTH_FAILURE_DELAY:g};"
                        " 0 = none)")
    p.add_argument("--max-auth-failures", type=auth_failures, default=None, metavar="N",
                   help="failed logins before the server closes with 421 (default 3; 0 = never)")
    p.add_argument("--hostname", default=DEFAULT_HOSTNAME, help="the name the server gives itself")
    p.add_argument("--seed", type=int, metavar="N", help="seed the CRAM-MD5 challenge digits (repeatable runs)")
    p.add_argument("--fixed-challenge", metavar="TEXT",
                   help="always send this CRAM-MD5 challenge (escapes like \\n allowed)")
    p.add_argument("--show-secrets", action="store_true", help="show passwords in the session log")
    p.add_argument("--record", metavar="FILE|DIR",
                   help="record every session as JSON Lines (files 0600; credentials redacted unless --show-secrets;"
                        " a directory gets one file per session; read them back with smtp-tutor trace)")
    p.add_argument("--quiet", action="store_true", help="log no sessions, only the listening line")
    from tutor.cli import classroom as cli_classroom  # ---- classroom: --dashboard --web --verbose --report --format
    cli_classroom.configure(p)


def port_number(text: str) -> int:
    """A TCP port 0-65535 (0: any free port), for argparse."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use 0-65535 (0 = any free port)")
    return port


def auth_failures(text: str) -> int:
    """A failed-login limit, 0 or more (0: never close), for argparse."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a count: use 0 or more (0 = never close)")
    return int(text)


def seconds(text: str) -> float:
    """A number of seconds 0-86400, for argparse."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 86400")
    return value


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C. Bad input raises TutorError (the caller prints it as one line, exit 2)."""
    if args.list_profiles:
        width = max(len(name) for name in PROFILES)
        for name, profile in PROFILES.items():
            print(f"{name:<{width}}  {profile.summary}")
        return 0
    import asyncio

    service, banner_extra = _build(args)
    try:
        asyncio.run(_serve(service, args, banner_extra))
    except KeyboardInterrupt:
        pass
    finally:   # ---- classroom: the end-of-class report, the per-session recordings closed
        if service.config.record is not None:
            service.config.record.close()
        if args.classroom is not None:
            args.classroom.finish()
    print("smtp-tutor serve: stopped", file=sys.stderr)
    return 0


def _build(args: argparse.Namespace):
    """(SimService, words for the banner) from the options; TutorError on bad input."""
    import random

    from tutor.escapes import parse as parse_escapes
    from tutor.sim import SimServer
    from tutor.sim.sink import MaildirSink, SummarySink
    from tutor.transport.asyncio_server import ServeConfig, SimService
    from tutor.transport.fdlimit import fit_open_files

    _check_options(args)
    accounts = _accounts(args).including(PROFILES[args.profile].accounts)   # a profile's own accounts, if any
    sink = MaildirSink(args.maildir) if args.maildir else SummarySink(limit=MEMORY_SINK_LIMIT)
    tls, tls_text = _tls(args)
    max_clients, fd_note = fit_open_files(args.max_clients)
    if fd_note:
        print(f"smtp-tutor serve: {fd_note}", file=sys.stderr, flush=True)
    rng = random.Random(args.seed) if args.seed is not None else None
    try:
        fixed = parse_escapes(args.fixed_challenge) if args.fixed_challenge else None
    except InputError as exc:
        raise InputError(f"--fixed-challenge: {exc}") from None

    def factory(tls_available: bool) -> SimServer:
        return SimServer(args.profile, accounts, rng=rng, sink=sink, hostname=args.hostname,
                         starttls=tls_available, fixed_challenge=fixed, max_auth_failures=args.max_auth_failures)

    log = None if args.quiet else _print_line
    recorder = None
    if args.record:
        from tutor.classroom.record import recorder_for
        recorder = recorder_for(args.record, redact=not args.show_secrets)   # InputError (one line) if unwritable
    args.classroom = None   # ---- classroom: watches the sessions for the views, the one-line log, the report
    from tutor.cli import classroom as cli_classroom
    if cli_classroom.wanted(args):
        args.classroom = cli_classroom.ClassroomRun(args, accounts.names)
        log = args.classroom.step_log(log)
    watch = args.classroom.feed if args.classroom is not None else None
    config = ServeConfig(args.host, args.port, args.implicit_tls_port, tls, max_clients,
                         show_secrets=args.show_secrets, log=log, record=recorder, target=f"serve:{args.profile}",
                         max_per_ip=args.max_per_ip, session_lifetime=args.max_session_time,
                         auth_failure_delay=args.auth_failure_delay, watch=watch)
    users = ", ".join(accounts.names[:5]) + (", ..." if len(accounts) > 5 else "")
    return SimService(factory, config), f"{tls_text}; users: {users}; {sink.describe()}"


def _check_options(args: argparse.Namespace) -> None:
    if not re.fullmatch(r"[A-Za-z0-9.-]+", args.hostname):   # it goes into replies and CRAM-MD5 challenges
        raise InputError(f"--hostname {args.hostname!r}: use letters, digits, dots and hyphens only")
    if not re.fullmatch(r"[A-Za-z0-9.:%_-]+", args.host):     # names, IPv4, IPv6 (with a %zone)
        raise InputError(f"--host {_shown(args.host)}: use a host name or an IP address (letters, digits, . : -)")
    if args.max_clients < 1:
        raise InputError("--max-clients must be at least 1")
    if args.max_per_ip < 1:
        raise InputError("--max-per-ip must be at least 1")
    if args.max_session_time <= 0:
        raise InputError("--max-session-time must be more than 0 seconds")


def _shown(text: str) -> str:
    """An argument in an error line: printable ASCII, the rest as escapes (a NUL or a stray byte shows)."""
    return ascii(text.encode("utf-8", "surrogateescape"))[1:]


def check_file(path: str, limit: int, what: str) -> None:
    """A file serve reads must be a regular file of at most `limit` bytes; InputError (one line) otherwise."""
    import os
    import stat

    try:
        info = os.stat(path)
    except OSError:
        return   # missing, unreadable: the reader says so in its own words
    except ValueError:   # an embedded NUL
        raise InputError(f"cannot read {what} {_shown(path)}: not a file name") from None
    if stat.S_ISDIR(info.st_mode):
        return
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"cannot read {what} {path}: not a regular file")
    if info.st_size > limit:
        raise InputError(f"{what} {path} is too big ({info.st_size} bytes; at most {limit})")


def _accounts(args: argparse.Namespace):
    from tutor.sim import Accounts

    accounts = None
    if args.make_accounts is not None or args.users_out:
        accounts = _make_accounts(args)
    if args.users:
        check_file(args.users, USERS_FILE_LIMIT, "users file")
        accounts = Accounts.from_file(args.users)
    if args.user:
        given = Accounts.from_specs(args.user)
        accounts = given if accounts is None else accounts.merged(given)
    return accounts if accounts is not None else Accounts.default()


def _make_accounts(args: argparse.Namespace):
    """--make-accounts N --users-out FILE: a new class file, then its accounts (InputError on bad options)."""
    from tutor.sim import Accounts
    from tutor.sim.account_files import make_class_file

    if args.make_accounts is None or not args.users_out:
        raise InputError("--make-accounts N and --users-out FILE go together")
    if args.users:
        raise InputError("--make-accounts makes new accounts and --users reads old ones: use one")
    made = make_class_file(args.make_accounts, args.users_out)
    print(f"smtp-tutor serve: wrote {len(made)} accounts to {args.users_out} (mode 0600); "
          f"hand them out, and next time serve them with --users {args.users_out}", file=sys.stderr)
    return Accounts(dict(made))


def _tls(args: argparse.Namespace):
    """(SSLContext or None, words for the banner). Without --tls-cert: the lab certificate, made on first use."""
    from tutor.transport import tlscert

    if bool(args.tls_cert) != bool(args.tls_key):
        raise InputError("--tls-cert and --tls-key go together")
    if args.tls_cert:
        check_file(args.tls_cert, TLS_FILE_LIMIT, "TLS certificate")
        check_file(args.tls_key, TLS_FILE_LIMIT, "TLS key")
        return tlscert.server_context(args.tls_cert, args.tls_key), f"TLS certificate {args.tls_cert}"
    from tutor.transport.address import is_loopback  # ---- classroom: a certificate for the LAN name/address too
    names = () if is_loopback(args.host) else tlscert.lan_names(args.host)
    try:
        cert, key = tlscert.lab_cert(names=names)
    except TransportError as exc:
        if args.implicit_tls_port is not None:
            raise
        print(f"smtp-tutor serve: {exc}", file=sys.stderr)
        return None, "no TLS (STARTTLS not offered)"
    if names:   # said once listening works (tutor.cli.classroom.beyond_loopback_warning)
        from tutor.classroom.words import text
        args.lan_cert_note = text("warning.lan-cert", names=", ".join(names), cert=cert)
    return tlscert.server_context(cert, key), f"self-signed lab certificate {cert}"


async def _serve(service, args: argparse.Namespace, extra: str) -> None:
    import asyncio
    import signal

    addresses = await service.start()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None, "called from the serving coroutine"
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):   # pragma: no cover - not on every platform
        pass
    plain = [f"{h}:{p}" for h, p, kind in addresses if kind == "plain"]
    implicit = [f"{h}:{p}" for h, p, kind in addresses if kind == "implicit-tls"]
    where = " and ".join(plain) + (f", implicit TLS on {' and '.join(implicit)}" if implicit else "")
    print(f"smtp-tutor serve: profile {args.profile} listening on {where} ({extra}); Ctrl-C stops", flush=True)
    from tutor.cli import classroom as cli_classroom  # ---- classroom: the LAN warning, the web view, the dashboard
    from tutor.sim.profiles import PROFILES
    warning = cli_classroom.beyond_loopback_warning(args.host, PROFILES[args.profile])
    for said in (warning, getattr(args, "lan_cert_note", None)):
        if said:
            print(said, file=sys.stderr, flush=True)
    room = args.classroom
    try:
        if room is not None:
            try:
                await room.start(where)
            except TutorError:
                await service.stop()
                raise
        _freeze_garbage_collector()
        if room is not None and args.dashboard:
            await room.run_dashboard(where)
            await service.stop()
        else:
            await service.serve_forever()
    except asyncio.CancelledError:
        pass
    finally:
        if room is not None:
            await room.stop()


YOUNG_COLLECTION = 10_000   # allocations between two young collections (Python's default: 700)


def _freeze_garbage_collector() -> None:
    """Everything imported and built so far lives as long as the server: leave it out of every garbage
    collection from now on (gc.freeze), so a full collection costs what the sessions hold, not what the
    modules hold (aiohttp's alone made each session ~25 % dearer). A session frees what it made by reference
    counting (it leaves no cycle behind), so young collections find next to nothing to free but walk whatever
    is alive, the open sessions and a classroom view's rows: fewer of them (YOUNG_COLLECTION) took the
    collector's share of a viewed serve from ~1.9 to ~0.1 us a session (docs/PERFORMANCE.md)."""
    import gc
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION, older, oldest)


def _print_line(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m tutor.cli.serve ...`: serve without the rest of the command line front."""
    from tutor.cli import OneLineParser

    parser = OneLineParser(prog="smtp-tutor serve")
    configure(parser)
    try:
        return run(parser.parse_args(argv))
    except TutorError as exc:
        print(f"smtp-tutor serve: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
