"""HOST[:PORT] parsing, RFC 8314 default ports and the loopback test (pure: no sockets)."""

import pytest

from tutor.errors import InputError
from tutor.transport import address
from tutor.transport.address import Address

PARSE = [
    # (text, starttls, tls, expected)
    ("mail.example.org", False, False, Address("mail.example.org", 25)),
    ("mail.example.org", True, False, Address("mail.example.org", 587)),
    ("mail.example.org", False, True, Address("mail.example.org", 465)),
    ("mail.example.org:2525", True, False, Address("mail.example.org", 2525)),
    ("127.0.0.1:10025", False, False, Address("127.0.0.1", 10025)),
    ("[::1]:10587", True, False, Address("::1", 10587)),
    ("[::1]", False, True, Address("::1", 465)),
    ("::1", False, False, Address("::1", 25)),
    ("2001:db8::25", True, False, Address("2001:db8::25", 587)),
    ("[fe80::1%eth0]:25", False, False, Address("fe80::1%eth0", 25)),
    ("  localhost:25  ", False, False, Address("localhost", 25)),
]


@pytest.mark.parametrize("text, starttls, tls, expected", PARSE)
def test_parse(text, starttls, tls, expected):
    assert address.parse(text, starttls=starttls, tls=tls) == expected


BAD = [
    ("", "expected HOST"),
    (":25", "expected HOST"),
    ("host:", "port must be a number"),
    ("host:smtp", "port must be a number"),
    ("host:0", "port must be a number"),
    ("host:65536", "port must be a number"),
    ("[::1", "brackets"),
    ("[::1]x", "brackets"),
    ("[mail.example.org]:25", "only an IPv6 address"),
    ("2001:db8::25:xyz", "brackets"),
    ("user@host", "expected HOST"),
    ("smtps://host:465", "not a URL"),
]


@pytest.mark.parametrize("text, words", BAD)
def test_bad_targets_are_one_line_input_errors(text, words):
    with pytest.raises(InputError) as info:
        address.parse(text)
    message = str(info.value)
    assert words in message and "\n" not in message and repr(text) in message


def test_str_brackets_ipv6():
    assert str(Address("::1", 587)) == "[::1]:587"
    assert str(Address("mail.example.org", 465)) == "mail.example.org:465"


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("localhost", True), ("LOCALHOST.", True), ("mx.localhost", True),
    ("10.0.0.1", False), ("192.168.1.1", False), ("::2", False), ("example.org", False),
    ("localhost.example.org", False), ("", False),
])
def test_is_loopback(host, loopback):
    assert address.is_loopback(host) is loopback


def test_default_ports_follow_rfc_8314():
    assert address.default_port() == 25
    assert address.default_port(starttls=True) == 587
    assert address.default_port(tls=True) == 465
