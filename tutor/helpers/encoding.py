"""The `b64` helper: base64 encode text with escapes, decode base64 to visible bytes and a hex dump."""

from __future__ import annotations

import argparse

from tutor import escapes, explain
from tutor.errors import InputError
from tutor.helpers.result import Context, Result, ResultStep
from tutor.protocol import b64
from tutor.sasl import cram_md5


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("encode", "decode"), help=explain.text("helpers.b64.action"))
    parser.add_argument("text", help=explain.text("helpers.b64.text"))


def run(args: argparse.Namespace, ctx: Context) -> Result:
    return encode(args.text) if args.action == "encode" else decode(args.text)


def encode(text: str) -> Result:
    data = escapes.parse(text)
    encoded = b64.encode(data)
    steps = (
        ResultStep(explain.text("helpers.label.input"), escapes.show(data),
                   explain.text("helpers.b64.escapes") if "\\" in text else ""),
        ResultStep(explain.text("helpers.label.octets"), str(len(data))),
        ResultStep(explain.text("helpers.label.base64"), encoded, explain.text("helpers.b64.not-encryption")),
    )
    return Result(explain.text("helpers.b64.encode-title"), steps, encoded,
                  data={"input": escapes.show(data), "base64": encoded, "octets": len(data)})


def decode(text: str) -> Result:
    shown = escapes.show(text.strip().encode("utf-8", "replace"))
    try:
        data = b64.decode(text)
    except InputError:
        if b64.typed_as_is(text):     # `tim`: not a padding problem, the value itself
            raise InputError(explain.text("shell.b64.not-base64-word", text=shown)) from None
        raise
    hint = explain.text("shell.b64.maybe-encode", text=shown)
    shown = escapes.show(data)
    steps = [ResultStep(explain.text("helpers.label.base64"), text.strip()),
             ResultStep(explain.text("helpers.label.octets"), str(len(data))),
             ResultStep(explain.text("helpers.label.decoded"), shown, explain.text("helpers.b64.not-encryption"))]
    dump = [] if escapes.is_printable(data) else escapes.hexdump(data)
    steps.extend(ResultStep(explain.text("helpers.label.hex") if i == 0 else "", line) for i, line in enumerate(dump))
    warnings = tuple(explain.text(p, chars=" ".join(cram_md5.control_chars(data)))
                     for p in (cram_md5.check_challenge(data) if data.startswith(b"<") else []))
    warnings += (hint,) if b64.typed_as_is(text) else ()     # `demo` decodes, to stray bytes
    return Result(explain.text("helpers.b64.decode-title"), tuple(steps), shown, warnings,
                  data={"decoded": shown, "hex": data.hex(), "octets": len(data)})
