"""The `scram`, `xoauth2`, `oauthbearer` and `token` helpers.

SCRAM's client side walked step by step (from the REPL's last exchange or pasted messages), the two
bearer-token messages, and the simulator's lab tokens.
"""

from __future__ import annotations

import argparse

from tutor import explain
from tutor.errors import InputError
from tutor.helpers.result import Context, Result, ResultStep, from_sasl
from tutor.protocol import auth, b64
from tutor.sasl import oauthbearer, scram, tokens, xoauth2
from tutor.sasl.base import Credentials, step_bytes
from tutor.sasl.scram_keys import hash_name

T = explain.text
_RAW_STARTS = ("n,", "y,", "p=", "r=", "m=", "c=", "v=", "e=")


def _secret(given: str | None, user: str, ctx: Context, key: str = "helpers.ask-password") -> str:
    return given if given is not None else ctx.ask_password(T(key, user=user))


# ---- scram ---------------------------------------------------------------------------------------------

def configure_scram(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help=T("helpers.arg.user"))
    parser.add_argument("password", nargs="?", help=T("helpers.arg.password"))
    parser.add_argument("--hash", choices=("SHA-1", "SHA-256"), help=T("helpers.scram.hash"))
    parser.add_argument("--nonce", help=T("helpers.scram.nonce"))
    parser.add_argument("--client-first", metavar="MSG", help=T("helpers.scram.client-first"))
    parser.add_argument("--server-first", metavar="MSG", help=T("helpers.scram.server-first"))
    parser.add_argument("--server-final", metavar="MSG", help=T("helpers.scram.server-final"))


def message(text: str) -> bytes:
    """A SCRAM message as typed: the raw text (`r=...`), a `334 ...` line, or base64."""
    stripped = text.strip().removeprefix("334").strip()
    if stripped.startswith(_RAW_STARTS):
        return stripped.encode("utf-8")
    return b64.decode(stripped)


def _hash(args: argparse.Namespace, ctx: Context) -> str:
    if args.hash:
        return args.hash
    mechanism = (ctx.mechanism or "").upper()
    return hash_name(mechanism) if mechanism.startswith("SCRAM-") else "SHA-256"


def run_scram(args: argparse.Namespace, ctx: Context) -> Result:
    hash_ = _hash(args, ctx)
    first, server_first, final = scram.last_exchange(ctx.auth_messages)
    if args.client_first:
        first, server_first, final = message(args.client_first), None, None
    if args.server_first:
        server_first, final = message(args.server_first), None
    if args.server_final:
        final = message(args.server_final)
    if server_first is None:
        if args.client_first:
            raise InputError(T("helpers.scram.need-server-first"))
        return _client_first(args.user, hash_, args.nonce)
    if first is None:
        raise InputError(T("helpers.scram.need-client-first"))
    return _client_final(args, ctx, hash_, first, server_first, final)


def _client_first(user: str, hash_: str, nonce: str | None) -> Result:
    client = scram.ScramClient(Credentials(user, ""), hash_, c_nonce=nonce)
    data = client.initial_response()
    encoded = b64.encode(data)
    name = scram.mechanism_name(hash_)
    steps = from_sasl(client.steps()) + (
        ResultStep(T("helpers.label.base64"), encoded, T("helpers.scram.first-base64")),
        ResultStep(T("helpers.label.command"), auth.auth_command(name, data), T("helpers.scram.command")))
    return Result(T("helpers.scram.title-first", mechanism=name), steps, encoded,
                  data={"mechanism": name, "client_first": data.decode("utf-8"), "base64": encoded})


def _client_final(args: argparse.Namespace, ctx: Context, hash_: str, first: bytes, server_first: bytes,
                  final: bytes | None) -> Result:
    attrs = scram.parse_message(first)
    if attrs["kind"] != "client-first":
        raise InputError(T("helpers.scram.need-client-first"))
    warnings = []
    if attrs["n"] != args.user:
        warnings.append(T("helpers.scram.other-user", user=attrs["n"], typed=args.user))
    password = _secret(args.password, attrs["n"], ctx)
    steps = scram.steps(password, first, server_first, hash_, final)
    client_final = step_bytes(steps, "scram.step.client-final")
    encoded = b64.encode(client_final)
    name = scram.mechanism_name(hash_)
    shown = from_sasl(steps) + (ResultStep(T("helpers.label.base64"), encoded, T("helpers.scram.final-base64")),)
    result, verdict = encoded, "sent"
    if final is not None:
        verified = steps[-1].note == "scram.note.server-verified"
        verdict = "verified" if verified else "refused"
        result = T(f"helpers.scram.{verdict}")
    return Result(T("helpers.scram.title-final", mechanism=name), shown, result, tuple(warnings),
                  data={"mechanism": name, "client_final": client_final.decode("utf-8"), "base64": encoded,
                        "server": verdict})


# ---- xoauth2 / oauthbearer / token ---------------------------------------------------------------------

def configure_xoauth2(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help=T("helpers.arg.user"))
    parser.add_argument("token", nargs="?", help=T("helpers.arg.token"))


def configure_oauthbearer(parser: argparse.ArgumentParser) -> None:
    configure_xoauth2(parser)
    parser.add_argument("--host", default="", help=T("helpers.oauthbearer.host"))
    parser.add_argument("--port", type=int, help=T("helpers.oauthbearer.port"))


def _bearer_result(name: str, data: bytes, steps: list, extra: dict) -> Result:
    encoded = b64.encode(data)
    shown = from_sasl(steps) + (
        ResultStep(T("helpers.label.base64"), encoded, T("helpers.bearer.base64"), True),
        ResultStep(T("helpers.label.command"), auth.auth_command(name, data), T("helpers.bearer.command"), True))
    return Result(T(f"helpers.{name.lower()}.title"), shown, encoded, (T("helpers.bearer.replayable"),),
                  data={"mechanism": name, "base64": encoded, **extra})


def run_xoauth2(args: argparse.Namespace, ctx: Context) -> Result:
    token = _secret(args.token, args.user, ctx, "helpers.ask-token")
    return _bearer_result("XOAUTH2", xoauth2.build(args.user, token), xoauth2.steps(args.user, token),
                          {"user": args.user})


def run_oauthbearer(args: argparse.Namespace, ctx: Context) -> Result:
    token = _secret(args.token, args.user, ctx, "helpers.ask-token")
    data = oauthbearer.build(args.user, token, args.host, args.port)
    return _bearer_result("OAUTHBEARER", data, oauthbearer.steps(args.user, token, args.host, args.port),
                          {"user": args.user, "host": args.host, "port": args.port})


def configure_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help=T("helpers.token.user"))


def run_token(args: argparse.Namespace, ctx: Context) -> Result:
    token = tokens.issue(args.user)
    steps = (ResultStep(T("helpers.label.user"), args.user, T("helpers.token.how")),
             ResultStep(T("helpers.label.token"), token, T("helpers.token.bearer"), True))
    return Result(T("helpers.token.title"), steps, token, (T("helpers.token.lab-only"),),
                  data={"user": args.user, "token": token})
