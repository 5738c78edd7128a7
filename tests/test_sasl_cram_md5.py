"""CRAM-MD5 (RFC 2195, draft-ietf-sasl-crammd5): published vectors, challenge checks, HMAC steps, both sides."""

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor.errors import InputError, LocalProtocolError
from tutor.sasl import cram_md5 as cram
from tutor.sasl.base import Challenge, Credentials, Done

# (user, secret, challenge, digest) -- every digest copied from the published text (PROTOCOL.md §2.5)
VECTORS = [
    # RFC 2195
    ("tim", "tanstaaftanstaaf", b"<1896.697170952@postoffice.reston.mci.net>", "b913a602c7eda7a495b4e6e7334d3890"),
    # draft-09
    ("joe", "tanstaaftanstaaf", b"<1896.697170952@postoffice.example.net>", "3dbc88f0624776a737b39093f6eb6427"),
    # draft-09
    ("Ali Baba", "Open, Sesame", b"<68451038525716401353.0@localhost>", "6fa32b6e768f073132588e3418e00f71"),
    # draft-09
    ("joe", "tanstaaftanstaaf", b"<2262304172.6455022@gw2.gestalt.entity.net>", "2aa383bf320a941d8209a7001ef6aeb6"),
    # hashcat 10200
    ("user", "hashcat", b"12", "b8f0699114b057889223df084f82246f"),
    # hashcat 10200
    ("user", "hashcat", b"<no-reply@hashcat.net>", "44eafd22fe76670f6b2879081a7f5f71"),
    # JtR
    ("alice", "wonderland", b"<17893.1320679123@tesseract.susam.in>", "64b2a43c1f6ed6806a980914e23e75f0"),
]

# (challenge base64, response base64) as published, with their decoded forms
WIRE_VECTORS = [
    ("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
     "tim", "tanstaaftanstaaf"),                                                                              # RFC 2195
    (None, "am9lIDNkYmM4OGYwNjI0Nzc2YTczN2IzOTA5M2Y2ZWI2NDI3", "joe", "tanstaaftanstaaf"),                    # draft-09
]

# hashcat / JtR `$cram_md5$<b64 challenge>$<b64 response>` lines and the passwords they crack to
CRACK_LINES = [
    ("$cram_md5$MTI=$dXNlciBiOGYwNjk5MTE0YjA1Nzg4OTIyM2RmMDg0ZjgyMjQ2Zg==", "hashcat"),
    ("$cram_md5$PG5vLXJlcGx5QGhhc2hjYXQubmV0Pg==$dXNlciA0NGVhZmQyMmZlNzY2NzBmNmIyODc5MDgxYTdmNWY3MQ==", "hashcat"),
    ("$cram_md5$PDE3ODkzLjEzMjA2NzkxMjNAdGVzc2VyYWN0LnN1c2FtLmluPg==$YWxpY2UgNjRiMmE0M2MxZjZlZDY4MDZhOTgwOTE0ZTIzZTc1ZjA=",
     "wonderland"),
]

RFC = VECTORS[0]
GLITCHY = b"<23891.1015983493@pioneer.host-serve.net\nZ\x02>"       # the seed article's challenge
CLEAN = b"<23891.1015983493@pioneer.host-serve.net>"


@pytest.mark.parametrize("user, secret, challenge, expected", VECTORS)
def test_digest_and_response(user, secret, challenge, expected):
    assert cram.digest(secret.encode(), challenge) == expected
    assert cram.response(user, secret, challenge) == f"{user} {expected}".encode()


@pytest.mark.parametrize("user, secret, challenge, expected", VECTORS)
def test_steps_spell_out_hmac_to_the_same_digest(user, secret, challenge, expected):
    out = {s.label: s for s in cram.steps(user, secret, challenge)}
    assert out["sasl.step.cram.digest"].value == expected
    assert out["sasl.step.cram.response"].value == f"{user} {expected}".encode()
    assert out["sasl.step.cram.key"].value == secret.encode().ljust(64, b"\x00")
    assert out["sasl.step.cram.key"].secret and out["sasl.step.cram.secret"].secret


