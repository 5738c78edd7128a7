"""GSSAPI (RFC 4752) as a listener sees it: the Kerberos AP-REQ in the initial context token, clear fields only.

Framing: RFC 2743 §3.1 (0x60, the mechanism OID, the inner token); Kerberos: RFC 1964's token id 01 00, then
RFC 4120 §5.5.1's AP-REQ. The authenticator and the ticket's enc-part are encrypted and stay unread.
"""

from __future__ import annotations

from typing import NoReturn

from tutor.errors import InputError
from tutor.sasl import der

NAME = "GSSAPI"
KERBEROS_OID = "1.2.840.113554.1.2.2"
SPNEGO_OID = "1.3.6.1.5.5.2"
MAX_TOKEN = 64 * 1024
AP_REQ_TOKEN_ID = b"\x01\x00"
ENCTYPES = {1: "des-cbc-crc", 3: "des-cbc-md5", 16: "des3-cbc-sha1", 17: "aes128-cts-hmac-sha1-96",
            18: "aes256-cts-hmac-sha1-96", 19: "aes128-cts-hmac-sha256-128", 20: "aes256-cts-hmac-sha384-192",
            23: "rc4-hmac", 24: "rc4-hmac-exp"}


def initial_token(data: bytes) -> dict:
    """realm, service (sname joined by "/"), name-type, enc-type and kvno of the ticket; InputError otherwise."""
    if len(data) > MAX_TOKEN:
        raise InputError(f"GSSAPI token of {len(data)} bytes, over the {MAX_TOKEN}-byte bound")
    outer, _ = der.read(data)
    inner = der.expect(outer, 0x60, "the GSS-API initial context token (RFC 2743 §3.1)")
    mech, after = der.read(inner)
    mech_oid = der.oid(der.expect(mech, 0x06, "the mechanism OID"))
    if mech_oid != KERBEROS_OID:
        name = "SPNEGO" if mech_oid == SPNEGO_OID else "not Kerberos V5"
        raise InputError(f"GSS-API mechanism {mech_oid} ({name}), not Kerberos V5 ({KERBEROS_OID})")
    body = inner[after:]
    if not body.startswith(AP_REQ_TOKEN_ID):
        raise InputError(f"Kerberos token id {body[:2].hex() or 'missing'}, not 0100 (AP-REQ)")
    return ap_req(body[2:])


def ap_req(data: bytes) -> dict:
    """RFC 4120 §5.5.1: AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno, msg-type, ap-options, ticket, authenticator }."""
    outer, _ = der.read(data)
    fields = der.tagged(der.expect(der.read(der.expect(outer, 0x6E, "AP-REQ"))[0], 0x30, "AP-REQ SEQUENCE"))
    if 3 not in fields or der.integer(fields.get(1, der.TLV(2, b"\x00")), "msg-type") != 14:
        raise InputError("not a Kerberos AP-REQ (msg-type 14 with a ticket)")
    ticket = der.tagged(der.expect(der.read(der.expect(fields[3], 0x61, "Ticket"))[0], 0x30, "Ticket SEQUENCE"))
    if not {1, 2, 3} <= set(ticket):
        raise InputError("Kerberos Ticket lacks realm, sname or enc-part")
    sname = der.tagged(der.expect(ticket[2], 0x30, "sname"))
    names = [der.expect(n, 0x1B, "KerberosString").decode("utf-8", "replace")
             for n in der.children(der.expect(sname[1], 0x30, "name-string"))] if 1 in sname else []
    enc = der.tagged(der.expect(ticket[3], 0x30, "enc-part"))
    etype = der.integer(enc[0], "etype") if 0 in enc else None
    out = {"realm": der.expect(ticket[1], 0x1B, "realm").decode("utf-8", "replace"), "service": "/".join(names),
           "name_type": der.integer(sname[0], "name-type") if 0 in sname else None, "etype": etype,
           "etype_name": ENCTYPES.get(etype, "unknown") if etype is not None else "?",
           "kvno": der.integer(enc[1], "kvno") if 1 in enc else None}
    if 4 in fields:
        auth = der.tagged(der.expect(fields[4], 0x30, "authenticator"))
        out["authenticator_etype"] = der.integer(auth[0], "etype") if 0 in auth else None
    return out


def decode_only(*args: object, **kwargs: object) -> NoReturn:
    """No simulated Kerberos: the tracer decodes GSSAPI; a one-line error otherwise (the registry's client and
    server for GSSAPI)."""
    raise InputError("GSSAPI is decode-only in smtp-tutor (no KDC in the simulator): `trace` reads its tokens")
