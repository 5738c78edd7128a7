"""The simulated SMTP submission server: teaching profiles, accounts, deterministic challenges, notes.

Names are loaded on first use (PEP 562), so `tutor.sim.profiles` can be read without the whole server.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Accounts": "tutor.sim.accounts", "Output": "tutor.sim.output", "TranscriptLine": "tutor.sim.output",
    "DEFAULT_PROFILE": "tutor.sim.profiles", "PROFILES": "tutor.sim.profiles", "Profile": "tutor.sim.profiles",
    "SimServer": "tutor.sim.server", "get_profile": "tutor.sim.server", "MaildirSink": "tutor.sim.sink",
    "Message": "tutor.sim.sink", "Sink": "tutor.sim.sink",
    "DEFAULT_MAX_AUTH_FAILURES": "tutor.sim.profiles", "LESSON_MAX_AUTH_FAILURES": "tutor.sim.profiles",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - the lazily imported names (module __getattr__)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tutor.sim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
