"""Findings per session: mechanism, user, result, and what a passive listener learned from the capture."""

from __future__ import annotations

from tutor.explain import Note
from tutor.sasl.registry import Exposure, find
from tutor.trace import mechs
from tutor.trace.annotate import note
from tutor.trace.report import Attempt, SessionReport


def _exposure(mechanism: str | None) -> Exposure | None:
    """How the mechanism's credentials travel, from the registry (None: a mechanism the tutor does not know)."""
    info = find(mechanism)
    return info.exposure if info is not None else None


def _family(mechanism: str | None) -> str:
    info = find(mechanism)
    return info.family if info is not None else ""


def findings(report: SessionReport) -> list[Note]:
    """What the session shows, in words (keys under `trace.finding.*`)."""
    out: list[Note] = []
    if not report.attempts:
        out.append(note("finding.no-auth-encrypted" if report.encrypted else "finding.no-auth"))
    for attempt in report.attempts:
        out.extend(attempt_findings(attempt))
    if report.encrypted and report.attempts:
        out.append(note("finding.encrypted-after"))
    return out


def attempt_findings(attempt: Attempt) -> list[Note]:
    out = [note("finding.attempt", mechanism=attempt.mechanism or "?", user=attempt.user or "?",
                result=attempt.result)]
    if attempt.logged:
        return out + _logged(attempt)
    if attempt.tls:
        out.append(Note("trace_tls.finding.inside-tls") if attempt.keylog else note("finding.inside-tls"))
    exposure, family = _exposure(attempt.mechanism), _family(attempt.mechanism)
    if exposure is Exposure.PLAINTEXT:
        out.extend(_clear(attempt))
    elif family == "cram":
        out.extend(_cram(attempt))
    elif family == "scram":
        out.extend(_scram(attempt))
    elif family in mechs.FAMILIES:
        out.extend(mechs.findings(attempt))
    elif exposure is Exposure.BEARER_TOKEN and attempt.token is not None:
        key = "finding.token-in-record" if attempt.tls else "finding.token-clear"
        params = {"user": attempt.user or "?", "token": attempt.token}
        out.append(Note("trace_tls.finding.token", params, secret=True) if attempt.keylog
                   else note(key, True, **params))
    elif attempt.user and not attempt.tls:
        out.append(note("finding.user-clear", user=attempt.user))
    return out


def _logged(attempt: Attempt) -> list[Note]:
    """A server's (debug) log that quotes the client's answers holds what the wire held."""
    secret = attempt.password if attempt.password is not None else attempt.token
    out = []
    if secret is not None:
        out.append(note("finding.secret-in-log", True, user=attempt.user or "?", password=secret))
    if _family(attempt.mechanism) == "cram":
        out.extend(n for n in _cram(attempt) if n.key != "trace.finding.cram-offline")
    return out


def _clear(attempt: Attempt) -> list[Note]:
    if attempt.password is not None:
        key = "finding.password-in-record" if attempt.tls else "finding.password-clear"
        params = {"mechanism": attempt.mechanism, "user": attempt.user or "?", "password": attempt.password}
        if attempt.keylog:
            return [Note("trace_tls.finding.password", params, secret=True)]
        return [note(key, True, **params)]
    if attempt.redacted:
        return [note("finding.password-redacted")]
    if attempt.cut:
        return [note("finding.password-cut", mechanism=attempt.mechanism, user=attempt.user or "?")]
    return []


def _cram(attempt: Attempt) -> list[Note]:
    out = []
    if attempt.crackable and not attempt.tls:
        out.append(note("finding.cram-offline", user=attempt.user or "?"))
    if attempt.cracked is not None:
        out.append(note("finding.cram-cracked", True, user=attempt.user or "?", password=attempt.cracked))
    elif attempt.crack_tried:
        out.append(note("finding.cram-not-found", tried=attempt.crack_tried))
    if attempt.challenge_problems:
        out.append(note("finding.cram-glitch"))
    return out


def _scram(attempt: Attempt) -> list[Note]:
    """A recorded SCRAM exchange: no password, but an offline attack on the salted password, slowed by PBKDF2."""
    from tutor.sasl import scram
    out = []
    if attempt.scram_crackable and not attempt.tls:
        first = scram.parse_message(attempt.scram["server-first"])
        cost = scram.offline_attack_cost(int(first["i"]), attempt.mechanism)
        out.append(note("finding.scram-offline", user=attempt.user or "?", **cost.params))
    elif attempt.user and not attempt.tls:
        out.append(note("finding.user-clear", user=attempt.user))
    if "server-final" in attempt.scram:
        out.append(note("finding.scram-mutual"))
    if attempt.cracked is not None:
        out.append(note("finding.scram-cracked", True, user=attempt.user or "?", password=attempt.cracked))
    elif attempt.crack_tried:
        out.append(note("finding.cram-not-found", tried=attempt.crack_tried))
    if attempt.crack_skipped:
        out.append(note("finding.scram-bounded", tried=attempt.crack_tried, skipped=attempt.crack_skipped))
    return out


def leak(attempt: Attempt) -> str:
    """A short key under `trace.summary.*` for the one-line summary."""
    if attempt.logged:
        if attempt.password is not None or attempt.token is not None:
            return "in-log"
        return "cracked" if attempt.cracked is not None else "nothing"
    if attempt.tls:
        return "keylog" if attempt.keylog and (attempt.password or attempt.token) is not None else "inside-tls"
    if _exposure(attempt.mechanism) is Exposure.PLAINTEXT and attempt.password is not None:
        return "password"
    if attempt.cut and attempt.password is None and attempt.token is None:
        return "password-cut"
    special = mechs.leak(attempt)
    if special is not None:
        return special
    if attempt.cracked is not None:
        return "scram-cracked" if _family(attempt.mechanism) == "scram" else "cracked"
    if attempt.crackable:
        return "offline"
    if attempt.scram_crackable:
        return "scram-offline"
    if _exposure(attempt.mechanism) is Exposure.BEARER_TOKEN and attempt.token is not None:
        return "token"
    if attempt.redacted:   # only PLAIN/LOGIN/bearer send what a redaction hides; the others send a proof
        return "redacted" if _exposure(attempt.mechanism) in (Exposure.PLAINTEXT, Exposure.BEARER_TOKEN) \
            else "mechs:redacted-proof"
    return "user" if attempt.user else "nothing"
