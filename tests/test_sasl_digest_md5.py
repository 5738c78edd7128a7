"""DIGEST-MD5 (RFC 2831) on the RFC's own example (§4) and John the Ripper jumbo's dmd5 self-test vectors.

Vectors: RFC 2831 §4 (user chris, password secret; response= and rspauth= as printed there, confirmed by the
RFC 3920 erratum 1406 which names them "the digest values for the first example in RFC 2831 chapter 4") and
the self-test hashes of openwall/john src/DMD5_fmt_plug.c (the second RFC example, and an auth-int one).
"""

from __future__ import annotations

import pytest

from tutor.errors import InputError
from tutor.sasl import digest_md5, get
from tutor.sasl.base import Challenge, Credentials, Done

CHALLENGE = b'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8'
RESPONSE = (b'charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,'
            b'cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",'
            b'response=d388dad90d4bbd760a152321f2143af7,qop=auth')
RSPAUTH = "ea40f60335c427b5527b84dbabcdfffd"


def john(line: str) -> dict[str, str]:
    names = ("username", "realm", "nonce", "digest-uri", "cnonce", "nc", "qop", "response")
    return dict(zip(names, line.removeprefix("$DIGEST-MD5$").split("$"), strict=True))


def test_the_challenge_fields_are_decoded():
    fields = digest_md5.parse_challenge(CHALLENGE)
    assert fields == {"realm": "elwood.innosoft.com", "nonce": "OA6MG9tEQGm2hh", "qop": "auth",
                      "algorithm": "md5-sess", "charset": "utf-8"}


def test_rfc2831_example_response_and_rspauth():
    fields = digest_md5.parse_response(RESPONSE)
    assert fields["username"] == "chris" and fields["digest-uri"] == "imap/elwood.innosoft.com"
    assert digest_md5.response_value(fields, b"secret") == "d388dad90d4bbd760a152321f2143af7"
    assert digest_md5.rspauth_value(fields, b"secret") == RSPAUTH
    assert digest_md5.matches(fields, b"secret") and not digest_md5.matches(fields, b"Secret")


@pytest.mark.parametrize("line, password", [
    ("$DIGEST-MD5$chris$elwood.innosoft.com$OA9BSXrbuRhWay$acap/elwood.innosoft.com$OA9BSuZWMSpW8m$00000001$auth$"
     "6084c6db3fede7352c551284490fd0fc", "secret"),
    ("$DIGEST-MD5$s3443$pjwstk$00$ldap/10.253.34.43$0734d94ad9abd5bd7fc5e7e77bcf49a8$00000001$auth-int$"
     "dd98347e6da3efd6c4ff2263a729ef77", "test"),
])
def test_john_the_rippers_self_test_vectors(line, password):
    fields = john(line)
    assert digest_md5.matches(fields, password.encode())
    assert not digest_md5.matches(fields, b"wrong")


def test_quoted_values_keep_escaped_quotes_and_commas():
    fields = digest_md5.parse_challenge(b'nonce="a\\"b,c",realm="r1",realm="r2"')
    assert fields["nonce"] == 'a"b,c' and fields["realm"] == "r1, r2"


@pytest.mark.parametrize("data", [b"nonce", b'nonce="open', b"realm=x", b"x=" + b"a" * 3000,
                                  b",".join(b"a%d=1" % i for i in range(100)) + b",nonce=1"])
def test_malformed_or_oversized_messages_are_one_line_errors(data):
    with pytest.raises(InputError) as caught:
        digest_md5.parse_challenge(data)
    assert "\n" not in str(caught.value)


def test_missing_response_fields_are_named():
    with pytest.raises(InputError, match="cnonce"):
        digest_md5.parse_response(b'username="u",nonce="n",nc=00000001,digest-uri="smtp/x",response=00')


def test_simulated_server_and_client_agree_and_prove_each_other():
    info = get("digest-md5")
    server = info.server(lambda user: "tanstaaf" if user == "tim" else None, realm="lab.example", nonce="N0NCE")
    client = info.client(Credentials("tim", "tanstaaf"), cnonce="CN0NCE")
    first = server.start(client.initial_response())
    assert isinstance(first, Challenge) and b'nonce="N0NCE"' in first.data
    proof = server.receive(client.respond(first.data))
    assert isinstance(proof, Challenge) and proof.data.startswith(b"rspauth=")
    assert client.respond(proof.data) == b""
    assert any(s.note == "mechs.note.digest.rspauth-ok" for s in client.steps())
    done = server.receive(b"")
    assert isinstance(done, Done) and done.result.success and done.result.authcid == "tim"


def test_simulated_server_refuses_a_wrong_password():
    server = digest_md5.DigestServer(lambda user: "right", nonce="n")
    client = digest_md5.DigestClient(Credentials("tim", "wrong"), cnonce="c")
    outcome = server.receive(client.respond(server.start(None).data))
    assert isinstance(outcome, Done) and not outcome.result.success and outcome.result.reason == "bad-password"


def test_the_historic_profile_offers_it_and_the_autopilot_logs_in():
    from tutor.repl.shell import Shell
    out: list = []
    shell = Shell(profile="historic", out=out.extend)
    shell.start()
    shell.pause = lambda *args: None
    shell.handle("EHLO laptop.example")
    assert "DIGEST-MD5" in shell.session.client.capabilities.auth_mechanisms
    out.clear()
    assert shell.handle(":auth DIGEST-MD5 tim tanstaaftanstaaf")
    sent = [i.text for i in out if i.kind == "C"]
    assert sent[0] == "AUTH DIGEST-MD5" and len(sent) == 3 and sent[2] == ""      # response, then rspauth's ack
    assert shell.session.last_reply.code == 235 and shell.session.client.authenticated
