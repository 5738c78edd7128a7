"""Line numbers for lesson-file problems: which line of the TOML text a `where: what` problem is about (the key's
line in its step's `[[steps]]` block, in `[sim]`, or at the top), so `lesson --check` can say `file:LINE: ...`."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_FIRST = re.compile(r"^([a-z_]+)")
_UNKNOWN = re.compile(r"^unknown key '([^']+)'")
_FAIL = re.compile(r"^fail(?:\.([A-Za-z0-9_-]+))?:")
_TOML_LINE = re.compile(r"\(at line (\d+)")
WORD_KEYS = {"account": "accounts", "prerequisite": "prerequisites", "uses": "say", "placeholder": "say"}


def _headers(lines: list[str]) -> list[tuple[int, str, bool]]:
    """(index, table name, is an array of tables) of every table header line."""
    found = []
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            found.append((index, match.group(2).replace('"', "").replace(" ", ""), match.group(1) == "[["))
    return found


def _region(lines: list[str], where: str, step: int | None) -> tuple[int, int]:
    """[start, end) line indexes of the part of the file a problem is about."""
    headers = _headers(lines)
    if step is not None:
        steps = [index for index, name, array in headers if array and name == "steps"]
        if step < len(steps):
            start = steps[step]
            after = [index for index, name, _ in headers if index > start and not name.startswith("steps.")]
            return start, after[0] if after else len(lines)
    if where == "sim":
        for index, name, _ in headers:
            if name == "sim":
                after = [i for i, other, _ in headers if i > index and not other.startswith("sim.")]
                return index, after[0] if after else len(lines)
    return 0, headers[0][0] if headers else len(lines)


def _key(what: str) -> list[str]:
    """The keys a problem is about, most precise first."""
    unknown = _UNKNOWN.match(what)
    if unknown:
        return [unknown.group(1)]
    fail = _FAIL.match(what)
    if fail:
        return [fail.group(1), "fail"] if fail.group(1) else ["fail"]
    first = _KEY_FIRST.match(what)
    word = first.group(1) if first else ""
    return [WORD_KEYS.get(word, word)] if word else []


def line_of(text: str, where: str, what: str, step: int | None) -> int:
    """The 1-based line a problem is about (the start of its block when the key is not written in it)."""
    if where == "toml":
        found = _TOML_LINE.search(what)
        return int(found.group(1)) if found else 1
    lines = text.splitlines()
    start, end = _region(lines, where, step)
    for key in _key(what):
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=|^\s*\[\[?\s*(?:steps\.|){re.escape(key)}\s*\]')
        for index in range(start, min(end, len(lines))):
            if pattern.match(lines[index]):
                return index + 1
    if where == "lesson":
        for index, name, _ in _headers(lines):
            if _key(what) and name == _key(what)[0]:
                return index + 1
    return start + 1
