"""The tracer's results: annotated rows, AUTH attempts and one report per session (what renderers show)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.explain import Note

SECRET_PARAMS = frozenset({"password", "token", "shown"})   # params of secret notes masked unless --reveal


@dataclass(slots=True)
class Row:
    """One line of the annotated listing.

    `direction` is "C", "S", "mark" or "log"; `kind` picks the colour (command, reply, auth, data, mark, log).
    `secret` says the line itself carries a password in recoverable form (shown masked unless --reveal);
    `keep` is how many leading characters stay visible when it is masked (e.g. `AUTH PLAIN `).
    """

    direction: str
    text: str
    where: str = ""
    t: float | None = None
    tls: bool = False
    kind: str = "command"
    notes: list[Note] = field(default_factory=list)
    secret: bool = False
    keep: int = 0


@dataclass(slots=True)
class Attempt:
    """One AUTH exchange as a listener saw it."""

    mechanism: str
    where: str = ""
    tls: bool = False
    user: str = ""
    authzid: str = ""
    password: str | None = None          # recovered from PLAIN / LOGIN (masked unless --reveal)
    redacted: bool = False               # the transcript held the credentials but they were redacted
    result: str = "unanswered"           # success, failure, cancelled, unanswered
    code: int | None = None
    challenge: bytes | None = None       # CRAM-MD5: the exact decoded challenge
    response: bytes | None = None        # CRAM-MD5: the decoded `user digest`
    challenge_problems: tuple[str, ...] = ()
    cracked: str | None = None           # CRAM-MD5 / SCRAM password confirmed by --password or --wordlist
    crack_tried: int = 0                 # how many candidates were tried (0: none)
    crack_skipped: int = 0               # SCRAM: words left untried (the word list is bounded: guesses are slow)
    logged: bool = False                 # known from a server log, not from the wire
    scram: dict = field(default_factory=dict)   # SCRAM: kind ("client-first"...) -> the decoded message
    token: str | None = None             # XOAUTH2 / OAUTHBEARER: the bearer token (masked unless --reveal)
    keylog: bool = False                 # inside TLS, decrypted here with a key log (trace --keylog)
    cut: bool = False                    # the capture cut a credential line of this exchange short
    exchange: dict = field(default_factory=dict)   # DIGEST-MD5 / NTLM / GSSAPI: decoded fields (tutor.trace.mechs)

    @property
    def crackable(self) -> bool:
        return self.mechanism == "CRAM-MD5" and self.challenge is not None and self.response is not None

    @property
    def scram_crackable(self) -> bool:
        """Enough of a SCRAM exchange to test password guesses offline: both firsts and the client's proof."""
        return self.mechanism.startswith("SCRAM-") and all(
            k in self.scram for k in ("client-first", "server-first", "client-final"))


@dataclass(slots=True)
class SessionReport:
    """Everything the tracer found in one session."""

    id: str
    label: str
    source: str = ""
    rows: list[Row] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    advertised: tuple[str, ...] = ()
    starttls: bool = False               # STARTTLS was accepted
    encrypted: bool = False              # the capture holds only ciphertext after some point
    encrypted_octets: int = 0            # how much ciphertext followed
    tls_note: Note | None = None         # trace --keylog: what the key log did for this TLS (tutor.trace.tls_flow)
    evicted: bool = False                # reported early (bounded memory); any rest follows as a continuation
    problems: list[Note] = field(default_factory=list)
    dropped_rows: int = 0                # rows not kept (bounded memory)
    lines: int = 0                       # wire lines seen

    @property
    def empty(self) -> bool:
        """Nothing at all was seen (e.g. a logged connection without AUTH): not worth a report."""
        return not (self.lines or self.attempts or self.rows or self.encrypted)

    @property
    def mechanism(self) -> str:
        return self.attempts[-1].mechanism if self.attempts else ""

    @property
    def user(self) -> str:
        return next((a.user for a in reversed(self.attempts) if a.user), "")

    @property
    def result(self) -> str:
        if not self.attempts:
            return "no-auth"
        return "success" if any(a.result == "success" for a in self.attempts) else self.attempts[-1].result
