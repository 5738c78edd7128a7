"""Template values for the SCRAM and OAuth lessons: the client-first message with the RFC 7677 client nonce, the
client-final computed from the exchange so far, the lab bearer token and the two token messages, and
`{empty_line}` for a solution that is an empty response (RFC 4954 §4: after SCRAM's v= or a JSON error).

tutor.course.facts merges FIELDS and values() into its own; secret ones are masked on a live server.
"""

from __future__ import annotations

from typing import Any

from tutor.errors import InputError
from tutor.protocol import b64
from tutor.sasl import gs2, oauthbearer, scram, tokens, xoauth2

SCRAM_NONCE = "rOprNGfwEbeRWgbNEkqO"     # RFC 7677 §3's client nonce: with user/pencil the RFC replays exactly
EXPIRED_TOKEN = "ya29.expired"           # a token no server accepts, to see the JSON error challenge

SIM_ONLY = ("token", "xoauth2_b64", "oauthbearer_b64")   # the simulator's lab token: no live server has these

# name -> does it reveal a secret (the password, or a bearer token that replays like one)?
FIELDS: dict[str, bool] = {
    "scram_nonce": False, "scram_first": False, "scram_first_b64": False, "scram_final": False,
    "scram_final_b64": False, "scram_signature": False, "token": True, "xoauth2_b64": True,
    "oauthbearer_b64": True, "xoauth2_expired_b64": False, "oauthbearer_expired_b64": False, "empty_line": False,
}


def values(creds: Any, view: Any) -> dict[str, str]:
    """Every value that can be computed now (creds: .user, .password; view: .messages, .mechanism, .live)."""
    first = f"n,,n={gs2.escape(creds.user)},r={SCRAM_NONCE}"     # ',' and '=' as =2C and =3D (RFC 5802 §5.1)
    out = {"empty_line": "", "scram_nonce": SCRAM_NONCE, "scram_first": first,
           "scram_first_b64": b64.encode(first.encode("utf-8")),
           "xoauth2_expired_b64": b64.encode(xoauth2.build(creds.user, EXPIRED_TOKEN)),
           "oauthbearer_expired_b64": b64.encode(oauthbearer.build(creds.user, EXPIRED_TOKEN))}
    if not view.live:      # lab tokens are the simulator's: a real server needs a real one
        token = tokens.issue(creds.user)
        out.update(token=token, xoauth2_b64=b64.encode(xoauth2.build(creds.user, token)),
                   oauthbearer_b64=b64.encode(oauthbearer.build(creds.user, token)))
    if creds.password is not None:
        out.update(_scram_final(creds.password, tuple(getattr(view, "messages", ())), view.mechanism))
    return out


def _scram_final(password: str, messages: tuple, mechanism: str | None) -> dict[str, str]:
    first, server_first, _ = scram.last_exchange(messages)
    if first is None or server_first is None:
        return {}
    hash_ = mechanism if mechanism and mechanism.upper().startswith("SCRAM-") else "SHA-256"
    try:
        steps = scram.steps(password, first, server_first, hash_)
    except InputError:
        return {}
    found = {step.label: step.value for step in steps}
    final = found["scram.step.client-final"]
    assert isinstance(final, bytes), "scram.steps gives the client-final message as bytes"
    return {"scram_final": final.decode("utf-8"), "scram_final_b64": b64.encode(final),
            "scram_signature": str(found["scram.step.server-signature"])}
