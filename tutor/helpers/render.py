"""Renders a helper Result as (kind, text) lines for a terminal or as JSON."""

from __future__ import annotations

import json

from tutor.helpers.result import Result


LABEL_WIDTH = 16


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
