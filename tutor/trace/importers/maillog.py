"""Mail server logs about SASL: Postfix, Dovecot (tutor.trace.importers.maillog_dovecot), Exim, sendmail and
saslauthd (tutor.trace.importers.maillog_other).

Postfix: failures (`SASL LOGIN authentication failed: UGFzc3dvcmQ6`, where the base64 is the last challenge
Postfix sent), cancellations (`SASL LOGIN authentication aborted`: the client sent `*`, RFC 4954 §4),
successes (`sasl_method=PLAIN, sasl_username=demo`, logged only when mail is sent), and the `disconnect from
... auth=0/1` counters (successful/all AUTH commands; `auth=1` when all succeeded), which tell of exchanges the
other lines did not log (a Dovecot failure from the same client address held for it is taken to be one of
them, tutor.trace.importers.maillog_dovecot). `sasl_username=(unavailable)` is not a user name. A Postfix smtpd
process's lines from `connect from` to `disconnect from` make one session; other AUTH lines are one exchange each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.protocol import b64
from tutor.trace.importers import maillog_other
from tutor.trace.importers.maillog_dovecot import DovecotAuth, is_dovecot, joined
from tutor.trace.records import Begin, End, Logged, Record
from tutor.trace.source import Source

_PROGRAM = re.compile(r"\s(?P<prog>[\w/.-]+)\[(?P<pid>\d+)\]:\s")
_FAILED = re.compile(r"SASL (?P<mech>[\w-]+) authentication failed: (?P<reason>.*?)(?:, sasl_username=(?P<user>\S+))?$")
_ABORTED = re.compile(r"SASL (?P<mech>[\w-]+) authentication aborted")
_SUCCESS = re.compile(r"sasl_method=(?P<mech>[\w-]+), sasl_username=(?P<user>[^,\s]+)")
_CLIENT = re.compile(r"\[(?P<ip>[^\]]*)\]:\s+SASL ")        # `warning: host[ip]: SASL ...`
_SYSLOG_DOVECOT = re.compile(r"\sdovecot(?:\[\d+\])?: ")      # `host dovecot: auth: ...`, not its own file
_DISCONNECTED = re.compile(r" disconnect from [^\[\s]*\[(?P<ip>[^\]]*)\]")
_COUNTER = re.compile(r"\sauth=(?P<good>\d+)(?:/(?P<all>\d+))?(?:\s|$)")
_TOKEN = re.compile(r"^[A-Za-z0-9+/]{4,}={0,2}$")
_UNAVAILABLE = "(unavailable)"            # Postfix's word when the SASL server gave no user name
MAX_OPEN = 10000                          # smtpd processes with an open connection at once (bounded memory)


def score(lines: list[bytes]) -> int:
    text = [line.decode("utf-8", "replace") for line in lines]
    return sum(3 for line in text if _FAILED.search(line) or _SUCCESS.search(line) or _ABORTED.search(line)
               or "client in: AUTH" in line or maillog_other.event(line) is not None) \
        + sum(1 for line in text if "postfix/" in line or "dovecot" in line or " auth: " in line)


class _Log:
    """The open sessions of one log, and the successes and failures seen so far in each smtpd connection."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.open: dict[str, str] = {}               # program[pid] -> session id
        self.connections: dict[str, list[int]] = {}  # program[pid] of a `connect from` session -> [good, bad]

    def new_sid(self) -> str:
        self.count += 1
        return f"{self.name}#{self.count}"

    def close(self, key: str) -> Iterator[Record]:
        self.connections.pop(key, None)
        if key in self.open:
            yield End(self.open.pop(key))


