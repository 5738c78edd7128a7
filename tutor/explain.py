"""Turns (key, params) notes into words; all teaching prose lives in tutor/data/*.toml (convention 8).

Each TOML file in tutor/data is a namespace named after the file: `codes.toml` holds keys `codes.<...>`.
A key points at a string (a str.format template) or at a table with a `text` entry.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(namespace: str) -> dict[str, Any]:
    """The parsed tutor/data/<namespace>.toml, cached; an empty dict if there is no such file."""
    try:
        raw = resources.files("tutor.data").joinpath(f"{namespace}.toml").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return tomllib.loads(raw)


def lookup(key: str) -> Any:
    """The raw value at a dotted key such as `notes.cram.challenge`, or None."""
    namespace, _, rest = key.partition(".")
    node: Any = load(namespace)
    for part in rest.split(".") if rest else []:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class _Missing(dict):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def text(key: str, /, **params: Any) -> str:
    """The words for a key with params filled in; the key itself (plus params) if no words exist yet."""
    value = lookup(key)
    if isinstance(value, dict):
        value = value.get("text")
    if not isinstance(value, str):
        extra = " ".join(f"{k}={v}" for k, v in params.items())
        return f"{key} {extra}".strip()
    return value.strip().format_map(_Missing(params))


@dataclass(frozen=True)
class Note:
    """A tutor note as code emits it: a key into the data files, its params, and who is speaking.

    `source` is "tutor" (advice to the learner) or "server" (the simulator's reasoning, shown with
    `:server on`). `secret` marks notes that reveal a password, so transcripts can redact them.
    """

    key: str
    params: dict = field(default_factory=dict)
    source: str = "tutor"
    secret: bool = False

    def text(self) -> str:
        return text(self.key, **self.params)