@pytest.mark.parametrize("challenge_b64, response_b64, user, secret", WIRE_VECTORS)
def test_published_wire_forms(challenge_b64, response_b64, user, secret):
    response = base64.b64decode(response_b64)
    challenge = base64.b64decode(challenge_b64) if challenge_b64 else b"<1896.697170952@postoffice.example.net>"
    assert cram.response(user, secret, challenge) == response
    assert cram.verify(response, challenge, {user: secret}.get).success


@pytest.mark.parametrize("line, password", CRACK_LINES)
def test_cracker_lines_verify(line, password):
    _, _, challenge_b64, response_b64 = line.split("$")
    challenge, response = base64.b64decode(challenge_b64), base64.b64decode(response_b64)
    user, _ = cram.parse_response(response)
    assert cram.verify(response, challenge, {user: password}.get).success
    assert cram.verify(response, challenge, {user: password + "x"}.get).reason == "bad-password"


def test_rfc4954_response_parses():
    """RFC 4954 §4 example response (password not published)."""
    assert cram.parse_response(base64.b64decode("cmpzMyBlYzNhNTlmZWQzOTVhYmExZWM2MzY3YzRmNGI0MWFjMA==")) == (
        "rjs3", "ec3a59fed395aba1ec6367c4f4b41ac0")
    assert base64.b64decode("PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=") == \
        b"<4192942341.12828472@sourcefour.andrew.cmu.edu>"


# ---- long keys ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [64, 65, 100, 300])
def test_long_secret_is_md5_hashed_first(length):
    secret = bytes(range(33, 33 + 90)) * 4
    secret = secret[:length]
    challenge = RFC[2]
    key = hashlib.md5(secret).digest() if length > 64 else secret          # independent oracle: stdlib
    oracle = hmac.new(key, challenge, hashlib.md5).hexdigest()
    assert cram.digest(secret, challenge) == oracle
    out = {s.label: s for s in cram.steps("u", secret, challenge)}
    assert out["sasl.step.cram.digest"].value == oracle
    assert ("sasl.step.cram.long-secret" in out) == (length > 64)
    if length > 64:
        assert out["sasl.step.cram.long-secret"].value == hashlib.md5(secret).digest()
        assert out["sasl.step.cram.long-secret"].secret
    assert out["sasl.step.cram.key"].value == key.ljust(64, b"\x00")


# ---- challenges ---------------------------------------------------------------------------------------

P = "sasl.problem.cram."
CHALLENGE_CASES = [
    (b"<1896.697170952@postoffice.reston.mci.net>", []),
    (b"<68451038525716401353.0@localhost>", []),
    (b"<no-reply@hashcat.net>", []),
    (GLITCHY, [P + "control-chars"]),
    (b"12", [P + "no-open-angle", P + "no-close-angle", P + "too-short", P + "no-at"]),
    (b"<1896.697170952>", [P + "no-at"]),
    (b"<a b@c>", [P + "bad-chars"]),
    (b"<a<b@c>", [P + "bad-chars"]),
    (b"<ab@c\xc3\xa9>", [P + "bad-chars"]),
    (b"<a\tb@c \x7f>", [P + "control-chars", P + "bad-chars"]),
    (b"<@>", [P + "too-short"]),
    (b"<1.2@h", [P + "no-close-angle"]),
    (b"<!;=?~@x>", []),                  # the grammar's edges: %x21, %x3B, %x3D, %x3F and %x7E are allowed
    (b"<a>b@c>", [P + "bad-chars"]),     # %x3E ('>') is not, inside
    (b"", [P + "no-open-angle", P + "no-close-angle", P + "too-short", P + "no-at"]),
]


@pytest.mark.parametrize("challenge, problems", CHALLENGE_CASES)
def test_check_challenge(challenge, problems):
    assert cram.check_challenge(challenge) == problems


