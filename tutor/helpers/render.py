"""Renders a helper Result as (kind, text) lines for a terminal or as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace

from tutor import escapes, explain
from tutor.helpers.result import Result

LABEL_WIDTH = 16
MIN_MASKED = 3      # a shorter secret is hidden only where it is a step's whole value (not inside words)


def render_lines(result: Result, quiet: bool = False) -> list[tuple[str, str]]:
    """`quiet` keeps only the result; kinds are heading, label, step, note, warning, result."""
    if quiet:
        return [("result", result.result)]
    lines: list[tuple[str, str]] = [("heading", result.title)]
    width = min(max((len(s.label) for s in result.steps), default=0), LABEL_WIDTH)
    for step in result.steps:
        if len(step.label) > width:      # a sentence-long label gets a line of its own
            lines.append(("label", step.label))
            lines.append(("step", f"{' ' * width}  {step.value}"))
        else:
            lines.append(("step", f"{step.label.ljust(width)}  {step.value}"))
        if step.note:
            lines.append(("note", f"{' ' * width}  ↳ {step.note}"))
    lines.extend(("warning", f"warning: {w}") for w in result.warnings)
    lines.append(("result", result.result))
    return lines


def render_text(result: Result, quiet: bool = False) -> str:
    return "\n".join(text for _, text in render_lines(result, quiet))


def render_json(result: Result) -> str:
    payload = {"title": result.title, "result": result.result, "warnings": list(result.warnings),
               "steps": [{"label": s.label, "value": s.value} for s in result.steps], **result.data}
    return json.dumps(payload, ensure_ascii=False, indent=2)


def masked(result: Result, secrets: Iterable[str]) -> Result:
    """The result with the given secrets (passwords typed at a no-echo prompt) hidden in its steps.

    The step values that show the secret as it is (the password, the PLAIN message, CRAM-MD5's key) lose it;
    the base64 and the result stay, since they are what the learner came for.
    """
    secrets = [s for s in secrets if s]
    steps = tuple(replace(step, value=hide(step.value, secrets)) for step in result.steps)
    return replace(result, steps=steps)


def hide(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret (as typed, and as shown with escapes) replaced by a marker; a secret shorter
    than MIN_MASKED only where it is the whole text, so `a` does not blank every word."""
    forms = {form for secret in secrets if secret for form in (secret, escapes.show(secret.encode("utf-8")))}
    hidden = explain.text("shell.mask.hidden")
    if text.strip() in forms:
        return text.replace(text.strip(), hidden)
    for form in sorted(forms, key=len, reverse=True):
        if len(form) >= MIN_MASKED:
            text = text.replace(form, hidden)
    return text
