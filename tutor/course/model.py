"""The lesson model: a Lesson (metadata, simulator set-up, steps), a Step and its semantic Check (data only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

LEVELS = ("beginner", "intermediate", "advanced")
DEFAULT_USER = "tim"
DEFAULT_ACCOUNTS = ("tim:tanstaaftanstaaf", "demo:demo")   # the simulator's built-in accounts


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Check:
    """What the learner must do, said semantically: a kind from tutor.course.checks.CHECKS and its params."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=_frozen)

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclass(frozen=True)
class Step:
    """One step: the narrative, the task, the check, the reply expected, the explanation, hints, the solution.

    `reply` lists the reply codes that must answer the learner's line on the simulator, `reply_live` on a
    live server (None: the same as `reply`; empty: anything). `fail` overrides the words of a check's
    failure keys; `solution` holds the line(s) the demo plays (templates, see tutor.course.facts).
    """

    id: str
    title: str
    say: str
    task: str
    check: Check
    explain: str = ""
    explain_live: str = ""
    hints: tuple[str, ...] = ()
    fail: Mapping[str, str] = field(default_factory=_frozen)
    solution: tuple[str, ...] = ()
    reply: tuple[int, ...] = ()
    reply_live: tuple[int, ...] | None = None

    def expected_replies(self, live: bool) -> tuple[int, ...]:
        """The reply codes that complete this step (empty: any reply, or none)."""
        if live and self.reply_live is not None:
            return self.reply_live
        return self.reply

    def explanation(self, live: bool) -> str:
        return self.explain_live if live and self.explain_live else self.explain

    @property
    def reading(self) -> bool:
        """A step with nothing to type: the learner reads it and goes on with `:lesson next`."""
        return self.check.kind == "continue"


@dataclass(frozen=True)
class SimSetup:
    """How the built-in simulator is set up for a lesson (tutor.sim.server.SimServer's options)."""

    profile: str = "lab"
    accounts: tuple[str, ...] = DEFAULT_ACCOUNTS   # NAME:PASSWORD
    user: str = DEFAULT_USER                       # the account the learner logs in with
    challenge: bytes | None = None                 # a pinned CRAM-MD5 challenge (raw, before base64)
    seed: int = 0                                  # seeds the simulator's rng, so fresh challenges repeat
    clock: float | None = None                     # a pinned clock (Unix seconds) for challenge timestamps

    def password(self) -> str:
        """The password of `user` among `accounts`."""
        for spec in self.accounts:
            name, _, secret = spec.partition(":")
            if name == self.user:
                return secret
        return ""


@dataclass(frozen=True)
class Lesson:
    """A lesson as loaded from lessons/NN-slug.toml; `id` is the file's stem, e.g. `05-cram-md5`."""

    id: str
    title: str
    summary: str
    level: str
    minutes: int
    prerequisites: tuple[str, ...]
    sim: SimSetup
    steps: tuple[Step, ...]
    path: str = ""
    simulator_only: bool = False   # needs what only the simulator has (its lab tokens): no live server

    @property
    def number(self) -> int:
        head = self.id.split("-", 1)[0]
        return int(head) if head.isdigit() else 0

    @property
    def slug(self) -> str:
        head, _, rest = self.id.partition("-")
        return rest if head.isdigit() and rest else self.id

    def names(self) -> tuple[str, ...]:
        """Every name `:lesson start NAME` accepts for this lesson: id, slug, number."""
        out = [self.id, self.slug]
        if self.number:
            out += [str(self.number), f"{self.number:02d}"]
        return tuple(out)

    def step_index(self, step_id: str) -> int:
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)
