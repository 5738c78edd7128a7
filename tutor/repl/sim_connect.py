"""`:connect sim[:PROFILE]`: opening the built-in simulator, without argparse or the command registry, so the
shell's start (which connects to it) imports neither."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutor import explain
from tutor.errors import InputError

if TYPE_CHECKING:
    from tutor.interfaces import ShellLike

T = explain.text


def is_sim(target: str) -> bool:
    return target == "sim" or target.startswith("sim:")


def connect(shell: ShellLike, target: str) -> bool:
    """Open `sim` or `sim:PROFILE`; remembered as what a bare `:connect` reconnects to, once it worked."""
    profile = target.partition(":")[2] or "lab"
    opener = lambda: open_sim(shell, profile)  # noqa: E731
    ok = stoppable(shell, opener, target) is not False
    shell.reconnect, shell.reconnect_target = opener, target   # only reached when it worked
    return ok


def stoppable(shell: ShellLike, opener: Any, target: str) -> Any:
    """Run `opener`; at a terminal, Ctrl-C while connecting is one error line and the REPL goes on offline."""
    try:
        return opener()
    except KeyboardInterrupt:
        if not shell.interactive:
            raise     # batch mode: Ctrl-C stops the whole script
        raise InputError(T("repl.err.connect-stopped", target=target)) from None


def profile_names() -> list[str]:
    from tutor.sim.profiles import PROFILES
    return list(PROFILES)


def open_sim(shell: ShellLike, profile: str) -> bool:
    from tutor.sim.profiles import canonical_name

    profile = canonical_name(profile)
    known = profile_names()
    if profile not in known:
        raise InputError(T("repl.err.unknown-profile", name=profile, known=", ".join(known)))
    from tutor.sim import SimServer
    from tutor.transport import memory

    shell.connect(memory.connect(SimServer, profile, **getattr(shell, "sim_options", {})))
    return True
