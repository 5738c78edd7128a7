"""GSSAPI: the Kerberos AP-REQ inside an RFC 2743 initial context token, clear fields only; hostile DER.

The tokens are built here by `token()` with a few lines of DER encoding (X.690), field by field as RFC 4120
§5.5.1 defines AP-REQ and Ticket; the reader under test never builds them. No KDC was run (none installed).
"""

from __future__ import annotations

import pytest

from tutor.errors import InputError
from tutor.sasl import der, gssapi

KERBEROS_OID = bytes.fromhex("06092a864886f712010202")        # 1.2.840.113554.1.2.2 (RFC 1964 §1)


def tlv(tag: int, value: bytes) -> bytes:
    size = len(value)
    head = bytes([size]) if size < 0x80 else bytes([0x80 | ((size.bit_length() + 7) // 8)]) + size.to_bytes(
        (size.bit_length() + 7) // 8, "big")
    return bytes([tag]) + head + value


def ctx(n: int, value: bytes) -> bytes:
    return tlv(0xA0 + n, value)


def integer(n: int) -> bytes:
    return tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big"))


def token(realm="EXAMPLE.ORG", service=("smtp", "mail.example.org"), etype=18, kvno=2, oid=KERBEROS_OID,
          token_id=b"\x01\x00") -> bytes:
    sname = tlv(0x30, ctx(0, integer(3)) + ctx(1, tlv(0x30, b"".join(tlv(0x1B, s.encode()) for s in service))))
    enc_part = tlv(0x30, ctx(0, integer(etype)) + ctx(1, integer(kvno)) + ctx(2, tlv(0x04, b"\xAA" * 200)))
    ticket = tlv(0x61, tlv(0x30, ctx(0, integer(5)) + ctx(1, tlv(0x1B, realm.encode())) + ctx(2, sname)
                           + ctx(3, enc_part)))
    authenticator = tlv(0x30, ctx(0, integer(etype)) + ctx(2, tlv(0x04, b"\xBB" * 100)))
    ap_req = tlv(0x6E, tlv(0x30, ctx(0, integer(5)) + ctx(1, integer(14)) + ctx(2, tlv(0x03, b"\x00\x20\x00\x00\x00"))
                           + ctx(3, ticket) + ctx(4, authenticator)))
    return tlv(0x60, oid + token_id + ap_req)


def test_the_clear_fields_of_the_ap_req():
    fields = gssapi.initial_token(token())
    assert fields["realm"] == "EXAMPLE.ORG" and fields["service"] == "smtp/mail.example.org"
    assert (fields["etype"], fields["etype_name"], fields["kvno"]) == (18, "aes256-cts-hmac-sha1-96", 2)
    assert fields["name_type"] == 3 and fields["authenticator_etype"] == 18


def test_rc4_tickets_are_named():
    assert gssapi.initial_token(token(etype=23))["etype_name"] == "rc4-hmac"


def test_oid_decoding():
    assert der.oid(KERBEROS_OID[2:]) == "1.2.840.113554.1.2.2"


@pytest.mark.parametrize("data, says", [
    (token(oid=bytes.fromhex("06062b0601050502")), "SPNEGO"),
    (token(token_id=b"\x02\x00"), "not 0100"),
    (token()[:40], "runs past the end"),
    (b"\x60\x84\xff\xff\xff\xff" + b"\x00" * 10, "runs past the end"),            # a 4 GiB length
    (b"\x60\x85\x01\x00\x00\x00\x00", "over 4 GiB"),
    (b"\x60\x80\x00\x00", "indefinite"),
    (b"\x60", "truncated"),
    (b"\x30" * 70000, "over the"),
    (tlv(0x60, KERBEROS_OID + b"\x01\x00" + b"\x6e\x02\x30\x00"), "not a Kerberos AP-REQ"),
])
def test_hostile_tokens_are_one_line_errors(data, says):
    with pytest.raises(InputError, match=says) as caught:
        gssapi.initial_token(data)
    assert "\n" not in str(caught.value)


def test_deep_nesting_is_bounded_by_the_data_not_recursion():
    deep = b"\x00"
    for _ in range(3000):
        deep = tlv(0x30, deep)
    with pytest.raises(InputError):
        gssapi.initial_token(tlv(0x60, KERBEROS_OID + b"\x01\x00" + tlv(0x6E, deep)))
