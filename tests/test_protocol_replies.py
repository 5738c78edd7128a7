"""Reply parsing (RFC 5321 §4.2.1), enhanced codes (RFC 2034), EHLO capabilities (RFC 4954 §3)."""

import pytest

from tutor.protocol import capabilities
from tutor.protocol.replies import MalformedReply, Reply, ReplyParser, make


def parse_all(data: bytes):
    parser = ReplyParser()
    parser.receive_data(data)
    out = []
    while (item := parser.next_reply()) is not None:
        out.append(item)
    return out


ARTICLE_EHLO = (b"250-pioneer.host-serve.net\r\n250-AUTH=LOGIN CRAM-MD5\r\n250-AUTH LOGIN CRAM-MD5\r\n"
                b"250-PIPELINING\r\n250 8BITMIME\r\n")


def test_multiline_reply():
    [reply] = parse_all(ARTICLE_EHLO)
    assert reply.code == 250
    assert reply.lines == ("pioneer.host-serve.net", "AUTH=LOGIN CRAM-MD5", "AUTH LOGIN CRAM-MD5", "PIPELINING",
                           "8BITMIME")
    assert reply.raw == ARTICLE_EHLO


def test_capabilities_merge_legacy_auth_equals():
    caps = capabilities.parse(parse_all(ARTICLE_EHLO)[0])
    assert caps.auth_mechanisms == ("LOGIN", "CRAM-MD5")
    assert caps.legacy_auth_line and caps.standard_auth_line
    assert caps.supports("pipelining") and caps.offers("cram-md5")


def test_capabilities_only_legacy_line_still_offers_auth():
    caps = capabilities.parse(Reply(250, ("host", "AUTH=PLAIN LOGIN", "SIZE 1000")))
    assert caps.auth_mechanisms == ("PLAIN", "LOGIN")
    assert caps.supports("AUTH") and caps.keywords["SIZE"] == "1000"


def test_lowercase_mechanisms_are_normalised():
    caps = capabilities.parse(Reply(250, ("host", "auth plain cram-md5")))
    assert caps.auth_mechanisms == ("PLAIN", "CRAM-MD5")


@pytest.mark.parametrize("raw, code, enhanced, text", [
    (b"235 2.7.0 Authentication successful\r\n", 235, "2.7.0", "2.7.0 Authentication successful"),
    (b"535 5.7.8 Authentication credentials invalid\r\n", 535, "5.7.8", "5.7.8 Authentication credentials invalid"),
    (b"334 \r\n", 334, None, ""),                    # RFC 4954 §4: empty challenge
    (b"334\r\n", 334, None, ""),                     # lenient: some servers omit the space
    (b"235 Go Ahead\r\n", 235, None, "Go Ahead"),   # the article's server: no enhanced code
    (b"250 5.7.8 mismatched class\r\n", 250, None, "5.7.8 mismatched class"),
])
def test_single_line_replies(raw, code, enhanced, text):
    [reply] = parse_all(raw)
    assert (reply.code, reply.enhanced, reply.text) == (code, enhanced, text)


def test_malformed_lines_are_reported_not_raised():
    items = parse_all(b"hello\r\n250-a\r\n251 b\r\n220 ok\r\n")
    assert isinstance(items[0], MalformedReply)
    assert isinstance(items[1], MalformedReply) and "changed from 250 to 251" in items[1].why
    assert items[2] == Reply(220, ("ok",))


def test_make_and_serialise():
    reply = make(535, "Authentication credentials invalid", enhanced="5.7.8")
    assert reply.to_bytes() == b"535 5.7.8 Authentication credentials invalid\r\n"
    assert Reply(250, ("a", "b")).to_bytes() == b"250-a\r\n250 b\r\n"
    assert make(334).to_bytes() == b"334 \r\n"


def test_reply_cut_short_by_eof_is_reported_with_its_bytes():
    parser = ReplyParser()
    parser.receive_data(b"250-mail.example.org\r\n250-PIPELINING\r\n250-AUTH PL")
    assert parser.next_reply() is None
    parser.receive_data(b"")
    item = parser.next_reply()
    assert isinstance(item, MalformedReply)
    assert item.raw == b"250-mail.example.org\r\n250-PIPELINING\r\n250-AUTH PL"
    assert "closed in the middle" in item.why
    assert parser.next_reply() is None
