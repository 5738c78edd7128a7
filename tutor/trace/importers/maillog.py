"""Postfix and Dovecot log lines about SASL: failures (often carrying base64, e.g. `SASL LOGIN authentication
failed: UGFzc3dvcmQ6`, where the base64 is the last challenge Postfix sent), successes (`sasl_method=PLAIN,
sasl_username=demo`), Dovecot's `plain(tim,10.0.0.5): Password mismatch` and its debug lines (`client in:
AUTH ... resp=`, `CONT`), whose client side can hold the password when `auth_debug_passwords` is on.

A Postfix smtpd process's lines from `connect from` to `disconnect from` make one session; other AUTH lines
are grouped per program (Dovecot's own log file, without a program[pid], is one session).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.protocol import b64
from tutor.trace.records import Begin, End, Logged, Record
from tutor.trace.source import Source

_PROGRAM = re.compile(r"\s(?P<prog>[\w/.-]+)\[(?P<pid>\d+)\]:\s")
_FAILED = re.compile(r"SASL (?P<mech>[\w-]+) authentication failed: (?P<reason>.*?)(?:, sasl_username=(?P<user>\S+))?$")
_SUCCESS = re.compile(r"sasl_method=(?P<mech>[\w-]+), sasl_username=(?P<user>[^,\s]+)")
_DOVECOT_AUTH = re.compile(r"client in: AUTH\t\d+\t(?P<mech>[\w-]+)(?:\t.*?(?:resp=(?P<resp>[A-Za-z0-9+/=]+))?)?$")
_DOVECOT_CONT = re.compile(r"client (?P<way>in|out|passdb out): CONT\t\d+\t(?P<resp>[A-Za-z0-9+/=]*)")
_DOVECOT_DONE = re.compile(r"client (?:passdb )?out: (?P<what>OK|FAIL)\t\d+(?:\t.*?user=(?P<user>[^\t]+))?")
_DOVECOT_FAIL = re.compile(r"(?P<who>[\w-]{1,40})\((?P<user>[^,()]{0,256}),[^)]{0,256}\): "
                           r"(?P<why>Password mismatch|unknown user|Invalid base64 data|Request timed out)")
_MECHANISM_NAMES = ("PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2",
                    "OAUTHBEARER", "NTLM", "GSSAPI", "EXTERNAL", "ANONYMOUS")
_TOKEN = re.compile(r"^[A-Za-z0-9+/]{4,}={0,2}$")


def score(lines: list[bytes]) -> int:
    text = [line.decode("utf-8", "replace") for line in lines]
    return sum(3 for line in text if _FAILED.search(line) or _SUCCESS.search(line) or "client in: AUTH" in line
               or _DOVECOT_FAIL.search(line)) \
        + sum(1 for line in text if "postfix/" in line or "dovecot" in line or " auth: " in line)


def read(src: Source) -> Iterator[Record]:
    open_sessions: dict[str, str] = {}          # program[pid] -> session id
    connections: set[str] = set()               # keys whose session is an smtpd connection (connect ... disconnect)
    count = 0
    for number, raw in src.numbered():
        line = raw.decode("utf-8", "replace")
        match = _PROGRAM.search(line)
        key = f"{match['prog']}[{match['pid']}]" if match else "log"
        where = f"{src.name}:{number}"
        if match and "smtpd" in match["prog"] and " connect from " in line:
            if key in open_sessions:
                yield End(open_sessions.pop(key))
            count += 1
            open_sessions[key] = f"{src.name}#{count}"
            connections.add(key)
            yield Begin(open_sessions[key], f"{where}: {key} {line[line.index('connect from'):]}", "log")
            continue
        if " disconnect from " in line and key in open_sessions:
            connections.discard(key)
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
        if event.get("result") and key not in connections:   # outside a known connection: one exchange each
            yield End(open_sessions.pop(key))
    for sid in open_sessions.values():
        yield End(sid)


def _event(line: str) -> dict | None:
    """mechanism, user, result and base64 payload of a log line about AUTH; None if it is about something else."""
    if match := _FAILED.search(line):
        reason = match["reason"].strip()
        payload = reason if _TOKEN.match(reason) and b64.looks_like(reason) else ""
        return {"mechanism": match["mech"].upper(), "user": match["user"] or "", "result": "failure",
                "payload": payload, "side": "S" if payload else ""}      # Postfix logs its last challenge
    if match := _SUCCESS.search(line):
        return {"mechanism": match["mech"].upper(), "user": match["user"], "result": "success"}
    if match := _DOVECOT_AUTH.search(line):
        return {"mechanism": match["mech"].upper(), "payload": match["resp"] or "", "side": "C"}
    if match := _DOVECOT_CONT.search(line):
        return {"payload": match["resp"], "side": "C" if match["way"] == "in" else "S"} if match["resp"] else None
    if match := _DOVECOT_DONE.search(line):
        return {"user": match["user"] or "", "result": "success" if match["what"] == "OK" else "failure"}
    if match := _DOVECOT_FAIL.search(line):
        mechanism = match["who"].upper()          # `plain(tim,...)`, or a passdb such as `passwd-file(tim,...)`
        return {"mechanism": mechanism if mechanism in _MECHANISM_NAMES else "",
                "user": "" if match["user"] == "?" else match["user"], "result": "failure"}
    return None
