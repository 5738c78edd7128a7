"""The built-in `:` commands: help, auth, connect, disconnect, starttls, server, verbose, trace, history, quit."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tutor import explain
from tutor.errors import InputError
from tutor.protocol.states import State
from tutor.repl import commands as reg
from tutor.repl import sim_connect
from tutor.repl.arguments import ArgumentParser
from tutor.repl.commands import from_data, parse, register
from tutor.repl.sim_connect import profile_names, stoppable
from tutor.sasl import registry

if TYPE_CHECKING:
    from tutor.interfaces import ShellLike

T = explain.text
ONLINE = {"online": True}   # needs a connection: batch mode skips it once the connection is gone


def _session(shell: ShellLike):
    if shell.session is None or shell.session.closed:
        raise InputError(T("repl.err.no-session"))
    return shell.session


# ---- :help -------------------------------------------------------------------------------------------
def run_help(shell: ShellLike, text: str) -> bool:
    if text:
        command = reg.get(text.split(maxsplit=1)[0])
        if command is None:
            raise InputError(T("repl.err.unknown-command", name=text.split(maxsplit=1)[0].lstrip(":")))
        shell.info(":" + command.syntax, "heading")
        shell.info(command.help)
        return True
    lines = [T("repl.help.intro")]
    lines += ["  " + T("repl.help.line", syntax=c.syntax, summary=c.summary)
              for c in filter(None, map(reg.get, reg.names()))]
    lines.append(T("shell.welcome.help-accounts", accounts=_accounts(shell)))
    lines.append(T("shell.help.footer"))
    shell.info("\n".join(lines))
    return True


def _accounts(shell: ShellLike) -> str:
    """The simulator's accounts: the connected simulator's own, else the built-in ones."""
    from tutor.repl.welcome import accounts_text

    session = shell.session
    on_sim = session is not None and session.transport.is_simulator
    return accounts_text(getattr(session.transport, "server", None) if session is not None and on_sim else None)


def complete_help(view: Any, done: list[str]) -> list[str]:
    return reg.names() if not done else []


# ---- :auth (the autopilot) ---------------------------------------------------------------------------
def _auth_parser() -> ArgumentParser:
    parser = ArgumentParser("auth")
    parser.add_argument("mechanism")
    parser.add_argument("user")
    parser.add_argument("password", nargs="?")
    parser.add_argument("--authzid", default="")
    parser.add_argument("--initial", dest="initial", action="store_true", default=None)
    parser.add_argument("--no-initial", dest="initial", action="store_false")
    return parser


def run_auth(shell: ShellLike, text: str) -> bool:
    from tutor.repl import autopilot

    args = parse(_auth_parser(), text)
    if args.password is not None:
        shell.remember_secret(args.password)
    return autopilot.run(shell, args.mechanism, args.user, args.password, authzid=args.authzid, initial=args.initial)


def complete_auth(view: Any, done: list[str]) -> list[str]:
    if not done:
        return list(view.advertised or registry.names())
    return ["--authzid", "--initial", "--no-initial"] if len(done) >= 2 else []


# ---- :connect / :disconnect / :starttls --------------------------------------------------------------
def _connect_parser() -> ArgumentParser:
    parser = ArgumentParser("connect")
    parser.add_argument("target", nargs="?")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--starttls", action="store_true")
    tls.add_argument("--tls", action="store_true")
    parser.add_argument("--insecure", action="store_true")
    parser.add_argument("--cafile")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--allow-cleartext", action="store_true")
    parser.add_argument("--keylog")                     # tutor.transport.keylog: NSS key log of this session
    return parser


def run_connect(shell: ShellLike, text: str) -> bool:
    args = parse(_connect_parser(), text)
    if args.target is None:
        if shell.reconnect is None:
            raise InputError(T("repl.err.usage", syntax=":" + T("repl.cmd.connect.syntax")))
        last = shell.reconnect_target or T("repl.err.last-target")
        return stoppable(shell, shell.reconnect, last) is not False
    target = args.target
    if sim_connect.is_sim(target):
        return sim_connect.connect(shell, target)
    opener = lambda: _open_live(shell, target, args)  # noqa: E731
    ok = stoppable(shell, opener, target) is not False
    shell.reconnect, shell.reconnect_target = opener, target   # only reached when it worked
    return ok


def _open_live(shell: ShellLike, target: str, args: Any) -> bool:
    tcp = importlib.import_module("tutor.transport.tcp")     # by name: tests put a fake in sys.modules
    from tutor.transport.address import parse as parse_address

    # default ports: 465 RFC 8314, 587 RFC 6409, 25 RFC 5321
    address = parse_address(target, starttls=args.starttls, tls=args.tls)
    if args.allow_cleartext:
        shell.allow_cleartext = True
    host, port = address.host, address.port
    shell.announce(str(address), args.timeout)
    keylog = _keylog(shell, args.keylog)
    logging = {"keylog": keylog} if keylog else {}
    transport = tcp.connect(host, port, starttls=args.starttls, tls=args.tls, insecure=args.insecure,
                            cafile=args.cafile, timeout=args.timeout, **logging)
    shell.connect(transport, timeout=args.timeout)
    return True


def _keylog(shell: ShellLike, explicit: str | None) -> str | None:
    """--keylog FILE (or SSLKEYLOGFILE): the file made 0600 and the learner told it is a secret."""
    from tutor.transport import keylog

    path, said = keylog.setup(explicit)
    for line in said:
        shell.info(line, "warning")
    return path


def complete_connect(view: Any, done: list[str]) -> list[str]:
    targets = ["sim"] + [f"sim:{p}" for p in profile_names()] if not done else []
    return targets + ["--starttls", "--tls", "--insecure", "--cafile", "--timeout", "--allow-cleartext", "--keylog"]


def run_disconnect(shell: ShellLike, text: str) -> bool:
    shell.emit(_session(shell).close())
    return True


def run_starttls(shell: ShellLike, text: str) -> bool:
    session = _session(shell)
    if session.state is State.TLS_PENDING:
        shell.emit(session.start_tls())
        return True
    return shell.send("STARTTLS", typed=False)


# ---- settings, trace, history, quit ------------------------------------------------------------------
def _on_off(value: str, current: bool) -> bool:
    word = value.strip().lower()
    if word == "":
        return not current
    if word not in ("on", "off"):
        raise InputError(T("repl.err.on-off"))
    return word == "on"


def _setting(attribute: str):
    def run(shell: ShellLike, text: str) -> bool:
        setattr(shell, attribute, _on_off(text, getattr(shell, attribute)))
        shell.note("repl.help.state",
                   server=T("repl.verbose.on" if shell.show_server else "repl.verbose.off"),
                   verbose=T("repl.verbose.on" if shell.verbose else "repl.verbose.off"))
        return True
    return run


def run_trace(shell: ShellLike, text: str) -> bool:
    parser = ArgumentParser("trace")
    parser.add_argument("action", choices=("save",))
    parser.add_argument("file")
    parser.add_argument("--reveal", action="store_true")
    args = parse(parser, text)
    path = shell.transcript.save(args.file, redact=not args.reveal)
    shell.note("repl.verbose.trace-saved", path=path, entries=len(shell.transcript.entries),
               redacted=T("repl.verbose.revealed" if args.reveal else "repl.verbose.redacted"))
    return True


def run_history(shell: ShellLike, text: str) -> bool:
    typed = shell.typed[:-1]   # not this :history line itself
    if not typed:
        shell.info(T("repl.verbose.history-empty"))
    else:
        shell.info("\n".join(f"{n:4d}  {line}" for n, line in enumerate(typed, 1)))
    return True


def run_quit(shell: ShellLike, text: str) -> bool:
    shell.leave()
    return True


def run_show(shell: ShellLike, text: str) -> bool:
    """Print the last helper table again, with the password typed at the no-echo prompt visible."""
    from tutor.helpers.render import render_lines

    if shell.hidden_result is None:
        shell.info(T("shell.mask.nothing-hidden"))
        return True
    shell.show_lines(render_lines(shell.hidden_result), unmasked=True)
    return True


def _on_off_words(view: Any, done: list[str]) -> list[str]:
    return ["on", "off"] if not done else []


register(from_data("help", run_help, complete=complete_help))
register(from_data("auth", run_auth, complete=complete_auth, redact=reg.redactor(_auth_parser, (2,)), data=ONLINE))
register(from_data("connect", run_connect, complete=complete_connect))
register(from_data("disconnect", run_disconnect, data=ONLINE))
register(from_data("starttls", run_starttls, data=ONLINE))
register(from_data("server", _setting("show_server"), complete=_on_off_words))
register(from_data("verbose", _setting("verbose"), complete=_on_off_words))
register(from_data("trace", run_trace, complete=lambda view, done: ["save"] if not done else ["--reveal"]))
register(from_data("history", run_history))
register(from_data("quit", run_quit))
register(reg.ReplCommand("show", T("shell.cmd.show.syntax"), T("shell.cmd.show.summary"), T("shell.cmd.show.help"),
                         run_show))
