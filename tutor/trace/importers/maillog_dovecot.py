"""Dovecot auth log lines, one session per authentication request.

With `auth_debug` Dovecot logs the auth protocol: `client in: AUTH<TAB>id<TAB>MECH<TAB>...[resp=base64]`, `client
passdb out: CONT<TAB>id<TAB>base64`, `client in: CONT<TAB>id<TAB>base64`, `client passdb out:
OK|FAIL<TAB>id<TAB>user=...`. The id counts per auth client connection (each Postfix smtpd process starts at 1), and
the line does not say which connection, so two requests can share an id at once: a line is given to the request with
that id that is waiting for it (a `client in` line to one waiting for the client, an `out` line to one waiting for
the server), and of two that wait alike, to the one that has waited longer (in the lab's own interleaved log,
tests/data/logs/postfix_dovecot_debug_lab.log, that is the right one). Passdb lines (`passwd-file(tim,10.0.0.5):
Password mismatch`) go to the request the server is working on. With `auth_verbose_passwords` a failure says `(given
password: X)`, and `auth_debug_passwords` logs `PLAIN(X) != 'stored'`: both are passwords in the log, read and
masked. A failure is counted once: at the passdb line that says it, or at the FAIL line when no passdb line did.

In a mail log that holds Postfix's lines too (Debian's /var/log/mail.log), a failure without debug lines is
told twice: Dovecot's `passwd-file(tim,10.0.0.5): Password mismatch`, then Postfix's `SASL LOGIN
authentication failed ... sasl_username=tim`; with debug lines, a whole request is told by Dovecot and its
result again by Postfix (a failure line, or the `auth=` counters at disconnect). In a log that may hold both
(Postfix lines seen, or Dovecot's lines in syslog form), a finished Dovecot exchange is held for up to
HOLD_LINES lines: a Postfix line about the same result, client address and user takes it in (one exchange;
the Dovecot lines, and any password they hold, join it), else it is reported on its own.
Syslog's `#011` for a tab is read as a tab.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

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
MAX_RECORDS = 64                 # lines kept of one held request (its passwords are in the first few)


def is_dovecot(line: str) -> bool:
    """A Dovecot auth process line (its own log file, or syslog's `dovecot: auth: ...`)."""
    return "auth: " in line or "auth-worker(" in line


@dataclass(slots=True)
class _Request:
    sid: str
    rid: str
    waiting: str                 # "server" (the client spoke last) or "client"
    since: int = 0               # when it started waiting (a line count): the longest waiting is answered first
    user: str = ""
    failed: bool = False         # a passdb line already said it failed: the FAIL line adds no second failure
    ip: str = ""
    label: str = ""
    records: list[Logged] | None = None   # kept back (a log with Postfix lines) until Postfix tells of it too


@dataclass(slots=True)
class Held:
    """A Dovecot exchange waiting for the Postfix line about the same exchange; `first`: its lines go before
    that Postfix line (a whole request, whose AUTH line names the mechanism), else after it (a passdb line)."""

    number: int
    user: str
    ip: str
    result: str
    label: str
    records: list[Logged]
    first: bool


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
        """The end of the log: held exchanges (they ended first), then requests that never ended."""
        while self.held:
            yield from self._alone(self.held.popleft())
        for request in self.requests:
            yield from self._drop(request)
        self.requests = []

    def claim(self, user: str | None, ip: str, result: str, limit: int = 0) -> list[Held]:
        """The held exchanges a Postfix line tells of too: same result, user (None: any) and client address."""
        found = [held for held in self.held if held.ip == ip and held.result == result
                 and (user is None or (user and held.user == user))]
        found = found[:limit] if limit else found
        for held in found:
            self.held.remove(held)
        return found

    def expire(self) -> Iterator[Record]:
        """Held exchanges no Postfix line claimed in time are reported on their own."""
        while self.held and self.number - self.held[0].number > HOLD_LINES:
            yield from self._alone(self.held.popleft())

    def _find(self, rid: str, waiting: str) -> _Request | None:
        alike = [request for request in self.requests if request.rid == rid and request.waiting == waiting]
        if alike:
            return min(alike, key=lambda request: request.since)
        return next((r for r in reversed(self.requests) if r.rid == rid), None)

    def _wait(self, request: _Request, waiting: str) -> None:
        request.waiting, request.since = waiting, self.number

    def _emit(self, request: _Request, record: Logged) -> Iterator[Record]:
        if request.records is None:
            yield record
        elif len(request.records) < MAX_RECORDS:
            request.records.append(record)

    def _hold(self, held: Held) -> Iterator[Record]:
        if len(self.held) >= MAX_HELD:
            yield from self._alone(self.held.popleft())
        self.held.append(held)

    def _auth(self, match: re.Match, line: str, where: str) -> Iterator[Record]:
        if len(self.requests) >= MAX_REQUESTS:
            yield from self._drop(self.requests.pop(0))
        rip = _RIP.search(match["rest"])
        label = f"{where}: Dovecot auth request {match['id']}" + (f" from {rip['rip']}" if rip else "")
        request = _Request("", match["id"], "server", self.number, ip=rip["rip"] if rip else "", label=label)
        self.requests.append(request)
        if self.hold:
            request.records = []
        else:
            request.sid = self.new_sid()
            yield Begin(request.sid, label, "log")
        resp = _RESP.search(match["rest"])
        yield from self._emit(request, Logged(request.sid, line, where, mechanism=match["mech"].upper(),
                                              payload=resp["resp"] if resp else "", side="C"))

    def _drop(self, request: _Request) -> Iterator[Record]:
        if request.records is None:
            yield End(request.sid)
        else:
            yield from self._alone(Held(0, request.user, request.ip, "", request.label, request.records, True))

    def _cont(self, match: re.Match, line: str, where: str) -> Iterator[Record]:
        from_client = match["way"] == "in"
        request = self._find(match["id"], "server" if not from_client else "client")
        if request is None:
            return
        self._wait(request, "server" if from_client else "client")
        yield from self._emit(request, Logged(request.sid, line, where, payload=match["resp"] or "",
                                              side="C" if from_client else "S"))

    def _done(self, match: re.Match, line: str, where: str) -> Iterator[Record]:
        request = self._find(match["id"], "server")
        if request is None:
            return
        self.requests.remove(request)
        user = _USER_FIELD.search(match["rest"])
        result = "success" if match["what"] == "OK" else "failure"
        request.user = request.user or (user["user"] if user else "")
        yield from self._emit(request, Logged(request.sid, line, where, user=user["user"] if user else "",
                                              result="" if result == "failure" and request.failed else result))
        if request.records is None:
            yield End(request.sid)
        else:
            yield from self._hold(Held(self.number, request.user, request.ip, result, request.label,
                                       request.records, True))

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
        secret = given["secret"] if given else ""
        if request is not None:                 # counted here; the FAIL line that follows adds no second failure
            request.user = request.user or user
            request.failed |= failed
            yield from self._emit(request, Logged(request.sid, line, where, user=user,
                                                  result="failure" if failed else "", secret=secret))
            return
        mechanism = match["who"].upper() if match["who"].upper() in _MECHANISMS else ""
        record = Logged("", line, where, mechanism=mechanism, user=user, result="failure" if failed else "",
                        secret=secret)
        held = Held(self.number, user, match["ip"], "failure" if failed else "", f"{where}: Dovecot {match['who']}",
                    [record], False)
        if self.hold and failed:
            yield from self._hold(held)
        else:
            yield from self._alone(held)

    def _alone(self, held: Held) -> Iterator[Record]:
        sid = self.new_sid()
        yield Begin(sid, held.label, "log")
        for record in held.records:
            yield replace(record, session=sid)
        yield End(sid)


def joined(held: Held, sid: str) -> list[Logged]:
    """A held exchange's lines in the Postfix session that tells of it: their result is the Postfix line's."""
    return [replace(record, session=sid, result="", mechanism=record.mechanism if held.first else "")
            for record in held.records]
