"""The tracer's reading of DIGEST-MD5, NTLM and GSSAPI messages: fields kept on the attempt, notes, findings."""

from __future__ import annotations

from tutor import escapes
from tutor.errors import InputError
from tutor.explain import Note
from tutor.sasl import digest_md5
from tutor.sasl.registry import find
from tutor.trace.report import Attempt

FAMILIES = ("digest", "ntlm", "gssapi")


def family(mechanism: str | None) -> str:
    info = find(mechanism)
    return info.family if info is not None and info.family in FAMILIES else ""


def _note(key: str, secret: bool = False, **params) -> Note:
    return Note(f"mechs.{key}", params, secret=secret)


def _text(value: str) -> str:
    return escapes.show(value.encode("utf-8", "replace"))


def _shown(fields: dict) -> str:
    return ", ".join(f"{k}={_text(str(v))}" for k, v in fields.items())


def server_message(attempt: Attempt, data: bytes, notes: list[Note]) -> None:
    """A decoded 334 challenge of a DIGEST-MD5, NTLM or GSSAPI exchange."""
    kind = family(attempt.mechanism)
    if kind == "digest":
        _digest_server(attempt, data, notes)
    elif kind == "ntlm":
        from tutor.trace import mechs_ntlm
        mechs_ntlm.message(attempt, data, notes)
    elif kind == "gssapi" and data:
        notes.append(_note("trace.gssapi-token", fields=f"{len(data)} bytes from the server (AP-REP or wrap token)"))


def client_message(attempt: Attempt, data: bytes, notes: list[Note]) -> bool:
    """A decoded client answer; never a recoverable secret in these mechanisms (always False)."""
    kind = family(attempt.mechanism)
    if kind == "digest" and data:
        _digest_client(attempt, data, notes)
    elif kind == "ntlm":
        from tutor.trace import mechs_ntlm
        mechs_ntlm.message(attempt, data, notes)
    elif kind == "gssapi" and data:
        from tutor.trace import mechs_gssapi
        mechs_gssapi.token(attempt, data, notes)
    return False


def _digest_server(attempt: Attempt, data: bytes, notes: list[Note]) -> None:
    try:
        if digest_md5.is_rspauth(data):
            value = data.decode("ascii", "replace").partition("=")[2].strip()
            attempt.exchange["rspauth"] = value
            notes.append(_note("trace.digest-rspauth", rspauth=_text(value)))
            return
        fields = digest_md5.parse_challenge(data)
    except InputError as exc:
        notes.append(_note("trace.digest-malformed", shown=escapes.show(data), error=str(exc)))
        return
    attempt.exchange["challenge"] = fields
    notes.append(_note("trace.digest-challenge", fields=_shown(fields)))


def _digest_client(attempt: Attempt, data: bytes, notes: list[Note]) -> None:
    try:
        fields = digest_md5.parse_response(data)
    except InputError as exc:
        notes.append(_note("trace.digest-malformed", shown=escapes.show(data), error=str(exc)))
        return
    attempt.exchange["response"] = fields
    attempt.user, attempt.authzid = _text(fields["username"]), _text(fields.get("authzid", ""))
    notes.append(_note("trace.digest-response", fields=_shown(fields)))


def offline(attempt: Attempt) -> bool:
    """Enough of the exchange recorded to test passwords offline."""
    kind = family(attempt.mechanism)
    if kind == "digest":
        return "response" in attempt.exchange
    if kind == "ntlm":
        return "hashcat" in attempt.exchange
    return False


def findings(attempt: Attempt) -> list[Note]:
    kind, user = family(attempt.mechanism), attempt.user or "?"
    ex = attempt.exchange
    out: list[Note] = []
    if kind == "digest":
        if offline(attempt) and not attempt.tls:
            out.append(_note("finding.digest-offline", user=user))
        if "rspauth" in ex:
            out.append(_note("finding.digest-rspauth"))
        if "rspauth_ok" in ex:
            out.append(_note("trace.digest-rspauth-ok" if ex["rspauth_ok"] else "trace.digest-rspauth-bad"))
    elif kind == "ntlm" and "authenticate" in ex:
        auth = ex["authenticate"]
        if offline(attempt) and not attempt.tls:
            out.append(_note("finding.ntlm-offline", user=user, domain=auth.get("domain", ""),
                             workstation=auth.get("workstation", ""), version=auth.get("version", "?"),
                             mode=ex.get("mode", "?")))
        out.append(_note("finding.ntlm-relay", user=user))
    elif kind == "gssapi" and "realm" in ex:
        out.append(_note("finding.gssapi-seen", realm=ex["realm"], service=ex.get("service", "?")))
    if attempt.cracked is not None and kind in ("digest", "ntlm"):
        out.append(_note(f"finding.{kind}-cracked", True, user=user, password=attempt.cracked))
    elif attempt.crack_tried and kind in ("digest", "ntlm"):
        out.append(Note("trace.finding.cram-not-found", {"tried": attempt.crack_tried}))
    return out


def leak(attempt: Attempt) -> str | None:
    """The summary key (under mechs.summary or trace.summary) for these mechanisms, or None."""
    kind = family(attempt.mechanism)
    if not kind:
        return None
    if attempt.cracked is not None:
        return f"mechs:{kind}-cracked"
    if kind == "gssapi":
        return "mechs:kerberos" if "realm" in attempt.exchange else "nothing"
    if offline(attempt):
        return "mechs:ntlm-offline" if kind == "ntlm" else "offline"
    return "user" if attempt.user else "nothing"
