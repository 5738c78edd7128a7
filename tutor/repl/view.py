"""A small read-only snapshot of the shell for the completer, toolbar and key bindings (convention 12)."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.protocol.states import State

OFFLINE = "offline"


@dataclass(frozen=True)
class ReplView:
    """What the narrow REPL parts may know about the connection."""

    target: str = ""
    connected: bool = False
    state: State | None = None
    line_kind: str = OFFLINE             # offline | command | auth-response | message
    tls_version: str = ""                # "" when not in TLS
    authenticated: bool = False
    mechanism: str = ""                  # of the AUTH exchange in progress or done
    last_reply: str = ""                 # e.g. "235 2.7.0"
    advertised: tuple[str, ...] = ()     # AUTH mechanisms from the last EHLO
    lesson: str = ""                     # the running lesson's status line, if any
    insecure: bool = False               # a live server whose certificate is not checked (--insecure)

    @property
    def tls(self) -> bool:
        return bool(self.tls_version)
