"""Is a TCP flow SMTP, and which end is the server: decided by content anywhere in the flow, so a capture
that starts after the greeting (or holds one direction only) is still read.

Server lines are replies (RFC 5321 §4.2: a three-digit code, then space or hyphen); client lines are commands
(§4.1) or AUTH exchange lines; a TLS handshake record (RFC 8446 §5.1: content type 22, version 3.x) at the start
of a direction is implicit TLS, on any port.
"""

from __future__ import annotations

import re

SCAN_LINES = 16                 # lines of each chunk looked at while a flow is undecided
_REPLY = re.compile(rb"(?:2[2-5][0-9]|3[35]4|4[2-5][0-9]|5[0-5][0-9])(?:[ -][^\r\n]*)?\r?$")
_COMMAND = re.compile(rb"(?:(?:EHLO|HELO|LHLO|AUTH|STARTTLS|QUIT|RSET|NOOP|DATA|BDAT|VRFY)(?:[ \t][^\r\n]*)?"
                      rb"|(?:MAIL FROM|RCPT TO):[^\r\n]*)\r?$", re.IGNORECASE)
_TLS_HANDSHAKE = re.compile(rb"\x16\x03[\x00-\x04][\x00-\x48].([\x01\x02])", re.DOTALL)
_TLS_RECORD = re.compile(rb"[\x14-\x17]\x03[\x01-\x04][\x00-\x48]", re.DOTALL)

SERVER, CLIENT = "server", "client"       # what the sender of a chunk is


def smtp_side(chunk: bytes) -> str | None:
    """SERVER when a line of the chunk is a reply, CLIENT when it is a command, None when neither shows.

    The first whole line decides; a fragment before the first newline (the capture may start mid-line) and a
    line still without its newline are looked at too, since a capture may cut every line (snap length).
    """
    for line in chunk.split(b"\n", SCAN_LINES)[:SCAN_LINES]:
        if _REPLY.match(line):
            return SERVER
        if _COMMAND.match(line):
            return CLIENT
    return None


def tls_side(chunk: bytes) -> str | None:
    """A TLS handshake record at the start: CLIENT for a ClientHello, SERVER for a ServerHello."""
    match = _TLS_HANDSHAKE.match(chunk)
    if match is None:
        return None
    return CLIENT if match.group(1) == b"\x01" else SERVER


def tls_record(chunk: bytes) -> bool:
    """Any TLS record header at the start (change_cipher_spec, alert, handshake, application_data): a capture
    that starts inside a TLS connection shows these, without a hello to tell the sides apart."""
    return _TLS_RECORD.match(chunk) is not None