def test_glitchy_challenge_flagged_but_computed_over_exact_bytes():
    expected = hmac.new(b"secret", GLITCHY, hashlib.md5).hexdigest()      # independent oracle over the exact bytes
    out = cram.steps("demo", "secret", GLITCHY)
    problems = [s for s in out if s.label == "sasl.step.cram.challenge-problem"]
    assert [s.note for s in problems] == [P + "control-chars"]
    assert problems[0].params["chars"] == "\\n \\x02"
    digest_step = next(s for s in out if s.label == "sasl.step.cram.digest")
    assert digest_step.value == expected != hmac.new(b"secret", CLEAN, hashlib.md5).hexdigest()
    assert digest_step.note == "sasl.note.cram.exact-bytes"
    assert CramClientFor("demo", "secret").respond(GLITCHY) == b"demo " + expected.encode()
    assert base64.b64encode(GLITCHY).decode() == "PDIzODkxLjEwMTU5ODM0OTNAcGlvbmVlci5ob3N0LXNlcnZlLm5ldApaAj4="


def CramClientFor(user, secret):
    return cram.CramClient(Credentials(user, secret))


@pytest.mark.parametrize("digits, timestamp, host, expected", [
    ("1896", 697170952, "postoffice.reston.mci.net", b"<1896.697170952@postoffice.reston.mci.net>"),
    ("68451038525716401353", 0, "localhost", b"<68451038525716401353.0@localhost>"),
    ("23891", 1015983493, "pioneer.host-serve.net", CLEAN),
])
def test_make_challenge(digits, timestamp, host, expected):
    assert cram.make_challenge(digits, timestamp, host) == expected


@pytest.mark.parametrize("digits, host",
                         [("12a", "h"), ("", "h"), ("\u0663", "h"), ("1", ""), ("1", "a b"), ("1", "h\u00e9")])
def test_make_challenge_refuses_bad_parts(digits, host):
    with pytest.raises(InputError):
        cram.make_challenge(digits, 1, host)


def test_random_challenge_is_conformant_and_fresh():
    a, b = cram.random_challenge("mx.example"), cram.random_challenge("mx.example")
    assert cram.check_challenge(a) == [] and a.endswith(b"@mx.example>") and a != b


# ---- responses ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, user, digest, uppercase", [
    (b"tim b913a602c7eda7a495b4e6e7334d3890", "tim", "b913a602c7eda7a495b4e6e7334d3890", False),
    (b"Ali Baba 6fa32b6e768f073132588e3418e00f71", "Ali Baba", "6fa32b6e768f073132588e3418e00f71", False),
    (b"tim B913A602C7EDA7A495B4E6E7334D3890", "tim", "B913A602C7EDA7A495B4E6E7334D3890", True),
])
def test_parse_response(data, user, digest, uppercase):
    parsed = cram.parse_response(data)
    assert parsed == (user, digest) and parsed.uppercase == uppercase


@pytest.mark.parametrize("data", [
    b"timb913a602c7eda7a495b4e6e7334d3890", b" b913a602c7eda7a495b4e6e7334d3890", b"tim b913a602",
    b"tim b913a602c7eda7a495b4e6e7334d3890 ", b"tim g913a602c7eda7a495b4e6e7334d3890", b"",
    b"\xff b913a602c7eda7a495b4e6e7334d3890",
])
def test_parse_response_refuses_malformed(data):
    with pytest.raises(InputError):
        cram.parse_response(data)


# (response, success, reason)
VERIFY_CASES = [
    (b"tim b913a602c7eda7a495b4e6e7334d3890", True, ""),
    (b"tim B913A602C7EDA7A495B4E6E7334D3890", True, ""),
    (b"tim b913a602c7eda7a495b4e6e7334d3891", False, "bad-password"),
    (b"joe b913a602c7eda7a495b4e6e7334d3890", False, "no-such-user"),
    (b"tim", False, "malformed"),
]


@pytest.mark.parametrize("data, success, reason", VERIFY_CASES)
def test_verify(data, success, reason):
    r = cram.verify(data, RFC[2], {"tim": "tanstaaftanstaaf"}.get)
    assert (r.success, r.reason) == (success, reason)


