"""Exim, sendmail and saslauthd log lines about SMTP AUTH, read into the same events as Postfix's.

- Exim main log: a success is the `A=<authenticator>:<id>` field of a `<=` line (the authenticator's driver
  name, which says the mechanism only when it is named after it, as `plain`, `login`, `cram_md5` usually are);
  a failure is `<name> authenticator failed for (helo) [ip]:port: 535 Incorrect authentication data
  (set_id=user)`.
- sendmail (LogLevel >= 9 for failures): `AUTH=server, relay=..., authid=tim, mech=PLAIN, bits=0` and
  `AUTH failure (LOGIN): authentication failure (-13) SASL(-13): ... user=tim, relay=...`.
- saslauthd: `do_auth : auth success: [user=tim] [service=smtp] ...` / `auth failure: [user=tim] ...` (syslog),
  `saslauthd[PID] :auth failure: [user=tim] ...` (`saslauthd -d`, on standard error).
- Exim `-d` debug output (`SMTP<< AUTH PLAIN ...`, `SMTP>> 235 ...`) is a transcript: `parse_exim_debug`.
"""

from __future__ import annotations

import re

from tutor.trace.importers.clientlog import Event

_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2",
               "OAUTHBEARER", "NTLM", "GSSAPI", "EXTERNAL", "ANONYMOUS")
_EXIM_OK = re.compile(r"\s<= .*?\sA=(?P<auth>[\w-]+):(?P<user>\S*)")
_EXIM_FAIL = re.compile(r"\s(?P<auth>[\w-]+) authenticator failed for .*?: (?P<code>[45]\d\d) [^()]*?"
                        r"(?: \(set_id=(?P<user>[^)]*)\))?$")
_SENDMAIL_OK = re.compile(r"AUTH=server, relay=.*?, authid=(?P<user>[^,]*), mech=(?P<mech>[\w-]+)")
_SENDMAIL_FAIL = re.compile(r"AUTH failure \((?P<mech>[\w-]+)\): (?P<why>.*?)(?:, relay=.*)?$")
_SENDMAIL_USER = re.compile(r"\buser=(?P<user>[^,\s]+)")
_SASLAUTHD = re.compile(r"(?:do_auth\s*|saslauthd\[\d+\] ):\s*auth (?P<what>success|failure): \[user=(?P<user>[^\]]*)\]"
                        r"(?:.*?\[mech=(?P<backend>[^\]]*)\])?")


def event(line: str) -> dict | None:
    """mechanism, user and result of an Exim / sendmail / saslauthd line about AUTH; None otherwise."""
    if match := _EXIM_OK.search(line):
        return {"mechanism": _mechanism(match["auth"]), "user": match["user"], "result": "success"}
    if match := _EXIM_FAIL.search(line):
        return {"mechanism": _mechanism(match["auth"]), "user": match["user"] or "", "result": "failure"}
    if match := _SENDMAIL_OK.search(line):
        return {"mechanism": match["mech"].upper(), "user": match["user"], "result": "success"}
    if match := _SENDMAIL_FAIL.search(line):
        user = _SENDMAIL_USER.search(match["why"])
        return {"mechanism": match["mech"].upper(), "user": user["user"] if user else "", "result": "failure"}
    if match := _SASLAUTHD.search(line):
        # saslauthd checks a password for a mechanism it does not know (its [mech=] is its backend, e.g. pam)
        return {"user": match["user"], "result": "success" if match["what"] == "success" else "failure",
                "mechanism": ""}
    return None


def _mechanism(authenticator: str) -> str:
    """Exim logs the authenticator's name, not the mechanism: the mechanism only when the name is one."""
    name = authenticator.upper().replace("_", "-")
    return name if name in _MECHANISMS else ""


# ---- exim -d ---------------------------------------------------------------------------------------------------
_EXIM_DEBUG = re.compile(rb"^\s*(?:\d+\s+)?SMTP(<<|>>) (.*)$", re.DOTALL)
_EXIM_DEBUG_MORE = re.compile(rb"^\s*(?:\d+\s+)?\s{2,}([2-5]\d\d[- ].*)$", re.DOTALL)   # more lines of a reply
_EXIM_DEBUG_CONNECT = re.compile(rb"^\s*(?:\d+\s+)?(?:SMTP connection from|Connection request from) (.*)$")


def parse_exim_debug(line: bytes) -> Event | None:
    if match := _EXIM_DEBUG.match(line):
        return Event("C" if match.group(1) == b"<<" else "S", match.group(2))
    if match := _EXIM_DEBUG_CONNECT.match(line):
        return Event("begin", b"connection from " + match.group(1))
    if match := _EXIM_DEBUG_MORE.match(line):
        return Event("S", match.group(1))
    return None


def score_exim_debug(lines: list[bytes]) -> int:
    return sum(3 for line in lines if _EXIM_DEBUG.match(line))


def read_exim_debug(src):
    """`exim -d` output (or `-bh` host checking), read as a transcript."""
    from tutor.trace.importers.clientlog import Reader
    return Reader(src, "Exim", "exim-debug", parse_exim_debug).records()
