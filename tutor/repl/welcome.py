"""What the shell says when it opens on the simulator, and the lab accounts `:help` lists.

Both come from the simulator itself (its profile's mechanisms, its account table), so the hint never
suggests a mechanism the profile does not offer (legacy-2002 has no PLAIN) and never names an account it lacks.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from tutor import explain
from tutor.sim.profiles import DEFAULT_PROFILE

if TYPE_CHECKING:
    from tutor.interfaces import SessionLike

T = explain.text
SUGGESTED = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")   # the first two a profile offers are suggested, in this order
MAX_SHOWN = 4                                          # accounts named (a `serve --users` file may hold many)
# What tutor.sasl.registry.names(offered_only=True) gives, known here without importing tutor.sasl: that imports
# every mechanism (~10 ms) and the welcome is shown at start-up (docs/PERFORMANCE.md); once tutor.sasl is loaded the
# registry itself answers. tests/test_repl_welcome.py keeps the two equal.
REGISTRY_OFFERED = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER")


def accounts_text(server: Any = None) -> str:
    """`tim / tanstaaftanstaaf, demo / demo`: a simulator's accounts, or the built-in ones."""
    if server is None or getattr(server, "accounts", None) is None:
        from tutor.sim.accounts import Accounts
        accounts = Accounts.default()
    else:
        accounts = server.accounts
    return ", ".join(f"{name} / {accounts.lookup(name)}" for name in accounts.names[:MAX_SHOWN])


def _suggestion(mechanisms: tuple[str, ...]) -> str:
    chosen = [f"AUTH {m}" for m in ([m for m in SUGGESTED if m in mechanisms][:2] or list(mechanisms[:2]))]
    return T("shell.welcome.either", first=chosen[0], second=chosen[1]) if len(chosen) == 2 else "".join(chosen)


def offered(profile: Any, tls: bool) -> tuple[str, ...]:
    """The profile's `offered(tls)`, without importing tutor.sasl for a profile that offers the registry's list."""
    chosen = profile.mechanisms if tls else profile.clear_mechanisms
    if chosen is not None or "tutor.sasl.registry" in sys.modules:
        return profile.offered(tls)
    return REGISTRY_OFFERED


def next_step(profile: Any) -> str:
    """What to try after EHLO on this profile: AUTH in clear where it is offered, else STARTTLS first."""
    clear = offered(profile, False)
    if clear:
        return T("shell.welcome.next-clear", auth=_suggestion(clear))
    return T("shell.welcome.next-tls", auth=_suggestion(offered(profile, True)))


def sim_welcome(session: SessionLike) -> str:
    """The greeting hint for a simulator session (its profile and accounts)."""
    server = getattr(session.transport, "server", None)
    profile = getattr(server, "profile", None)
    if profile is None:
        return T("repl.welcome", target=session.target)
    key = "shell.welcome.sim-impostor" if profile.impostor else "shell.welcome.sim"
    summary = "" if profile.name == DEFAULT_PROFILE else profile.summary + " "   # the default needs no introduction
    return T(key, target=session.target, summary=summary, next=next_step(profile),
             accounts=accounts_text(server))
