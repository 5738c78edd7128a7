"""What a helper returns: labelled steps, the result, warnings, and JSON-ready data; and what it may ask for."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tutor import escapes, explain
from tutor.errors import InputError
from tutor.sasl.base import Step


@dataclass(frozen=True)
class ResultStep:
    """One line of working: a label, the value shown, and an optional explanation."""

    label: str
    value: str
    note: str = ""
    secret: bool = False


@dataclass(frozen=True)
class Result:
    """A helper's answer: steps first, then the result; `data` is what --json prints."""

    title: str
    steps: tuple[ResultStep, ...] = ()
    result: str = ""
    warnings: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)


def no_password(prompt: str) -> str:
    """The default asker: a helper here does no I/O, so the caller (CLI or REPL) passes one that can ask."""
    raise InputError("a password is needed: give it as an argument, or run in a terminal to be asked for it")


@dataclass
class Context:
    """What a helper may use besides its arguments."""

    ask_password: Callable[[str], str] = no_password   # the edge's way of asking (tutor.cli.password)
    last_challenge: bytes | None = None      # the REPL's last 334 challenge, decoded
    auth_messages: tuple = ()                # the REPL's last AUTH exchange: ("C" | "S", decoded bytes), in order
    mechanism: str = ""                      # its mechanism
    in_shell: bool = False                   # run as a `:` command (else `smtp-tutor HELPER` on the command line)

    @classmethod
    def of_session(cls, session: object, ask_password: Callable[[str], str]) -> Context:
        """What a helper may know of a tutor.session.Session's AUTH exchange (None: no session)."""
        auth = getattr(session, "auth", None)
        if auth is None:
            return cls(ask_password=ask_password, in_shell=True)
        return cls(ask_password, auth.last_challenge, tuple(getattr(auth, "messages", ())), auth.mechanism or "",
                   in_shell=True)


def show_value(value: bytes | str) -> str:
    """A step value for display: bytes with escapes made visible."""
    return escapes.show(value) if isinstance(value, bytes) else value


def from_sasl(steps: Iterable[Step]) -> tuple[ResultStep, ...]:
    """Turn a mechanism's teaching steps (keys) into words."""
    out = []
    for step in steps:
        note = explain.text(step.note, **step.params) if step.note else ""
        out.append(ResultStep(explain.text(step.label, **step.params), show_value(step.value), note, step.secret))
    return tuple(out)
