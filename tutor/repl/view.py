"""A small read-only snapshot of the shell for the completer, toolbar and key bindings (convention 12)."""

from __future__ import annotations

from tutor.protocol.record import Record, _set
from tutor.protocol.states import State

OFFLINE = "offline"


class ReplView(Record):
    """What the narrow REPL parts may know about the connection."""

    __slots__ = ("target", "connected", "state", "line_kind", "tls_version", "authenticated", "mechanism",
                 "last_reply", "advertised", "lesson", "insecure")
    target: str
    connected: bool
    state: State | None
    line_kind: str                       # offline | command | auth-response | message
    tls_version: str                     # "" when not in TLS
    authenticated: bool
    mechanism: str                       # of the AUTH exchange in progress or done
    last_reply: str                      # e.g. "235 2.7.0"
    advertised: tuple[str, ...]          # AUTH mechanisms from the last EHLO
    lesson: str                          # the running lesson's status line, if any
    insecure: bool                       # a live server whose certificate is not checked (--insecure)

    def __init__(self, target: str = "", connected: bool = False, state: State | None = None, line_kind: str = OFFLINE,
                 tls_version: str = "", authenticated: bool = False, mechanism: str = "", last_reply: str = "",
                 advertised: tuple[str, ...] = (), lesson: str = "", insecure: bool = False) -> None:
        _set(self, "target", target)
        _set(self, "connected", connected)
        _set(self, "state", state)
        _set(self, "line_kind", line_kind)
        _set(self, "tls_version", tls_version)
        _set(self, "authenticated", authenticated)
        _set(self, "mechanism", mechanism)
        _set(self, "last_reply", last_reply)
        _set(self, "advertised", advertised)
        _set(self, "lesson", lesson)
        _set(self, "insecure", insecure)

    @property
    def tls(self) -> bool:
        return bool(self.tls_version)
