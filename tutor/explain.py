"""Turns (key, params) notes into words; all teaching prose lives in tutor/data/*.toml (convention 8).

Each TOML file in tutor/data is a namespace named after the file: `codes.toml` holds keys `codes.<...>`.
A key points at a string (a str.format template) or at a table with a `text` entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tutor import prose_cache

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@cache
def load(namespace: str) -> dict[str, Any]:
    """The parsed tutor/data/<namespace>.toml, cached (in memory, and on disk by tutor.prose_cache); an empty
    dict if there is no such file."""
    path = os.path.join(_DATA, f"{namespace}.toml")
    if not os.path.isfile(path):   # not a plain directory (a zip, say): read it through importlib.resources
        return _from_resources(namespace)
    return read_toml(path, namespace)


def read_toml(path: str, name: str) -> dict[str, Any]:
    """A TOML file's contents: from the prose cache when it matches the file, else parsed (and then cached)."""
    data = prose_cache.read(name, path)
    if data is None:
        import tomllib  # ~10 ms to import, and parsing costs more: only when the cache cannot answer

        with open(path, "rb") as source:
            data = tomllib.load(source)
        prose_cache.write(name, path, data)
    return data


def _from_resources(namespace: str) -> dict[str, Any]:
    import tomllib
    from importlib import resources

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