def read(src: Source) -> Iterator[Record]:
    log = _Log(src.name)
    dovecot = DovecotAuth(log.new_sid, src.name)
    for number, raw in src.numbered():
        line = raw.decode("utf-8", "replace")
        where = f"{src.name}:{number}"
        match = _PROGRAM.search(line)
        key = f"{match['prog']}[{match['pid']}]" if match else "log"
        dovecot.number = number
        yield from dovecot.expire()
        if match and "smtpd" in match["prog"]:
            dovecot.hold = True                  # Postfix tells of failures too: Dovecot's wait to be joined
        if match and "smtpd" in match["prog"] and " connect from " in line:
            yield from _connect(log, key, line, where)
        elif " disconnect from " in line and key in log.connections:
            yield from _disconnect(log, key, line, where, dovecot)
        elif is_dovecot(line) and not (match and "postfix" in match["prog"]):
            dovecot.hold |= bool(_SYSLOG_DOVECOT.search(line))   # syslog's mail log: Postfix may tell of it too
            yield from dovecot.line(line, where)
        else:
            yield from _auth_line(log, key, line, where, dovecot)
    yield from dovecot.close()
    for key in list(log.open):
        yield from log.close(key)


def _connect(log: _Log, key: str, line: str, where: str) -> Iterator[Record]:
    yield from log.close(key)
    if len(log.open) >= MAX_OPEN:
        yield from log.close(next(iter(log.open)))
    log.open[key] = log.new_sid()
    log.connections[key] = [0, 0]
    yield Begin(log.open[key], f"{where}: {key} {line[line.index('connect from'):]}", "log")


def _disconnect(log: _Log, key: str, line: str, where: str, dovecot: DovecotAuth) -> Iterator[Record]:
    """The AUTH counters say how many exchanges there were: those no other line told of are added, once; a
    failure Dovecot logged from the same client address is taken to be one of them."""
    counter = _COUNTER.search(line)
    if counter is not None:
        good = int(counter["good"])
        bad = (int(counter["all"]) if counter["all"] else good) - good
        seen_good, seen_bad = log.connections[key]
        client = _DISCONNECTED.search(line)
        for result, missing in (("success", good - seen_good), ("failure", bad - seen_bad)):
            claimed = dovecot.claim(None, client["ip"], result, missing) if client and missing > 0 else []
            for number in range(max(0, missing)):
                held = claimed[number] if number < len(claimed) else None
                yield from _told(log.open[key], held, Logged(log.open[key], line, where, result=result,
                                                               user=held.user if held else ""))
    yield from log.close(key)


def _auth_line(log: _Log, key: str, line: str, where: str, dovecot: DovecotAuth) -> Iterator[Record]:
    event = _event(line) or maillog_other.event(line)
    if event is None:
        return
    if key not in log.open:
        log.open[key] = log.new_sid()
        yield Begin(log.open[key], f"{where}: {key}", "log")
    result = event.get("result")
    client = _CLIENT.search(line)
    claimed = dovecot.claim(event.get("user", ""), client["ip"], result, 1) if result and client else []
    # Dovecot's lines about this same exchange, if it held them, join it
    yield from _told(log.open[key], claimed[0] if claimed else None, Logged(log.open[key], line, where, **event))
    if key in log.connections and result:
        log.connections[key][0 if result == "success" else 1] += 1
    elif result:                                 # outside a known connection: one exchange each
        yield End(log.open.pop(key))


def _told(sid: str, held, record: Logged) -> Iterator[Record]:
    """A Postfix record and the held Dovecot lines about the same exchange, in the order that makes them one
    exchange: a whole request (its AUTH line names the mechanism) before, a lone passdb line after."""
    before = joined(held, sid) if held is not None and held.first else []
    after = joined(held, sid) if held is not None and not held.first else []
    yield from before
    yield record
    yield from after


def _event(line: str) -> dict | None:
    """mechanism, user, result and base64 payload of a Postfix line about AUTH; None if it is about something else."""
    if match := _FAILED.search(line):
        reason = match["reason"].strip()
        payload = reason if _TOKEN.match(reason) and b64.looks_like(reason) else ""
        return {"mechanism": match["mech"].upper(), "user": _user(match["user"]), "result": "failure",
                "payload": payload, "side": "S" if payload else ""}      # Postfix logs its last challenge
    if match := _ABORTED.search(line):
        return {"mechanism": match["mech"].upper(), "result": "cancelled"}
    if match := _SUCCESS.search(line):
        return {"mechanism": match["mech"].upper(), "user": _user(match["user"]), "result": "success"}
    return None


def _user(name: str | None) -> str:
    return "" if not name or name == _UNAVAILABLE else name
