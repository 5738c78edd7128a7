"""Error-code policies: the AUTH replies of RFC 4954 §6 a student rarely meets, per profile or per account.

A policy is one of AUTH_ERRORS' codes. A profile's policy (Profile.auth_error) refuses a mechanism at the AUTH
command when the mechanism alone decides (534, 538) and at the verdict otherwise (454, 432); an account's policy
(a users file's `error=CODE` note) applies at the verdict, once the server knows who is logging in. A too-small
authentication buffer (500 5.5.6) is Profile.auth_buffer, checked in tutor.sim.auth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.sasl.registry import Exposure, find

# code -> the reply key in tutor.sim.replies (texts and enhanced codes from RFC 4954 §6)
AUTH_ERRORS = {"454": "auth-temp-failure", "534": "auth-too-weak", "538": "auth-encryption-required",
               "432": "auth-transition-needed"}
# 534: what a policy that wants SCRAM or tokens calls too weak; 538: mechanisms that send the password recoverably
TOO_WEAK = (Exposure.PLAINTEXT, Exposure.CHALLENGE_RESPONSE)
CLEAR_PASSWORD = (Exposure.PLAINTEXT,)
TRANSITION_BY = "PLAIN"                        # 432: "typically done by authenticating once using [PLAIN]"


@dataclass(frozen=True)
class Refusal:
    """A policy's answer instead of the exchange's own: the reply key, the note key and its params."""

    reply: str
    note: str
    params: dict = field(default_factory=dict)


def check_code(code: str, where: str) -> str:
    """`code` if it is a known policy; ValueError naming the known ones otherwise."""
    if code not in AUTH_ERRORS:
        raise ValueError(f"{where}: error={code} is not one of {', '.join(AUTH_ERRORS)}")
    return code


def at_command(code: str | None, mechanism: str, tls: bool) -> Refusal | None:
    """A profile's refusal of `mechanism` itself, before any credentials cross (534, 538), or None."""
    if code is None:
        return None
    exposure = _exposure(mechanism)
    if code == "534" and exposure in TOO_WEAK:
        return Refusal("auth-too-weak", "sim.policy.too-weak", {"mechanism": mechanism})
    if code == "538" and exposure in CLEAR_PASSWORD and not tls:
        return Refusal("auth-encryption-required", "sim.policy.encryption-required", {"mechanism": mechanism})
    return None


def at_verdict(code: str | None, mechanism: str, tls: bool, user: str, transitioned: bool) -> Refusal | None:
    """The refusal once the exchange reached a verdict for `user`, or None to send the verdict (235/535)."""
    if code == "454":
        return Refusal("auth-temp-failure", "sim.policy.temp-failure")
    if code == "432" and mechanism != TRANSITION_BY and not transitioned:
        return Refusal("auth-transition-needed", "sim.policy.transition-needed", {"mechanism": mechanism, "user": user})
    refusal = at_command(code, mechanism, tls)
    if refusal is not None and code == "538":   # an account's 538: known only now, after the password crossed
        return Refusal(refusal.reply, refusal.note, {**refusal.params, "late": True})
    return refusal


def _exposure(mechanism: str) -> Exposure | None:
    info = find(mechanism)
    return info.exposure if info is not None else None
