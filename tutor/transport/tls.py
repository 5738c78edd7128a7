"""Client-side TLS for live servers: the context, the handshake, what it established, and one-line errors.

Certificates are verified by default (system store + host name check); `cafile` trusts one CA file
instead, `insecure` checks nothing and says so loudly. The same handshake serves STARTTLS (RFC 3207, on
a socket that already spoke SMTP) and implicit TLS (RFC 8314 §3.3, before the greeting).
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import stat

from tutor import explain
from tutor.errors import InputError, TransportError
from tutor.transport import keylog as keylog_mod
from tutor.transport.base import TlsInfo

T = explain.text

# X509_V_ERR_* codes (openssl/x509_vfy.h) -> key of the words in transport.toml [tls-error]
VERIFY_KEYS = {9: "not-yet-valid", 10: "expired", 18: "self-signed", 19: "self-signed-chain",
               2: "unknown-ca", 20: "unknown-ca", 21: "unknown-ca", 62: "hostname", 64: "hostname"}
# ssl.SSLError.reason values that mean "the bytes that came back were not TLS at all"
NOT_TLS = {"WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "HTTP_REQUEST",
           "UNKNOWN_PROTOCOL"}
PROTOCOL = {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE"}


def client_context(*, insecure: bool = False, cafile: str | None = None, keylog: str | None = None) -> ssl.SSLContext:
    """Verify against the system store (or only `cafile`) with host name check; `insecure` turns both off.

    Contexts are kept and reused (reading a CA store costs 0.3 ms to tens of ms); a changed CA file
    (new size or time) makes a new one. A kept context is never modified.
    """
    keylog = keylog_mod.resolve(keylog)                  # --keylog FILE or SSLKEYLOGFILE (tutor.transport.keylog)
    key = (insecure, cafile, _stamp(cafile), keylog)
    context = _CONTEXTS.get(key)
    if context is None:
        if len(_CONTEXTS) >= 8:
            _CONTEXTS.clear()
        if keylog:
            keylog_mod.prepare(keylog)       # made 0600 before ssl opens it (which would use the umask)
        context = _new_context(insecure, cafile)
        _log_keys(context, keylog)
        _CONTEXTS[key] = context
    return context


def _log_keys(context: ssl.SSLContext, keylog: str | None) -> None:
    """Set the NSS key log explicitly (create_default_context also reads SSLKEYLOGFILE; this is the same file)."""
    try:
        context.keylog_filename = keylog   # type: ignore[assignment]  # None: no key log (typeshed says str only)
    except OSError as exc:
        raise InputError(T("transport_keylog.cannot", path=keylog, reason=exc.strerror or exc)) from None


_CONTEXTS: dict[tuple, ssl.SSLContext] = {}


def _stamp(cafile: str | None) -> tuple[int, int] | None:
    try:
        found = os.stat(cafile) if cafile else None
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size) if found else None


MAX_CAFILE = 16 * 1024 * 1024   # a whole system CA bundle is well under 1 MB


def _check_cafile(cafile: str) -> None:
    """A CA file is a regular file of bounded size: /dev/zero or a pipe is not read at all."""
    try:
        found = os.stat(cafile)
    except OSError:
        return      # ssl says what is wrong with a missing file, in the same one line
    if not stat.S_ISREG(found.st_mode):
        raise InputError(T("transport.error.cafile", path=cafile, reason="not a regular file"))
    if found.st_size > MAX_CAFILE:
        raise InputError(T("transport.error.cafile", path=cafile,
                           reason=f"larger than {MAX_CAFILE // (1024 * 1024)} MB, so not a CA file"))


def _new_context(insecure: bool, cafile: str | None) -> ssl.SSLContext:
    if cafile:
        _check_cafile(cafile)
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise InputError(T("transport.error.cafile", path=cafile, reason=reason)) from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2   # RFC 8996: TLS 1.0 and 1.1 are deprecated
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def handshake(sock: socket.socket, context: ssl.SSLContext, server_hostname: str, timeout: float) -> ssl.SSLSocket:
    """Wrap `sock` and finish the handshake within `timeout`; TransportError (one line) on any failure.

    On failure (or Ctrl-C) the socket is closed: a half-done handshake cannot be used for anything.
    """
    tls_sock: ssl.SSLSocket | None = None
    try:
        tls_sock = context.wrap_socket(sock, server_hostname=server_hostname, do_handshake_on_connect=False)
        tls_sock.settimeout(timeout)
        tls_sock.do_handshake()
        return tls_sock
    except (OSError, ValueError) as exc:
        _close(tls_sock or sock)
        raise TransportError(error_line(exc, server_hostname, timeout)) from None
    except BaseException:
        _close(tls_sock or sock)
        raise


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def error_line(exc: BaseException, host: str, timeout: float = 0.0) -> str:
    """One line saying why the handshake failed and what the learner can do about it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        key = VERIFY_KEYS.get(exc.verify_code or 0, "verify")
        return T(f"transport.tls-error.{key}", host=host, detail=exc.verify_message or str(exc))
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, BrokenPipeError)):
        return T("transport.tls-error.closed", host=host)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return T("transport.tls-error.timeout", host=host, seconds=f"{timeout:g}")
    reason = getattr(exc, "reason", None) or ""
    if reason in NOT_TLS:
        return T("transport.tls-error.not-tls", host=host)
    if reason in PROTOCOL:
        return T("transport.tls-error.protocol", host=host, detail=reason.lower().replace("_", " "))
    detail = reason.lower().replace("_", " ") if reason else (getattr(exc, "strerror", None) or str(exc))
    return T("transport.tls-error.handshake", host=host, detail=detail)


