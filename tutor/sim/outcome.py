"""How one step of an AUTH exchange ended, as the simulator's AUTH side tells the session (tutor.sim.auth)."""

from __future__ import annotations

from typing import NamedTuple

CONTINUE, SUCCESS, FAILURE, CANCELLED, ERROR = "continue", "success", "failure", "cancelled", "error"
REFUSED = "refused"   # an error-code policy answered (454, 534, 538, 432: tutor.sim.policy); counted as neither


class Outcome(NamedTuple):
    """How a step of the exchange ended: CONTINUE (334 sent), SUCCESS (235), FAILURE (535), CANCELLED (501 to
    the client's `*`), ERROR (501/504: a malformed or refused command) or REFUSED (a policy's error code)."""

    kind: str
    user: str = ""
