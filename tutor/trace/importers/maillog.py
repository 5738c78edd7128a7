"""Postfix and Dovecot log lines about SASL: failures (often carrying base64, e.g. `SASL LOGIN authentication
failed: UGFzc3dvcmQ6`), successes (`sasl_method=PLAIN, sasl_username=demo`) and Dovecot's debug `resp=`.

A Postfix smtpd process's lines from `connect from` to `disconnect from` make one session; other AUTH lines
are grouped per program.
"""

from __future__ import annotations

import re
from typing import Iterator

from tutor.protocol import b64
from tutor.trace.records import Begin, End, Logged, Record
from tutor.trace.source import Source

_PROGRAM = re.compile(r"\s(?P<prog>[\w/.-]+)\[(?P<pid>\d+)\]:\s")
_FAILED = re.compile(r"SASL (?P<mech>[\w-]+) authentication failed: (?P<reason>.*?)(?:, sasl_username=(?P<user>\S+))?$")
_SUCCESS = re.compile(r"sasl_method=(?P<mech>[\w-]+), sasl_username=(?P<user>[^,\s]+)")
_DOVECOT_AUTH = re.compile(r"client in: AUTH\t\d+\t(?P<mech>[\w-]+)\t.*?(?:resp=(?P<resp>[A-Za-z0-9+/=]+))?$")
_DOVECOT_CONT = re.compile(r"client (?:in|passdb out|out): CONT\t\d+\t(?P<resp>[A-Za-z0-9+/=]*)")
_DOVECOT_FAIL = re.compile(r"\w+\((?P<user>[^,()]*),[^)]*\): (?P<why>Password mismatch|unknown user)")
_TOKEN = re.compile(r"^[A-Za-z0-9+/]{4,}={0,2}$")


def score(lines: list[bytes]) -> int:
    text = [line.decode("utf-8", "replace") for line in lines]
    return sum(3 for line in text if _FAILED.search(line) or _SUCCESS.search(line) or "client in: AUTH" in line) \
        + sum(1 for line in text if "postfix/" in line or "dovecot" in line)


def read(src: Source) -> Iterator[Record]:
    open_sessions: dict[str, str] = {}          # program[pid] -> session id
    count = 0
    for number, raw in enumerate(src.lines(), 1):
        line = raw.decode("utf-8", "replace")
        match = _PROGRAM.search(line)
        key = f"{match['prog']}[{match['pid']}]" if match else "log"
        where = f"{src.name}:{number}"
        if match and "smtpd" in match["prog"] and " connect from " in line:
            if key in open_sessions:
                yield End(open_sessions.pop(key))
            count += 1
            open_sessions[key] = f"{src.name}#{count}"
            yield Begin(open_sessions[key], f"{where}: {key} {line[line.index('connect from'):]}", "log")
            continue
        if " disconnect from " in line and key in open_sessions:
            yield End(open_sessions.pop(key))
            continue
        event = _event(line)
        if event is None:
            continue
        if key not in open_sessions:
            count += 1
            open_sessions[key] = f"{src.name}#{count}"
            yield Begin(open_sessions[key], f"{where}: {key}", "log")
        yield Logged(open_sessions[key], line, where, **event)
    for sid in open_sessions.values():
        yield End(sid)


def _event(line: str) -> dict | None:
    """mechanism, user, result and base64 payload of a log line about AUTH; None if it is about something else."""
    if match := _FAILED.search(line):
        reason = match["reason"].strip()
        payload = reason if _TOKEN.match(reason) and b64.looks_like(reason) else ""
        return {"mechanism": match["mech"].upper(), "user": match["user"] or "", "result": "failure",
                "payload": payload}
    if match := _SUCCESS.search(line):
        return {"mechanism": match["mech"].upper(), "user": match["user"], "result": "success"}
    if match := _DOVECOT_AUTH.search(line):
        return {"mechanism": match["mech"].upper(), "payload": match["resp"] or ""}
    if match := _DOVECOT_CONT.search(line):
        return {"payload": match["resp"]} if match["resp"] else None
    if match := _DOVECOT_FAIL.search(line):
        return {"user": match["user"], "result": "failure"}
    return None
