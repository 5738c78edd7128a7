"""Dovecot auth log lines, one session per authentication request.

With `auth_debug` Dovecot logs the auth protocol: `client in: AUTH<TAB>id<TAB>MECH<TAB>...[resp=base64]`,
`client passdb out: CONT<TAB>id<TAB>base64`, `client in: CONT<TAB>id<TAB>base64`, `client passdb out:
OK|FAIL<TAB>id<TAB>user=...`. The id counts per auth client connection (each Postfix smtpd process starts at
1), and the line does not say which connection, so two requests can share an id at once: a line is given to
the request with that id that is waiting for it (a `client in` line to the one waiting for the client, an `out`
line to the one waiting for the server). Passdb lines (`passwd-file(tim,10.0.0.5): Password mismatch`) go to
the request the server is working on. With `auth_verbose_passwords` a failure says `(given password: X)`, and
`auth_debug_passwords` logs `PLAIN(X) != 'stored'`: both are passwords in the log, read and masked. A failure is
counted once: at the passdb line that says it, or at the FAIL line when no passdb line did.

In a mail log that holds Postfix's lines too (Debian's /var/log/mail.log), a failure without debug lines is
told twice: Dovecot's `passwd-file(tim,10.0.0.5): Password mismatch`, then Postfix's `SASL LOGIN
authentication failed ... sasl_username=tim`. Once Postfix lines have been seen, such a Dovecot failure is
held for up to HOLD_LINES lines: a Postfix failure for the same user and client address takes it in (one
exchange; the Dovecot line, and any password it holds, joins it), else it is reported on its own.
Syslog's `#011` for a tab is read as a tab.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Iterator

from tutor.trace.records import Begin, End, Logged, Record

_TAB = r"(?:\t|#011)"
_AUTH = re.compile(rf"client in: AUTH{_TAB}(?P<id>\d+){_TAB}(?P<mech>[\w-]+)(?P<rest>.*)$")
_RESP = re.compile(rf"{_TAB}resp=(?P<resp>[A-Za-z0-9+/=]*)")
_RIP = re.compile(rf"{_TAB}rip=(?P<rip>[0-9A-Fa-f.:]+)")
_CONT = re.compile(rf"client (?P<way>in|out|passdb out): CONT{_TAB}(?P<id>\d+)(?:{_TAB}(?P<resp>[A-Za-z0-9+/=]*))?")
_DONE = re.compile(rf"client (?:passdb |userdb )?out: (?P<what>OK|FAIL){_TAB}(?P<id>\d+)(?P<rest>.*)$")
_USER_FIELD = re.compile(rf"{_TAB}user=(?P<user>[^\t#]*)")
# `driver(user,ip[,<session>]): what`; the user name may hold anything (parentheses, commas), the address not
_PASSDB = re.compile(r"(?P<who>[\w-]{1,40})\((?P<user>.{0,256}?),(?P<ip>[0-9A-Fa-f.:?]{0,64})(?:,<[^>]{0,64}>)?\): "
                     r"(?P<what>.*)$")
_FAILURE = re.compile(r"^(?:Password mismatch|unknown user|Invalid base64 data|Request timed out|"
                      r"Password mismatch \(SHA1 of given password: \w+\))")
_GIVEN = re.compile(r"\(given password: (?P<secret>.*)\)$")
_COMPARED = re.compile(r"^(?P<scheme>[\w.-]+)\((?P<secret>.*)\) != '.*'$")     # auth_debug_passwords
_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2",
               "OAUTHBEARER", "NTLM", "GSSAPI", "EXTERNAL", "ANONYMOUS")
MAX_REQUESTS = 10000             # requests in flight at once (bounded memory); the oldest is closed first
HOLD_LINES = 50                  # how long a Dovecot failure waits for the Postfix line that tells of it too
MAX_HELD = 1000


def is_dovecot(line: str) -> bool:
    """A Dovecot auth process line (its own log file, or syslog's `dovecot: auth: ...`)."""
    return "auth: " in line or "auth-worker(" in line


@dataclass(slots=True)
class _Request:
    sid: str
    rid: str
    waiting: str                 # "server" (the client spoke last) or "client"
    user: str = ""
    failed: bool = False         # a passdb line already said it failed: the FAIL line adds no second failure


@dataclass(slots=True)
class Held:
    """A Dovecot failure waiting for the Postfix line about the same exchange."""

    number: int
    user: str
    ip: str
    who: str
    line: str
    where: str
    secret: str


class DovecotAuth:
    """Turns Dovecot auth lines into per-request sessions; `new_sid()` numbers sessions with the caller's."""

    def __init__(self, new_sid, name: str) -> None:
        self.new_sid = new_sid
        self.name = name
        self.requests: list[_Request] = []
        self.hold = False                    # set once the log has shown Postfix lines
        self.number = 0                      # the current line number (set by the caller)
        self.held: deque[Held] = deque()

    def line(self, line: str, where: str) -> Iterator[Record]:
        if match := _AUTH.search(line):
            yield from self._auth(match, line, where)
        elif match := _CONT.search(line):
            yield from self._cont(match, line, where)
        elif match := _DONE.search(line):
            yield from self._done(match, line, where)
        elif match := _PASSDB.search(line):
            yield from self._passdb(match, line, where)

    def close(self) -> Iterator[Record]:
        for request in self.requests:
            yield End(request.sid)
        self.requests = []
        while self.held:
            yield from self._alone(self.held.popleft())

    def claim(self, user: str | None, ip: str, limit: int = 0) -> list[Held]:
        """The held failures a Postfix line tells of too: same user (None: any) and client address."""
        found = [held for held in self.held if held.ip == ip and (user is None or (user and held.user == user))]
        found = found[:limit] if limit else found
        for held in found:
            self.held.remove(held)
        return found

    def expire(self) -> Iterator[Record]:
        """Held failures no Postfix line claimed in time are reported on their own."""
        while self.held and self.number - self.held[0].number > HOLD_LINES:
            yield from self._alone(self.held.popleft())

    def _find(self, rid: str, waiting: str) -> _Request | None:
        for request in reversed(self.requests):
            if request.rid == rid and request.waiting == waiting:
                return request
        return next((r for r in reversed(self.requests) if r.rid == rid), None)

    def _auth(self, match: re.Match, line: str, where: str) -> Iterator[Record]:
        if len(self.requests) >= MAX_REQUESTS:
            yield End(self.requests.pop(0).sid)
        rip = _RIP.search(match["rest"])
        request = _Request(self.new_sid(), match["id"], "server")
        self.requests.append(request)
        label = f"{where}: Dovecot auth request {match['id']}" + (f" from {rip['rip']}" if rip else "")
        yield Begin(request.sid, label, "log")
        resp = _RESP.search(match["rest"])
        yield Logged(request.sid, line, where, mechanism=match["mech"].upper(), payload=resp["resp"] if resp else "",
                     side="C")

    def _cont(self, match: re.Match, line: str, where: str) -> Iterator[Record]:
        from_client = match["way"] == "in"
        request = self._find(match["id"], "server" if not from_client else "client")
        if request is None:
            return
        request.waiting = "server" if from_client else "client"
        yield Logged(request.sid, line, where, payload=match["resp"] or "", side="C" if from_client else "S")

    def _done(self, match: re.Match, line: str, where: str) -> Iterator[Record]:
        request = self._find(match["id"], "server")
        if request is None:
            return
        self.requests.remove(request)
        user = _USER_FIELD.search(match["rest"])
        result = "success" if match["what"] == "OK" else "failure"
        if result == "failure" and request.failed:
            result = ""
        yield Logged(request.sid, line, where, user=user["user"] if user else "", result=result)
        yield End(request.sid)

    def _passdb(self, match: re.Match, line: str, where: str) -> Iterator[Record]:
        """`driver(user,ip): what` about the request the server is working on, or (no debug lines) on its own."""
        user = "" if match["user"] == "?" else match["user"]
        what = match["what"]
        given = _GIVEN.search(what) or _COMPARED.match(what)
        failed = bool(_FAILURE.match(what))
        if not (given or failed):
            return
        working = [r for r in self.requests if r.waiting == "server"]
        request = next((r for r in reversed(working) if r.user == user), working[-1] if working else None)
        if request is not None:                 # counted here; the FAIL line that follows adds no second failure
            request.user = request.user or user
            request.failed |= failed
            yield Logged(request.sid, line, where, user=user, result="failure" if failed else "",
                         secret=given["secret"] if given else "")
            return
        held = Held(self.number, user, match["ip"], match["who"], line, where, given["secret"] if given else "")
        if self.hold and failed:
            if len(self.held) >= MAX_HELD:
                yield from self._alone(self.held.popleft())
            self.held.append(held)
            return
        yield from self._alone(held, failed)

    def _alone(self, held: Held, failed: bool = True) -> Iterator[Record]:
        mechanism = held.who.upper() if held.who.upper() in _MECHANISMS else ""
        sid = self.new_sid()
        yield Begin(sid, f"{held.where}: Dovecot {held.who}", "log")
        yield Logged(sid, held.line, held.where, mechanism=mechanism, user=held.user,
                     result="failure" if failed else "", secret=held.secret)
        yield End(sid)
