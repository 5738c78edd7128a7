"""The non-secret user name of a credential line, kept beside its redaction in a transcript (`"user"`).

A redacted recording still says who logged in: `--summary` and `--by user` need that, and the user name is
not the secret (LOGIN and SCRAM send it as its own message). Decoded by mechanism and message number.
"""

from __future__ import annotations

import base64
import binascii

from tutor.errors import InputError

MAX_USER = 256


def _b64(text: bytes) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True) if text.strip() not in (b"", b"=") else b""
    except (binascii.Error, ValueError):
        return None


def user_of(mechanism: str, number: int, data: bytes) -> str:
    """The user name client message `number` (1-based) of `mechanism` names, or "" (none, or not decodable)."""
    try:
        name = _user(mechanism.upper(), number, data)
    except (InputError, UnicodeDecodeError, ValueError, IndexError, KeyError):
        return ""
    return name[:MAX_USER]


def _user(mech: str, number: int, data: bytes) -> str:
    if mech == "PLAIN":
        parts = data.split(b"\x00")
        return parts[1].decode("utf-8") if len(parts) == 3 else ""
    if mech == "LOGIN":
        return data.decode("utf-8") if number == 1 else ""
    if mech == "CRAM-MD5":
        return data.rpartition(b" ")[0].decode("utf-8")
    if mech.startswith("SCRAM-") and number == 1:
        bare = data.decode("utf-8").split(",", 2)[2]
        user = next((p[2:] for p in bare.split(",") if p.startswith("n=")), "")
        return user.replace("=2C", ",").replace("=3D", "=")
    if mech == "DIGEST-MD5":
        from tutor.sasl import digest_md5
        return digest_md5.parse_response(data)["username"] if b"username" in data else ""
    if mech == "NTLM":
        from tutor.sasl import ntlm
        parsed = ntlm.parse(data)
        return parsed.get("user", "") if parsed["kind"] == "authenticate" else ""
    if mech == "XOAUTH2":
        first = data.split(b"\x01")[0]
        return first[5:].decode("utf-8") if first.startswith(b"user=") else ""
    return ""


class UserTracker:
    """Follows the client lines of a session to know which AUTH message each one is."""

    def __init__(self) -> None:
        self.mechanism, self.number = "", 0

    def client_line(self, data: bytes) -> str:
        """The user name this client line carries ("" if none); call for every client line, in order."""
        words = data.split(None, 2)
        if len(words) >= 2 and words[0].upper() == b"AUTH":
            self.mechanism, self.number = words[1].decode("ascii", "replace"), 0
            if len(words) == 3:
                self.number = 1
                decoded = _b64(words[2])
                return user_of(self.mechanism, 1, decoded) if decoded else ""
            return ""
        if not self.mechanism:
            return ""
        self.number += 1
        decoded = _b64(data)
        return user_of(self.mechanism, self.number, decoded) if decoded else ""

    def server_line(self, data: bytes) -> None:
        """A server reply other than 334 ends the exchange."""
        if data[:3] != b"334" and data[:1].isdigit():
            self.mechanism, self.number = "", 0
