"""A small bounded DER reader (X.690): tag, length, value; lengths checked against the data, counts bounded.

Not recursive: callers walk a fixed path (tutor.sasl.gssapi), so nesting depth cannot exhaust the stack.
"""

from __future__ import annotations

from typing import NamedTuple

from tutor.errors import InputError

MAX_ITEMS = 256


class TLV(NamedTuple):
    """One DER element: its tag octet, its value octets, and whether it is constructed."""

    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)


def read(data: bytes, at: int = 0) -> tuple[TLV, int]:
    """The element at `at` and the offset after it; InputError when it runs past the data."""
    if at + 2 > len(data):
        raise InputError(f"DER: element truncated at byte {at} of {len(data)}")
    tag, first = data[at], data[at + 1]
    if tag & 0x1F == 0x1F:
        raise InputError(f"DER: multi-byte tags are not read (byte {at})")
    at += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise InputError(f"DER: length of {count} octets at byte {at - 1} (indefinite or over 4 GiB)")
        if at + count > len(data):
            raise InputError(f"DER: length octets truncated at byte {at}")
        length = int.from_bytes(data[at:at + count], "big")
        at += count
    if at + length > len(data):
        raise InputError(f"DER: element of {length} bytes at byte {at} runs past the end ({len(data)} bytes)")
    return TLV(tag, data[at:at + length]), at + length


def children(value: bytes) -> list[TLV]:
    """The elements inside a constructed element's value, in order (at most MAX_ITEMS)."""
    out, at = [], 0
    while at < len(value):
        element, at = read(value, at)
        out.append(element)
        if len(out) > MAX_ITEMS:
            raise InputError(f"DER: more than {MAX_ITEMS} elements in one structure")
    return out


def tagged(value: bytes) -> dict[int, TLV]:
    """A SEQUENCE's context-tagged fields [n] by n, each unwrapped to the element inside it."""
    out = {}
    for element in children(value):
        if element.tag & 0xE0 == 0xA0:
            out[element.tag & 0x1F], _ = read(element.value)
    return out


def expect(element: TLV, tag: int, what: str) -> bytes:
    if element.tag != tag:
        raise InputError(f"DER: {what} should have tag 0x{tag:02x}, has 0x{element.tag:02x}")
    return element.value


def integer(element: TLV, what: str) -> int:
    value = expect(element, 0x02, what)
    if not 1 <= len(value) <= 8:
        raise InputError(f"DER: {what} is an INTEGER of {len(value)} octets")
    return int.from_bytes(value, "big", signed=True)


def oid(value: bytes) -> str:
    """An OBJECT IDENTIFIER's value octets as dotted text."""
    if not value or len(value) > 64:
        raise InputError("DER: empty or over-long OBJECT IDENTIFIER")
    arcs, current = [], 0
    for octet in value:
        current = (current << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(current)
            current = 0
    if not arcs or current:
        raise InputError("DER: OBJECT IDENTIFIER ends inside an arc")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])
