"""NTLM (MS-NLMP) decoding, NTLMv2 checking and hashcat lines, on published vectors.

Vectors: MS-NLMP §4.2 "Cryptographic Values for Validation" as quoted verbatim by several independent test
suites (found with the search tool): user "User", domain "Domain", password "Password", server challenge
0123456789abcdef; NT hash a4f49c40..., NTOWFv2 0c868a40..., NTLMv1 response 67c43011..., NTLMv2
NTProofStr 68cd0ab8... with its blob. And hashcat's own self-test hashes (src/modules/module_05600.c and
module_05500.c, password "hashcat"). RFC 1320 §A.5's MD4 test suite checks the MD4 used for NT hashes.
The AUTHENTICATE messages are built here by `authenticate()` below, field by field as MS-NLMP 2.2.1.3 lays
them out; the decoder under test never builds them.
"""

from __future__ import annotations

import struct

import pytest

from tutor.errors import InputError
from tutor.sasl import ntlm
from tutor.sasl.md4 import md4

SERVER_CHALLENGE = bytes.fromhex("0123456789abcdef")
V1_RESPONSE = bytes.fromhex("67c43011f30298a2ad35ece64f16331c44bdbed927841f94")
V1_LM = bytes.fromhex("98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13")
V2_RESPONSE = bytes.fromhex("68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa"
                            "0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000")
HASHCAT_5600 = ("0UL5G37JOI0SX::6VB1IS0KA74:ebe1afa18b7fbfa6:aab8bf8675658dd2a939458a1077ba08:"
                "010100000000000031c8aa092510945398b9f7b7dde1a9fb00000000f7876f2b04b700")


def authenticate(user: str, domain: str, workstation: str, lm: bytes, nt: bytes, flags: int = 0xE2888235) -> bytes:
    """An AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3): 64-byte header of (Len, MaxLen, Offset) fields, then payload."""
    payload, fields, offset = b"", [], 64
    for value in (lm, nt, domain.encode("utf-16-le"), user.encode("utf-16-le"), workstation.encode("utf-16-le"), b""):
        fields.append(struct.pack("<HHI", len(value), len(value), offset))
        payload, offset = payload + value, offset + len(value)
    return b"NTLMSSP\x00" + struct.pack("<I", 3) + b"".join(fields) + struct.pack("<I", flags) + payload


def challenge(server_challenge: bytes, flags: int = 0xE28A8235) -> bytes:
    """A CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) with target name "Server" and no target info."""
    target = "Server".encode("utf-16-le")
    return (b"NTLMSSP\x00" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), 48)
            + struct.pack("<I", flags) + server_challenge + b"\x00" * 8 + struct.pack("<HHI", 0, 0, 0) + target)


@pytest.mark.parametrize("message, digest", [(b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
                                             (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
                                             (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
                                             (b"message digest", "d9130a8164549fe818874806e1c7014b"),
                                             (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536")])
def test_md4_rfc1320_test_suite(message, digest):
    assert md4(message).hex() == digest


def test_ms_nlmp_nt_hash_and_ntowfv2():
    assert ntlm.nt_hash("Password").hex() == "a4f49c406510bdcab6824ee7c30fd852"
    assert ntlm.ntowf_v2("Password", "User", "Domain").hex() == "0c868a403bfd7a93a3001ef22ef02e3f"


def test_ms_nlmp_ntlmv2_response_checks_the_password():
    assert ntlm.v2_matches("Password", "User", "Domain", SERVER_CHALLENGE, V2_RESPONSE)
    assert ntlm.v2_matches("Password", "USER", "Domain", SERVER_CHALLENGE, V2_RESPONSE)    # user upper-cased
    assert not ntlm.v2_matches("Password", "User", "DOMAIN", SERVER_CHALLENGE, V2_RESPONSE)
    assert not ntlm.v2_matches("password", "User", "Domain", SERVER_CHALLENGE, V2_RESPONSE)


def test_authenticate_fields_and_version_by_nt_response_length():
    v2 = ntlm.parse(authenticate("User", "Domain", "COMPUTER", b"\x00" * 24, V2_RESPONSE))
    assert (v2["user"], v2["domain"], v2["workstation"], v2["version"]) == ("User", "Domain", "COMPUTER", "NTLMv2")
    assert "UNICODE" in ntlm.flag_names(v2["flags"]) and "KEY_EXCH" in ntlm.flag_names(v2["flags"])
    v1 = ntlm.parse(authenticate("User", "Domain", "COMPUTER", V1_LM, V1_RESPONSE))
    assert v1["version"] == "NTLMv1"


def test_challenge_message_server_challenge_and_target():
    parsed = ntlm.parse(challenge(SERVER_CHALLENGE))
    assert parsed["server_challenge"] == SERVER_CHALLENGE and parsed["target"] == "Server"
    assert {"TARGET_TYPE_SERVER", "EXTENDED_SESSIONSECURITY"} <= set(ntlm.flag_names(parsed["flags"]))


def test_hashcat_5600_line_is_hashcats_own_self_test_hash():
    user, _, domain, srv, proof, blob = HASHCAT_5600.split(":")
    parsed = ntlm.parse(authenticate(user, domain, "", b"\x00" * 24, bytes.fromhex(proof + blob)))
    assert ntlm.hashcat_line(parsed, bytes.fromhex(srv)) == (5600, HASHCAT_5600)
    assert ntlm.v2_matches("hashcat", user, domain, bytes.fromhex(srv), bytes.fromhex(proof + blob))


def test_hashcat_5500_line_has_hashcats_layout():
    parsed = ntlm.parse(authenticate("User", "Domain", "COMPUTER", V1_LM, V1_RESPONSE))
    mode, line = ntlm.hashcat_line(parsed, SERVER_CHALLENGE)
    assert mode == 5500 and line == f"User::Domain:{V1_LM.hex()}:{V1_RESPONSE.hex()}:{SERVER_CHALLENGE.hex()}"


@pytest.mark.parametrize("data", [
    b"", b"NTLMSSP\x00", b"NTLMSSP\x00\x09\x00\x00\x00", b"NOTNTLM\x00\x03\x00\x00\x00" + b"\x00" * 60,
    b"NTLMSSP\x00\x03\x00\x00\x00" + b"\x00" * 20,                                       # truncated header
    authenticate("u", "d", "w", b"", b"")[:36] + struct.pack("<HHI", 8, 8, 0xFFFFFFF0) + b"\x00" * 20,
    authenticate("u", "d", "w", b"", b"")[:36] + struct.pack("<HHI", 0xFFFF, 0xFFFF, 64) + b"\x00" * 20,
    b"NTLMSSP\x00\x02\x00\x00\x00" + struct.pack("<HHI", 100, 100, 40) + b"\x00" * 20,  # challenge, bad target
    b"NTLMSSP\x00\x01\x00\x00\x00" + b"\x00" * (ntlm.MAX_MESSAGE),                     # oversized
])
def test_hostile_messages_are_one_line_errors(data):
    with pytest.raises(InputError) as caught:
        ntlm.parse(data)
    assert "\n" not in str(caught.value)


def test_the_registry_knows_ntlm_as_decode_only():
    from tutor.sasl import get
    from tutor.sasl.base import Credentials
    with pytest.raises(InputError, match="decode-only"):
        get("ntlm").client(Credentials("u", "p"))
