"""The tracer's reading of NTLM messages (tutor.sasl.ntlm): named flags, names in clear, the hashcat line."""

from __future__ import annotations

from tutor import escapes
from tutor.errors import InputError
from tutor.explain import Note
from tutor.sasl import ntlm
from tutor.trace.report import Attempt


def _text(value: str) -> str:
    return escapes.show(value.encode("utf-8", "replace"))


def message(attempt: Attempt, data: bytes, notes: list[Note]) -> None:
    """One decoded NTLMSSP message, from either side; an empty 334 (ready for type 1) is nothing to read."""
    if not data:
        return
    try:
        parsed = ntlm.parse(data)
    except InputError as exc:
        notes.append(Note("mechs.trace.ntlm-malformed", {"error": str(exc)}))
        return
    kind = parsed["kind"]
    shown = {"flags": " ".join(ntlm.flag_names(parsed["flags"]))}
    if kind == "challenge":
        attempt.exchange["challenge"] = parsed["server_challenge"]
        shown["server challenge"] = parsed["server_challenge"].hex()
        shown["target"] = _text(parsed["target"])
    elif kind == "authenticate":
        _authenticate(attempt, parsed, shown)
    else:
        shown.update({k: _text(parsed[k]) for k in ("domain", "workstation") if parsed.get(k)})
    fields = "; ".join(f"{k} {v}" for k, v in shown.items())
    notes.append(Note("mechs.trace.ntlm-message", {"kind": kind, "fields": fields}))


def _authenticate(attempt: Attempt, parsed: dict, shown: dict) -> None:
    names = {k: _text(parsed[k]) for k in ("user", "domain", "workstation")}
    attempt.user = names["user"]
    attempt.exchange["authenticate"] = {**names, "version": parsed["version"]}
    attempt.exchange["raw"] = parsed                  # kept for --password (NTLMv2: user and domain as sent)
    shown.update(names)
    shown["response"] = f"{parsed['version']} ({len(parsed['nt_response'])} bytes)"
    challenge = attempt.exchange.get("challenge")
    line = ntlm.hashcat_line(parsed, challenge) if isinstance(challenge, bytes) else None
    if line is not None:
        attempt.exchange["mode"], attempt.exchange["hashcat"] = line
