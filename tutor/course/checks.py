"""The semantic check kinds a lesson step can use: CHECKS, a plain dict from name to CheckKind (convention 6).

Each check takes (params, attempt, credentials) and returns Pass, Fail(key) or Wait. To add one, write the
function in the module for its subject and list it in that module's KINDS; lessons/README.md documents them.
"""

from __future__ import annotations

from tutor.course import checks_auth, checks_helper, checks_sasl, checks_scram_bearer, checks_smtp
from tutor.course.checkbase import ANY, COMMON_FAILS, HELPER, NOTHING, WIRE, CheckKind, Fail, Outcome, Param, Pass, Wait

CHECKS: dict[str, CheckKind] = {}


def register(kind: CheckKind) -> CheckKind:
    """Add a check kind under its name; a name may be used once."""
    if kind.name in CHECKS:
        raise ValueError(f"check kind {kind.name!r} is already registered")
    CHECKS[kind.name] = kind
    return kind


for _module in (checks_smtp, checks_auth, checks_sasl, checks_helper, checks_scram_bearer):
    for _kind in _module.KINDS:
        register(_kind)


__all__ = [
    "ANY",
    "CHECKS",
    "COMMON_FAILS",
    "HELPER",
    "NOTHING",
    "WIRE",
    "CheckKind",
    "Fail",
    "Outcome",
    "Param",
    "Pass",
    "Wait",
    "register",
]
