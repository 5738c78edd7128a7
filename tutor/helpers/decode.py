"""The `decode` helper: recognise a 334 line, an AUTH command, a log line or a bare base64 blob, and explain it."""

from __future__ import annotations

import argparse
import re

from tutor import escapes, explain
from tutor.errors import InputError
from tutor.helpers.result import Context, Result, ResultStep
from tutor.protocol import auth, b64
from tutor.sasl.identify import Identified, identify

_PREFIX = re.compile(r"^\s*(?:[CS]:|<-|->|<~|~>|<\*\*|\*\*>|send:|reply:|[<>])\s*", re.IGNORECASE)
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", help=explain.text("helpers.decode.text"))
    parser.add_argument("--mechanism", default="", help=explain.text("helpers.decode.mechanism"))


def run(args: argparse.Namespace, ctx: Context) -> Result:
    return decode_text(" ".join(args.text), args.mechanism)


def decode_text(text: str, mechanism: str = "") -> Result:
    """Work out what a pasted line is and decode it."""
    line = _PREFIX.sub("", text.strip()).strip().strip("'\"")
    if not line:
        raise InputError("nothing to decode: paste a 334 line, an AUTH command or a base64 blob")
    words = line.split()
    if words[0] == "334":
        return _explain(line, "line-challenge", words[1] if len(words) > 1 else "", mechanism, True)
    if words[0].upper() == "AUTH" and len(words) >= 2:
        initial = words[2] if len(words) > 2 else None
        return _auth_command(line, words[1].upper(), initial)
    if len(words) == 1:
        return _explain(line, "line-blob", words[0], mechanism, None)
    token = _last_base64(words)
    if token is None:
        raise InputError("not recognised: expected a `334 ...` line, `AUTH MECH [response]`, a base64 blob, "
                         "or a log line that ends in base64")
    return _explain(line, "line-log", token, mechanism, None)


def _last_base64(words: list[str]) -> str | None:
    for word in reversed(words):
        token = word.strip(".,;:()[]'\"")
        if _B64_TOKEN.fullmatch(token) and b64.looks_like(token):
            return token
    return None


def _auth_command(line: str, mech: str, initial: str | None) -> Result:
    if initial is None:
        steps = (ResultStep(explain.text("helpers.label.command"), line, explain.text("helpers.decode.no-initial")),)
        return Result(explain.text("helpers.decode.title"), steps, explain.text("helpers.decode.auth-only", mech=mech),
                      data={"kind": "auth-command", "mechanism": mech})
    if initial == auth.EMPTY_RESPONSE:
        steps = (ResultStep(explain.text("helpers.label.command"), line, explain.text("helpers.decode.equals")),)
        return Result(explain.text("helpers.decode.title"), steps, explain.text("identify.kind.empty"),
                      data={"kind": "empty", "mechanism": mech})
    return _explain(line, "line-auth", initial, mech, False)


def _explain(line: str, what: str, token: str, mechanism: str, from_server: bool | None) -> Result:
    data = b64.decode(token) if token else b""
    found = identify(data, mechanism, from_server)
    steps = [ResultStep(explain.text("helpers.label.line"), line, explain.text(f"helpers.decode.{what}")),
             ResultStep(explain.text("helpers.label.decoded"), escapes.show(data),
                        explain.text("helpers.b64.not-encryption"))]
    steps.extend(_field_steps(found))
    warnings = tuple(explain.text(p, chars=_controls(data)) for p in found.problems)
    summary = explain.text(f"identify.kind.{found.kind}")
    return Result(explain.text("helpers.decode.title"), tuple(steps), summary, warnings,
                  data={"kind": found.kind, "mechanism": found.mechanism, "decoded": escapes.show(data),
                        "fields": {f.label: _shown(f.value) for f in found.fields}})


def _field_steps(found: Identified) -> list[ResultStep]:
    note = explain.text("helpers.decode.secret-in-clear")
    return [ResultStep(explain.text(f"identify.field.{f.label}"), _shown(f.value), note if f.secret else "", f.secret)
            for f in found.fields]


def _shown(value: bytes | str) -> str:
    return escapes.show(value) if isinstance(value, bytes) else value


def _controls(data: bytes) -> str:
    return " ".join(escapes.show(bytes([b])) for b in data if b < 32 or b == 127)
