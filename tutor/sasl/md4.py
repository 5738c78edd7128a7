"""MD4 (RFC 1320), only to check an NTLM password guess (`trace --password`): OpenSSL 3 dropped it from hashlib.

MD4 is broken; nothing here uses it for security, only to recompute the NT hash MS-NLMP defines with it.
"""

from __future__ import annotations

import struct

MASK = 0xFFFFFFFF


def _rotl(value: int, shift: int) -> int:
    value &= MASK
    return ((value << shift) | (value >> (32 - shift))) & MASK


def _rounds(state: list[int], x: tuple[int, ...]) -> None:
    a, b, c, d = state
    f = lambda x_, y, z: (x_ & y) | (~x_ & z)                      # noqa: E731  (RFC 1320 §3.4)
    g = lambda x_, y, z: (x_ & y) | (x_ & z) | (y & z)             # noqa: E731
    h = lambda x_, y, z: x_ ^ y ^ z                                # noqa: E731
    for i in (0, 4, 8, 12):
        a = _rotl(a + f(b, c, d) + x[i], 3)
        d = _rotl(d + f(a, b, c) + x[i + 1], 7)
        c = _rotl(c + f(d, a, b) + x[i + 2], 11)
        b = _rotl(b + f(c, d, a) + x[i + 3], 19)
    for i in (0, 1, 2, 3):
        a = _rotl(a + g(b, c, d) + x[i] + 0x5A827999, 3)
        d = _rotl(d + g(a, b, c) + x[i + 4] + 0x5A827999, 5)
        c = _rotl(c + g(d, a, b) + x[i + 8] + 0x5A827999, 9)
        b = _rotl(b + g(c, d, a) + x[i + 12] + 0x5A827999, 13)
    for i in (0, 2, 1, 3):
        a = _rotl(a + h(b, c, d) + x[i] + 0x6ED9EBA1, 3)
        d = _rotl(d + h(a, b, c) + x[i + 8] + 0x6ED9EBA1, 9)
        c = _rotl(c + h(d, a, b) + x[i + 4] + 0x6ED9EBA1, 11)
        b = _rotl(b + h(c, d, a) + x[i + 12] + 0x6ED9EBA1, 15)
    for index, value in enumerate((a, b, c, d)):
        state[index] = (state[index] + value) & MASK


def md4(data: bytes) -> bytes:
    """The 16-octet MD4 digest of `data` (RFC 1320 §3)."""
    padded = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", (len(data) * 8) & (2**64 - 1))
    state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    for at in range(0, len(padded), 64):
        _rounds(state, struct.unpack("<16I", padded[at:at + 64]))
    return struct.pack("<4I", *state)
