"""The tracer's reading of a GSSAPI initial token (tutor.sasl.gssapi): what is clear, and what is not."""

from __future__ import annotations

from tutor import escapes
from tutor.errors import InputError
from tutor.explain import Note
from tutor.sasl import gssapi
from tutor.trace.report import Attempt


def _text(value: str) -> str:
    return escapes.show(value.encode("utf-8", "replace"))


def token(attempt: Attempt, data: bytes, notes: list[Note]) -> None:
    if "realm" in attempt.exchange:           # later client tokens (security layer): wrapped, nothing to read
        return
    try:
        fields = gssapi.initial_token(data)
    except InputError as exc:
        notes.append(Note("mechs.trace.gssapi-other", {"error": str(exc)}))
        return
    realm, service = _text(fields["realm"]), _text(fields["service"])
    attempt.exchange.update(realm=realm, service=service)
    shown = (f"realm {realm}; service principal {service}; ticket enc-type {fields['etype']} "
             f"({fields['etype_name']}); kvno {fields['kvno'] if fields['kvno'] is not None else 'absent'}")
    notes.append(Note("mechs.trace.gssapi-token", {"fields": shown}))
    notes.append(Note("mechs.trace.gssapi-hidden"))
