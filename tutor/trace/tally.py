"""`trace --by user|ip`: successes and failures per user name or per client address, for brute-force triage."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from tutor.trace.report import SessionReport

MAX_KEYS = 100_000                       # distinct users/addresses kept; past it they count under "(others)"
_ADDRESS = re.compile(r"\[([0-9A-Fa-f:.]+)\]|(?<![\w.:])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
OTHERS = "(others)"


def client_address(label: str) -> str:
    """The first IP address in a session label (pcap: the client's; Postfix: `connect from host[ip]`), or "?"."""
    for match in _ADDRESS.finditer(label):
        text = match.group(1) or match.group(2)
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            continue
    return "?"


@dataclass
class Count:
    success: int = 0
    failure: int = 0
    other: int = 0                       # cancelled or unanswered
    users: set = field(default_factory=set)

    @property
    def attempts(self) -> int:
        return self.success + self.failure + self.other


class Tally:
    """Counts AUTH attempts by user or by client address as reports arrive (bounded memory)."""

    def __init__(self, by: str) -> None:
        self.by, self.counts = by, {}    # type: ignore[var-annotated]

    def add(self, report: SessionReport) -> None:
        address = client_address(report.label) if self.by == "ip" else ""
        for attempt in report.attempts:
            key = address if self.by == "ip" else (attempt.user or "?")
            if key not in self.counts and len(self.counts) >= MAX_KEYS:
                key = OTHERS
            count = self.counts.setdefault(key, Count())
            if attempt.result == "success":
                count.success += 1
            elif attempt.result == "failure":
                count.failure += 1
            else:
                count.other += 1
            if self.by == "ip" and attempt.user and len(count.users) < 50:
                count.users.add(attempt.user)

    def rows(self) -> list[tuple[str, Count]]:
        """Most failures first, then most attempts, then by name."""
        return sorted(self.counts.items(), key=lambda kv: (-kv[1].failure, -kv[1].attempts, kv[0]))

    def as_dict(self) -> dict:
        return {"by": self.by, "tally": [{"key": k, "success": c.success, "failure": c.failure, "other": c.other,
                                          **({"users": sorted(c.users)} if self.by == "ip" else {})}
                                         for k, c in self.rows()]}
