"""NTLM over SMTP AUTH (Microsoft's NTLMSSP, MS-NLMP): decode the three messages, check an NTLMv2 password.

Decode-only in the tutor (no simulated server): every field offset is bounds-checked, since a capture is
hostile input. Layouts: MS-NLMP 2.2.1.1 NEGOTIATE, 2.2.1.2 CHALLENGE, 2.2.1.3 AUTHENTICATE; flags 2.2.2.5.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import NoReturn

from tutor.errors import InputError

NAME = "NTLM"
SIGNATURE = b"NTLMSSP\x00"
MAX_MESSAGE = 64 * 1024
KINDS = {1: "negotiate", 2: "challenge", 3: "authenticate"}
FLAGS = {0x00000001: "UNICODE", 0x00000002: "OEM", 0x00000004: "REQUEST_TARGET", 0x00000010: "SIGN",
         0x00000020: "SEAL", 0x00000040: "DATAGRAM", 0x00000080: "LM_KEY", 0x00000200: "NTLM",
         0x00000800: "ANONYMOUS", 0x00001000: "OEM_DOMAIN_SUPPLIED", 0x00002000: "OEM_WORKSTATION_SUPPLIED",
         0x00008000: "ALWAYS_SIGN", 0x00010000: "TARGET_TYPE_DOMAIN", 0x00020000: "TARGET_TYPE_SERVER",
         0x00080000: "EXTENDED_SESSIONSECURITY", 0x00100000: "IDENTIFY", 0x00400000: "REQUEST_NON_NT_SESSION_KEY",
         0x00800000: "TARGET_INFO", 0x02000000: "VERSION", 0x20000000: "128", 0x40000000: "KEY_EXCH",
         0x80000000: "56"}
UNICODE = 0x00000001


def flag_names(flags: int) -> list[str]:
    """The names of the set NegotiateFlags bits (MS-NLMP 2.2.2.5), unknown ones as hex."""
    named = [name for bit, name in FLAGS.items() if flags & bit]
    rest = flags & ~sum(FLAGS)
    return named + ([f"0x{rest:08x}"] if rest else [])


def _u16(data: bytes, at: int) -> int:
    return struct.unpack_from("<H", data, at)[0]


def _u32(data: bytes, at: int) -> int:
    return struct.unpack_from("<I", data, at)[0]


def _field(data: bytes, at: int, what: str) -> bytes:
    """A (Len, MaxLen, BufferOffset) field's bytes, checked to lie inside the message."""
    if at + 8 > len(data):
        raise InputError(f"NTLM message too short for its {what} field ({len(data)} bytes)")
    length, offset = _u16(data, at), _u32(data, at + 4)
    if length and (offset > len(data) or offset + length > len(data)):
        raise InputError(f"NTLM {what} points outside the message (offset {offset}, length {length}, "
                         f"message {len(data)} bytes)")
    return data[offset:offset + length]


def _text(raw: bytes, flags: int) -> str:
    return raw.decode("utf-16-le", "replace") if flags & UNICODE else raw.decode("latin-1")


def parse(data: bytes) -> dict:
    """One NTLMSSP message as a dict: kind, flags, and the fields of its type; InputError if malformed."""
    if len(data) > MAX_MESSAGE:
        raise InputError(f"NTLM message of {len(data)} bytes, over the {MAX_MESSAGE}-byte bound")
    if len(data) < 12 or not data.startswith(SIGNATURE):
        raise InputError("not an NTLMSSP message (no 'NTLMSSP\\0' signature)")
    kind = KINDS.get(_u32(data, 8))
    if kind is None:
        raise InputError(f"unknown NTLM message type {_u32(data, 8)}")
    return {"negotiate": _negotiate, "challenge": _challenge, "authenticate": _authenticate}[kind](data)


def _need(data: bytes, size: int, kind: str) -> None:
    if len(data) < size:
        raise InputError(f"NTLM {kind} message truncated: {len(data)} bytes, its header needs {size}")