def test_verify_uses_constant_time_compare(monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(cram.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    cram.verify(b"tim b913a602c7eda7a495b4e6e7334d3890", RFC[2], {"tim": "tanstaaftanstaaf"}.get)
    assert calls == [("b913a602c7eda7a495b4e6e7334d3890",) * 2]


# ---- client and server --------------------------------------------------------------------------------

def test_client_is_server_first_and_answers_once():
    client = CramClientFor("tim", "tanstaaftanstaaf")
    assert client.initial_response() is None and client.steps() == []
    assert client.respond(RFC[2]) == b"tim b913a602c7eda7a495b4e6e7334d3890"
    assert client.steps()[-1].value == b"tim b913a602c7eda7a495b4e6e7334d3890"
    with pytest.raises(LocalProtocolError, match="final reply"):
        client.respond(RFC[2])


def test_server_rfc_exchange_with_reasoning():
    server = cram.CramServer({"tim": "tanstaaftanstaaf"}.get, challenge_factory=lambda: RFC[2])
    first = server.start(None)
    assert isinstance(first, Challenge) and first.data == RFC[2]
    assert base64.b64encode(first.data).decode() == "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    done = server.receive(b"tim b913a602c7eda7a495b4e6e7334d3890")
    assert isinstance(done, Done) and done.result.success and done.result.authcid == "tim"
    by_label = {s.label: s for s in done.steps}
    assert by_label["sasl.step.cram.expected"].value == "b913a602c7eda7a495b4e6e7334d3890"
    assert by_label["sasl.step.cram.got"].value == "b913a602c7eda7a495b4e6e7334d3890"
    assert by_label["sasl.step.server.compare"].value == "match"


def test_server_reports_mismatch():
    server = cram.CramServer({"tim": "other"}.get, challenge_factory=lambda: RFC[2])
    server.start(None)
    done = server.receive(b"tim b913a602c7eda7a495b4e6e7334d3890")
    assert done.result.reason == "bad-password"
    assert {s.label: s.value for s in done.steps}["sasl.step.server.compare"] == "no match"


@pytest.mark.parametrize("initial", [b"tim b913a602c7eda7a495b4e6e7334d3890", b""])
def test_server_refuses_initial_response(initial):
    done = cram.CramServer({"tim": "x"}.get, challenge_factory=lambda: RFC[2]).start(initial)
    assert isinstance(done, Done)
    assert (done.result.success, done.result.reason) == (False, "initial-response-not-allowed")   # RFC 4954 §4


def test_server_flags_its_own_glitchy_challenge():
    first = cram.CramServer({"demo": "x"}.get, challenge_factory=lambda: GLITCHY).start(None)
    assert first.data == GLITCHY
    assert P + "control-chars" in [s.note for s in first.steps]


def test_server_stages_are_explicit():
    server = cram.CramServer({"tim": "x"}.get, challenge_factory=lambda: RFC[2])
    with pytest.raises(LocalProtocolError, match="start"):
        server.receive(b"tim 00000000000000000000000000000000")
    server.start(None)
    server.receive(b"tim 00000000000000000000000000000000")
    with pytest.raises(LocalProtocolError, match="over"):
        server.receive(b"tim 00000000000000000000000000000000")


text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1)


@given(user=text, password=text, wrong=text)
def test_client_server_round_trip(user, password, wrong):
    for given_pw in (password, wrong):
        server = cram.CramServer({user: password}.get, challenge_factory=lambda: b"<1.2@h>")
        challenge = server.start(None)
        done = server.receive(CramClientFor(user, given_pw).respond(challenge.data))
        assert done.result.success == (given_pw == password)
        assert done.result.success or done.result.reason == "bad-password"


def test_server_not_teaching_checks_the_rfc_digest_without_steps():
    """teaching=False (serve with no log): the same challenge and verdicts, no teaching steps."""
    user, secret, challenge, digest = VECTORS[0]                       # RFC 2195
    srv = cram.CramServer({user: secret}.get, lambda: challenge)
    srv.teaching = False
    first = srv.start(None)
    assert isinstance(first, Challenge) and first.data == challenge and first.steps == ()
    done = srv.receive(f"{user} {digest}".encode())
    assert isinstance(done, Done) and done.result.success and done.steps == ()
    wrong = cram.CramServer({user: "other"}.get, lambda: challenge)
    wrong.teaching = False
    wrong.start(None)
    refused = wrong.receive(f"{user} {digest}".encode())
    assert isinstance(refused, Done) and refused.result.reason == "bad-password" and refused.steps == ()
