"""Recognises what a decoded SASL payload is and splits it into labelled fields.

PLAIN blob, LOGIN prompt, CRAM-MD5 challenge or response, SCRAM and bearer messages...; shared by the decode
helper, the REPL's inline notes and the tracer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tutor.errors import InputError
from tutor.sasl import cram_md5, login, oauthbearer, plain, scram, xoauth2

_CRAM_RESPONSE = re.compile(rb"^(.+) ([0-9a-fA-F]{32})$", re.DOTALL)


@dataclass(frozen=True)
class Field:
    """One labelled part of a payload; `label` is a key under `identify.field.*` in tutor/data."""

    label: str
    value: bytes | str
    secret: bool = False


@dataclass(frozen=True)
class Identified:
    """What a payload is: `kind` is a key under `identify.kind.*`; `problems` are note keys."""

    kind: str
    fields: tuple[Field, ...] = ()
    problems: tuple[str, ...] = ()
    mechanism: str = ""


def identify(data: bytes, mechanism: str = "", from_server: bool | None = None) -> Identified:
    """Best guess at what `data` is. `mechanism` (from the AUTH command) and direction sharpen the guess."""
    mech = mechanism.upper()
    # SCRAM and OAUTHBEARER come before the CRAM-MD5 response test: a SCRAM nonce can look like a hex digest.
    for test in (_empty, _login_prompt, _cram_challenge, _scram, _oauthbearer, _plain, _cram_response, _xoauth2,
                 _json_error):
        found = test(data, mech, from_server)
        if found is not None:
            return found
    if mech == "LOGIN" and from_server is not True:
        return Identified("login-value", (Field("value", data, True),), mechanism="LOGIN")
    return Identified("unknown", (Field("bytes", data),), mechanism=mech)


def _empty(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if data:
        return None
    return Identified("empty-challenge" if from_server else "empty", mechanism=mech)


def _login_prompt(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if from_server is False:
        return None
    for prompts in login.PROMPTS.values():
        for which, prompt in zip(("username", "password"), prompts, strict=True):
            if data.lower() == prompt.lower():
                return Identified(f"login-prompt-{which}", (Field("prompt", data),),
                                  ("identify.problem.draft-nul",) if data.endswith(b"\0") else (), "LOGIN")
    return None


def _cram_challenge(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if from_server is False or not data.startswith(b"<"):
        return None
    return Identified("cram-challenge", (Field("challenge", data),), tuple(cram_md5.check_challenge(data)), "CRAM-MD5")


def _plain(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if from_server or data.count(b"\0") != 2 or mech not in ("", "PLAIN"):
        return None
    try:
        fields = plain.parse(data)
    except InputError:
        return None
    return Identified("plain-message", (Field("authzid", fields.authzid), Field("authcid", fields.authcid),
                                        Field("password", fields.password, True)), mechanism="PLAIN")


def _cram_response(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if from_server or mech not in ("", "CRAM-MD5"):
        return None
    match = _CRAM_RESPONSE.match(data)
    if not match:
        return None
    return Identified("cram-response", (Field("user", match.group(1).decode("utf-8", "replace")),
                                        Field("digest", match.group(2).decode("ascii"))), mechanism="CRAM-MD5")


def _xoauth2(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if from_server or not data.startswith(b"user=") or b"\x01auth=" not in data:
        return None
    try:
        user, token = xoauth2.parse(data)
    except InputError:
        return None
    return Identified("xoauth2", (Field("user", user), Field("token", token, True)), mechanism="XOAUTH2")


_SCRAM_FROM_SERVER = {"client-first": False, "client-final": False, "server-first": True, "server-final": True,
                      "server-error": True}
_SCRAM_FIELDS = {   # scram.parse_message attribute -> identify.field.* label (none of them is a secret)
    "gs2-header": "gs2-header", "a": "authzid", "n": "user", "r": "nonce", "s": "salt", "i": "iterations",
    "c": "channel-binding", "p": "proof", "v": "server-signature", "e": "scram-error",
}


def _scram_mechanism(attrs: dict[str, str], mech: str) -> str:
    """The AUTH line's mechanism; else guessed from the proof/signature length (20 octets SHA-1, 32 SHA-256)."""
    if mech:
        return mech
    value = attrs.get("p") or attrs.get("v") or ""
    return {28: "SCRAM-SHA-1", 44: "SCRAM-SHA-256"}.get(len(value), "SCRAM")


def _scram(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if (mech and not mech.startswith("SCRAM-")) or b"\x01" in data:
        return None
    try:
        attrs = scram.parse_message(data)
    except InputError:
        return None
    kind = attrs["kind"]
    if from_server is not None and _SCRAM_FROM_SERVER[kind] != from_server:
        return None
    fields = tuple(Field(_SCRAM_FIELDS[key], value) for key, value in attrs.items() if key in _SCRAM_FIELDS)
    problems: tuple[str, ...] = ()
    if kind == "server-first" and int(attrs["i"]) < scram.MIN_ITERATIONS:
        problems = ("identify.problem.scram-low-iterations",)      # RFC 7677 §4: SHOULD be at least 4096
    return Identified("scram-" + kind, fields, problems, _scram_mechanism(attrs, mech))


def _oauthbearer(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if from_server or mech not in ("", "OAUTHBEARER"):
        return None
    if data == b"\x01":     # RFC 7628 §3.2.3: the client's required answer to an error challenge
        return Identified("oauthbearer-ack", (), (), "OAUTHBEARER")
    if b"\x01" not in data:
        return None
    try:
        msg = oauthbearer.parse(data)
    except InputError:
        return None
    fields = (Field("authzid", msg.authzid), Field("host", msg.host), Field("port", str(msg.port or "")),
              Field("token", msg.token, True))
    return Identified("oauthbearer", tuple(f for f in fields if f.value or f.label == "token"), (), "OAUTHBEARER")


def _json_error(data: bytes, mech: str, from_server: bool | None) -> Identified | None:
    if from_server is False or not data.lstrip().startswith(b"{"):
        return None
    try:
        obj = json.loads(data)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    return Identified("oauth-error", tuple(Field(str(k), str(v)) for k, v in obj.items()), mechanism=mech)
