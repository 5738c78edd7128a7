"""The `explain` helper: what an SMTP reply code (and enhanced status code) means, and where it is defined."""

from __future__ import annotations

import argparse

from tutor import explain, explain_codes
from tutor.helpers.result import Context, Result, ResultStep
from tutor.protocol import codes


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", nargs="+", help=explain.text("helpers.explain.code"))


def run(args: argparse.Namespace, ctx: Context) -> Result:
    code, enhanced = codes.parse_code_args(args.code)
    info = explain_codes.describe(code, enhanced)
    steps = [ResultStep(explain.text("helpers.label.code"), str(code), f"{info.meaning} ({info.rfc})")]
    if info.enhanced:
        steps.append(ResultStep(explain.text("helpers.label.enhanced"), info.enhanced,
                                f"{info.enhanced_meaning} ({info.enhanced_rfc})"))
    for context in info.contexts:
        steps.append(ResultStep(explain.text("helpers.label.context"), context.when,
                                f"{context.meaning} ({context.rfc})"))
    result = info.explain or info.meaning
    return Result(explain_codes.one_line(code, enhanced), tuple(steps), result,
                  data={"code": code, "enhanced": info.enhanced, "meaning": info.meaning, "rfc": info.rfc})
