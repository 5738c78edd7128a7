"""Line framing and strict base64 (RFC 5321 §4.5.3.1, RFC 4954 §4)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor.errors import InputError
from tutor.protocol import b64
from tutor.protocol.framing import Line, LineReader, LineTooLong


def test_lines_split_across_chunks():
    reader = LineReader(512)
    for chunk in (b"EH", b"LO a\r", b"\nNOOP\r\nQU"):
        reader.receive_data(chunk)
    assert reader.next_line() == Line(b"EHLO a")
    assert reader.next_line() == Line(b"NOOP")
    assert reader.next_line() is None
    assert reader.pending == b"QU"


def test_bare_lf_is_flagged():
    reader = LineReader(512)
    reader.receive_data(b"NOOP\n")
    assert reader.next_line() == Line(b"NOOP", bare_lf=True)


def test_over_long_line_is_discarded_without_buffering_it_all():
    reader = LineReader(512)
    reader.receive_data(b"A" * 600)
    assert reader.next_line() is None
    assert reader.pending == b""           # bounded memory: the excess was dropped
    reader.receive_data(b"AAAA\r\nNOOP\r\n")
    item = reader.next_line()
    assert isinstance(item, LineTooLong) and item.limit == 512 and item.length == 606
    assert reader.next_line() == Line(b"NOOP")


def test_line_at_exact_limit_passes():
    reader = LineReader(512)
    reader.receive_data(b"X" * 510 + b"\r\n")
    assert reader.next_line() == Line(b"X" * 510)


@pytest.mark.parametrize("text, expected", [
    ("dGVzdAB0ZXN0ADEyMzQ=", b"test\0test\x001234"),            # RFC 4954 §4 example
    ("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", b"\0tim\0tanstaaftanstaaf"),  # RFC 4616 §4 inputs
    ("VXNlcm5hbWU6", b"Username:"),
    ("UGFzc3dvcmQ6", b"Password:"),
])
def test_decode_vectors(text, expected):
    assert b64.decode(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("=AAA", "'=' padding may only appear at the end"),         # RFC 4954 §4's own examples of invalid
    ("AAA=BBB", "'=' padding may only appear at the end"),
    ("AB!D", "'!' at position 2"),
    ("ABC", "not a multiple of 4"),
    ("", "empty"),
    ("ÄBCD", "not in the base64 alphabet"),
])
def test_decode_rejects_invalid(text, fragment):
    with pytest.raises(InputError) as info:
        b64.decode(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@given(st.binary(max_size=300))
def test_base64_round_trip(data):
    encoded = b64.encode(data)
    if data:
        assert b64.decode(encoded) == data
        assert b64.looks_like(encoded)
    else:
        assert encoded == ""
