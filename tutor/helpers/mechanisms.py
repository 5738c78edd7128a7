"""The `plain`, `login` and `cram` helpers: build a mechanism's client response by hand, every step shown."""

from __future__ import annotations

import argparse

from tutor import escapes, explain
from tutor.errors import InputError
from tutor.helpers.result import Context, Result, ResultStep, from_sasl
from tutor.protocol import auth, b64
from tutor.sasl import cram_md5, login, plain


def _password(given: str | None, user: str, ctx: Context) -> str:
    if given is not None:
        return given
    return ctx.ask_password(explain.text("helpers.ask-password", user=user))


def configure_plain(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help=explain.text("helpers.arg.user"))
    parser.add_argument("password", nargs="?", help=explain.text("helpers.arg.password"))
    parser.add_argument("--authzid", default="", help=explain.text("helpers.arg.authzid"))


def run_plain(args: argparse.Namespace, ctx: Context) -> Result:
    password = _password(args.password, args.user, ctx)
    message = plain.build(args.user, password, args.authzid)
    encoded = b64.encode(message)
    steps = from_sasl(plain.steps(args.user, password, args.authzid)) + (
        ResultStep(explain.text("helpers.label.base64"), encoded, explain.text("helpers.plain.base64")),
        ResultStep(explain.text("helpers.label.command"), auth.auth_command("PLAIN", message),
                   explain.text("helpers.plain.command")),
    )
    return Result(explain.text("helpers.plain.title"), steps, encoded,
                  data={"mechanism": "PLAIN", "base64": encoded, "authzid": args.authzid, "authcid": args.user})


def configure_login(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help=explain.text("helpers.arg.user"))
    parser.add_argument("password", nargs="?", help=explain.text("helpers.arg.password"))


def run_login(args: argparse.Namespace, ctx: Context) -> Result:
    if not args.user:
        raise InputError(explain.text("shell.login.empty-user"))
    password = _password(args.password, args.user, ctx)
    if not password:
        raise InputError(explain.text("shell.login.empty-password"))
    user64, pass64 = b64.encode(args.user.encode("utf-8")), b64.encode(password.encode("utf-8"))
    prompt_user, prompt_pass = login.PROMPTS[login.DEFAULT_WORDING]
    steps = (
        ResultStep(explain.text("helpers.label.server-asks"), f"334 {b64.encode(prompt_user)}",
                   explain.text("helpers.login.prompt", prompt=escapes.show(prompt_user))),
        ResultStep(explain.text("helpers.label.you-send"), user64, explain.text("helpers.login.user", user=args.user)),
        ResultStep(explain.text("helpers.label.server-asks"), f"334 {b64.encode(prompt_pass)}",
                   explain.text("helpers.login.prompt", prompt=escapes.show(prompt_pass))),
        ResultStep(explain.text("helpers.label.you-send"), pass64, explain.text("helpers.login.password"), True),
    )
    return Result(explain.text("helpers.login.title"), steps, f"{user64}\n{pass64}",
                  warnings=(explain.text("helpers.login.obsolete"),),
                  data={"mechanism": "LOGIN", "username_base64": user64, "password_base64": pass64})


def configure_cram(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", nargs="+", metavar="USER [PASSWORD] [CHALLENGE]",
                        help=explain.text("helpers.cram.words"))
    parser.add_argument("--challenge", help=explain.text("helpers.cram.challenge-option"))


def parse_challenge(text: str) -> bytes:
    """A challenge as typed: raw `<...>` (escapes allowed), a `334 ...` line, or base64."""
    stripped = text.strip()
    if stripped.startswith("334"):
        stripped = stripped[3:].strip()
    if stripped.startswith("<"):
        return escapes.parse(stripped)
    data = b64.decode(stripped)
    if not data.startswith(b"<"):
        raise InputError(f"not a CRAM-MD5 challenge: it decodes to '{escapes.show(data)}', expected "
                         "<digits.timestamp@host> (RFC 2195 §2)")
    return data


def _looks_like_challenge(word: str) -> bool:
    try:
        return parse_challenge(word).startswith(b"<")
    except InputError:
        return False


def _cram_words(args: argparse.Namespace, ctx: Context) -> tuple[str, str | None, bytes]:
    words = list(args.words)
    if args.challenge is not None:
        words.append(args.challenge)
    if len(words) > 3:
        raise InputError("cram takes USER [PASSWORD] CHALLENGE: too many words (quote a password with spaces)")
    if len(words) == 3:
        return words[0], words[1], parse_challenge(words[2])
    if len(words) == 2 and _looks_like_challenge(words[1]):
        return words[0], None, parse_challenge(words[1])
    challenge = ctx.last_challenge if ctx.mechanism.upper() in ("", "CRAM-MD5") else None
    if challenge is None:      # never read a password as a challenge: say where the challenge comes from
        key = "shell.cram.no-challenge-shell" if ctx.in_shell else "shell.cram.no-challenge-cli"
        raise InputError(explain.text(key, user=words[0]))
    return words[0], words[1] if len(words) == 2 else None, challenge


def run_cram(args: argparse.Namespace, ctx: Context) -> Result:
    user, given, challenge = _cram_words(args, ctx)
    password = _password(given, user, ctx)
    answer = cram_md5.response(user, password, challenge)
    encoded = b64.encode(answer)
    steps = from_sasl(cram_md5.steps(user, password, challenge)) + (
        ResultStep(explain.text("helpers.label.base64"), encoded, explain.text("helpers.cram.base64")),)
    warnings = tuple(explain.text(p, chars=" ".join(cram_md5.control_chars(challenge)))
                     for p in cram_md5.check_challenge(challenge))
    return Result(explain.text("helpers.cram.title"), steps, encoded, warnings,
                  data={"mechanism": "CRAM-MD5", "challenge": escapes.show(challenge), "user": user,
                        "digest": cram_md5.digest(password.encode("utf-8"), challenge), "base64": encoded})