def _negotiate(data: bytes) -> dict:
    _need(data, 16, "negotiate")
    flags = _u32(data, 12)
    out = {"kind": "negotiate", "flags": flags}
    if len(data) >= 32:
        out["domain"] = _field(data, 16, "DomainName").decode("latin-1")       # OEM, MS-NLMP 2.2.1.1
        out["workstation"] = _field(data, 24, "Workstation").decode("latin-1")
    return out


def _challenge(data: bytes) -> dict:
    _need(data, 32, "challenge")
    flags = _u32(data, 20)
    out = {"kind": "challenge", "flags": flags, "target": _text(_field(data, 12, "TargetName"), flags),
           "server_challenge": data[24:32]}
    if len(data) >= 48:
        out["target_info"] = _field(data, 40, "TargetInfo")
    return out


def _authenticate(data: bytes) -> dict:
    _need(data, 64, "authenticate")
    flags = _u32(data, 60)
    nt = _field(data, 20, "NtChallengeResponse")
    return {"kind": "authenticate", "flags": flags, "lm_response": _field(data, 12, "LmChallengeResponse"),
            "nt_response": nt, "domain": _text(_field(data, 28, "DomainName"), flags),
            "user": _text(_field(data, 36, "UserName"), flags),
            "workstation": _text(_field(data, 44, "Workstation"), flags), "version": version(nt)}


def version(nt_response: bytes) -> str:
    """NTLMv1 answers with 24 bytes, NTLMv2 with a 16-byte NTProofStr and a blob (MS-NLMP 3.3.1, 3.3.2)."""
    if len(nt_response) == 24:
        return "NTLMv1"
    if len(nt_response) > 24:
        return "NTLMv2"
    return "anonymous" if not nt_response else "unknown"


def nt_hash(password: str) -> bytes:
    """NTOWFv1: MD4(UNICODE(Passwd)) (MS-NLMP 3.3.1)."""
    from tutor.sasl.md4 import md4
    return md4(password.encode("utf-16-le"))


def ntowf_v2(password: str, user: str, domain: str) -> bytes:
    """NTOWFv2: HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(Uppercase(User) + UserDom)) (MS-NLMP 3.3.2)."""
    return hmac.new(nt_hash(password), (user.upper() + domain).encode("utf-16-le"), hashlib.md5).digest()


def v2_matches(password: str, user: str, domain: str, server_challenge: bytes, nt_response: bytes) -> bool:
    """NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge + temp), temp the rest of the response (MS-NLMP 3.3.2)."""
    proof, blob = nt_response[:16], nt_response[16:]
    key = ntowf_v2(password, user, domain)
    return hmac.compare_digest(hmac.new(key, server_challenge + blob, hashlib.md5).digest(), proof)


def hashcat_line(auth: dict, server_challenge: bytes) -> tuple[int, str] | None:
    """(mode, line) for hashcat: 5600 `user::domain:challenge:NTProofStr:blob`, 5500
    `user::domain:lm:nt:challenge` (the layouts of hashcat's module_05600.c / module_05500.c)."""
    user, domain, nt = auth["user"], auth["domain"], auth["nt_response"]
    if any(":" in v or "\n" in v for v in (user, domain)) or len(server_challenge) != 8:
        return None
    if auth["version"] == "NTLMv2":
        return 5600, f"{user}::{domain}:{server_challenge.hex()}:{nt[:16].hex()}:{nt[16:].hex()}"
    if auth["version"] == "NTLMv1":
        return 5500, f"{user}::{domain}:{auth['lm_response'].hex()}:{nt.hex()}:{server_challenge.hex()}"
    return None


def decode_only(*args: object, **kwargs: object) -> NoReturn:
    """NTLM has no simulated client or server in the tutor: the tracer decodes it; a one-line error otherwise
    (the registry's client and server for NTLM)."""
    raise InputError("NTLM is decode-only in smtp-tutor: `trace` reads it, the simulator does not offer it")