def describe(tls_sock: ssl.SSLSocket, *, verified: bool, discarded: int = 0) -> TlsInfo:
    """The TlsInfo of a finished handshake: version, cipher, and the certificate's subject, issuer, expiry."""
    cipher = tls_sock.cipher()
    facts = cert_facts(tls_sock.getpeercert(binary_form=True) or b"")
    return TlsInfo(tls_sock.version() or "TLS", cipher[0] if cipher else "", verified,
                   peer=facts.get("subject", ""), subject=facts.get("subject", ""),
                   issuer=facts.get("issuer", ""), not_after=facts.get("not_after", ""), discarded=discarded)


# ---- a small DER reader: the certificate is shown even with --insecure, when getpeercert() gives {} --------
NAMES = {b"\x55\x04\x03": "CN", b"\x55\x04\x06": "C", b"\x55\x04\x07": "L", b"\x55\x04\x08": "ST",
         b"\x55\x04\x0a": "O", b"\x55\x04\x0b": "OU",
         b"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01": "emailAddress"}


def cert_facts(der: bytes) -> dict[str, str]:
    """subject, issuer ("CN=..., O=...") and not_after ("YYYY-MM-DD HH:MM UTC") of a DER certificate;
    {} if it cannot be read (RFC 5280 §4.1: TBSCertificate = version, serial, signature, issuer,
    validity, subject, ...)."""
    try:
        _, start, end = _tlv(der, 0)
        _, start, end = _tlv(der, start)                  # tbsCertificate
        parts = list(_children(der, start, end))
        if parts and parts[0][0] == 0xA0:                 # [0] EXPLICIT version
            parts = parts[1:]
        issuer, validity, subject = parts[2], parts[3], parts[4]
        times = list(_children(der, validity[1], validity[2]))
        return {"subject": _name(der, subject), "issuer": _name(der, issuer),
                "not_after": _time(der, times[1]).strftime("%Y-%m-%d %H:%M UTC")}
    except (IndexError, ValueError):
        return {}


def _tlv(data: bytes, i: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at i (X.690 §8.1)."""
    tag, length = data[i], data[i + 1]
    i += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[i:i + count], "big")
        i += count
    if i + length > len(data):
        raise ValueError("truncated DER")
    return tag, i, i + length


def _children(data: bytes, start: int, end: int):
    while start < end:
        element = _tlv(data, start)
        yield element
        start = element[2]


def _name(data: bytes, element: tuple[int, int, int]) -> str:
    out = []
    for _set in _children(data, element[1], element[2]):
        for _tag, start, end in _children(data, _set[1], _set[2]):
            oid, value = list(_children(data, start, end))[:2]
            label = NAMES.get(data[oid[1]:oid[2]])
            if label:
                out.append(f"{label}={data[value[1]:value[2]].decode('utf-8', 'replace')}")
    return ", ".join(out)


def _time(data: bytes, element: tuple[int, int, int]) -> datetime.datetime:
    """UTCTime YYMMDDHHMMSSZ (years 1950-2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime YYYYMMDDHHMMSSZ."""
    text = data[element[1]:element[2]].decode("ascii")
    if element[0] == 0x17:
        year = int(text[:2])
        text = str(year + (1900 if year >= 50 else 2000)) + text[2:]
    if len(text) != 15 or not text.endswith("Z"):
        raise ValueError("unexpected time format")
    year, month, day, hour, minute, second = (int(text[i:j]) for i, j in ((0, 4), (4, 6), (6, 8), (8, 10),
                                                                        (10, 12), (12, 14)))
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.UTC)
