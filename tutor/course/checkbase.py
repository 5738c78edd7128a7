"""The types every lesson check shares: its verdicts (Pass, Fail, Wait), its parameters and its registry entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tutor.course.facts import Credentials
from tutor.course.view import Attempt

WIRE, HELPER, NOTHING, ANY = "wire", "helper", "nothing", "any"

# Failure keys any check may return; their words are `course.fail.common.<key>`.
COMMON_FAILS = ("not-base64", "plain-text", "trailing-newline", "not-in-exchange", "unexpected-reply",
                "no-reply", "not-helper", "closed", "in-exchange")


@dataclass(frozen=True)
class Pass:
    """The learner did what the step asks. `note` is an optional `course.note.*` key worth showing."""

    note: str = ""
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Fail:
    """Not what the step asks; `key` picks the hint (a step's `fail` table, then course.toml)."""

    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """Nothing to judge: a line that neither does nor spoils the step (message text, a helper on the side)."""


Outcome = Pass | Fail | Wait


@dataclass(frozen=True)
class Param:
    """One parameter a check kind accepts in a lesson file: its name, its TOML type(s), whether required."""

    name: str
    types: tuple[type, ...]
    required: bool = False
    choices: tuple[Any, ...] = ()

    def problem(self, value: Any) -> str | None:
        """What is wrong with a value given in a lesson file, or None."""
        if isinstance(value, bool) and bool not in self.types:
            return f"{self.name} must be {self.type_words()}, not true/false"
        if not isinstance(value, self.types):
            return f"{self.name} must be {self.type_words()}"
        if isinstance(value, list) and not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            return f"{self.name} must be a list of strings"
        if self.choices and value not in self.choices:
            return f"{self.name} must be one of {', '.join(map(str, self.choices))}; got {value!r}"
        return None

    def type_words(self) -> str:
        words = {str: "a string", bool: "true or false", int: "a whole number", list: "a list"}
        return " or ".join(words.get(t, t.__name__) for t in self.types)


CheckFunction = Callable[[Mapping[str, Any], Attempt, Credentials], Outcome]


@dataclass(frozen=True)
class CheckKind:
    """A registry entry: the check's name, its function, its parameters and the failure keys it returns.

    `target` says what it judges: WIRE lines sent to the server, HELPER commands run in the tutor, ANY of
    both, or NOTHING (a reading step).
    """

    name: str
    run: CheckFunction
    params: tuple[Param, ...] = ()
    fails: tuple[str, ...] = ()
    target: str = WIRE

    def param(self, name: str) -> Param | None:
        for param in self.params:
            if param.name == name:
                return param
        return None
