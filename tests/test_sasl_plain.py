"""PLAIN (RFC 4616): RFC vectors, field rules, client and server sides, round-trip properties."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor.errors import InputError, LocalProtocolError, RemoteProtocolError
from tutor.sasl.base import Challenge, Credentials, Done
from tutor.sasl.plain import PlainClient, PlainFields, PlainServer, build, parse, steps

# (authzid, authcid, password, message, base64 as published/derived in PROTOCOL.md §2.1, §2.3)
VECTORS = [
    # RFC 4616 §4
    ("", "tim", "tanstaaftanstaaf", b"\x00tim\x00tanstaaftanstaaf", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
    # RFC 4616 §4
    ("Ursel", "Kurt", "xipj3plmq", b"Ursel\x00Kurt\x00xipj3plmq", "VXJzZWwAS3VydAB4aXBqM3BsbXE="),
    # RFC 4954 §4
    ("test", "test", "1234", b"test\x00test\x001234", "dGVzdAB0ZXN0ADEyMzQ="),
]
ACCOUNTS = {"tim": "tanstaaftanstaaf", "Kurt": "xipj3plmq", "test": "1234"}
no_nul = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@pytest.mark.parametrize("authzid, authcid, password, message, b64", VECTORS)
def test_build_matches_rfc(authzid, authcid, password, message, b64):
    assert build(authcid, password, authzid) == message
    assert base64.b64encode(message).decode() == b64


@pytest.mark.parametrize("authzid, authcid, password, message, b64", VECTORS)
def test_parse_matches_rfc(authzid, authcid, password, message, b64):
    assert parse(message) == PlainFields(authzid, authcid, password)


@pytest.mark.parametrize("field", ["authzid", "authcid", "password"])
def test_build_refuses_nul_inside_a_field(field):
    values = {"authzid": "", "authcid": "tim", "password": "pw"}
    values[field] = "a\x00b"
    with pytest.raises(InputError, match="NUL"):
        build(values["authcid"], values["password"], values["authzid"])


@pytest.mark.parametrize("authcid, password", [("", "pw"), ("tim", "")])
def test_build_refuses_empty_authcid_or_password(authcid, password):
    with pytest.raises(InputError, match="empty"):
        build(authcid, password)


@pytest.mark.parametrize("blob", [b"", b"tim\x00pw", b"\x00tim", b"a\x00b\x00c\x00d", b"tanstaaf"])
def test_parse_needs_exactly_three_fields(blob):
    with pytest.raises(InputError, match="3 fields"):
        parse(blob)


def test_parse_refuses_bad_utf8():
    with pytest.raises(InputError, match="UTF-8"):
        parse(b"\x00tim\x00\xff\xfe")


def test_fields_repr_hides_password():
    assert "tanstaaf" not in repr(parse(b"\x00tim\x00tanstaaftanstaaf"))


def test_utf8_fields():
    assert build("j\u00f6rg", "p\u00e4ss") == b"\x00j\xc3\xb6rg\x00p\xc3\xa4ss"
    assert parse(b"\x00j\xc3\xb6rg\x00p\xc3\xa4ss").authcid == "j\u00f6rg"


# ---- server -------------------------------------------------------------------------------------------

# (message, expected success, authcid, authzid, reason)
SERVER_CASES = [
    (b"\x00tim\x00tanstaaftanstaaf", True, "tim", "tim", ""),
    (b"tim\x00tim\x00tanstaaftanstaaf", True, "tim", "tim", ""),
    (b"test\x00test\x001234", True, "test", "test", ""),
    (b"Ursel\x00Kurt\x00xipj3plmq", False, "Kurt", "Ursel", "authzid-denied"),   # RFC 4616 §4
    (b"\x00tim\x00wrong", False, "tim", "", "bad-password"),
    (b"Ursel\x00Kurt\x00wrong", False, "Kurt", "Ursel", "bad-password"),          # password is checked first
    (b"\x00nobody\x00x", False, "nobody", "", "no-such-user"),
    (b"\x00tim\x00", False, "tim", "", "malformed"),
    (b"\x00\x00tanstaaftanstaaf", False, "", "", "malformed"),
    (b"tim tanstaaftanstaaf", False, "", "", "malformed"),
    (b"", False, "", "", "malformed"),
]


@pytest.mark.parametrize("message, success, authcid, authzid, reason", SERVER_CASES)
def test_server_with_initial_response(message, success, authcid, authzid, reason):
    done = PlainServer(ACCOUNTS.get).start(message)
    assert isinstance(done, Done)
    r = done.result
    assert (r.success, r.authcid, r.authzid, r.reason) == (success, authcid, authzid, reason)
    assert done.steps


def test_server_without_initial_response_sends_empty_challenge():
    server = PlainServer(ACCOUNTS.get)
    first = server.start(None)
    assert first == Challenge(b"", first.steps) and first.data == b""   # the wire shows "334 " (RFC 4954 §4)
    done = server.receive(b"test\x00test\x001234")
    assert isinstance(done, Done) and done.result.success


def test_server_authzid_policy():
    server = PlainServer(ACCOUNTS.get, allow_authzid=lambda authcid, authzid: authcid == "Kurt" and authzid == "Ursel")
    r = server.start(b"Ursel\x00Kurt\x00xipj3plmq").result
    assert (r.success, r.authcid, r.authzid) == (True, "Kurt", "Ursel")


def test_server_denied_reasoning_in_steps():
    done = PlainServer(ACCOUNTS.get).start(b"Ursel\x00Kurt\x00xipj3plmq")
    assert done.steps[-1].note == "sasl.note.server.authzid-denied"
    assert next(s for s in done.steps if s.label == "sasl.step.server.password").secret


@pytest.mark.parametrize("authzid, authcid, password", [
    ("z" * 255, "u" * 255, "p" * 255),
    ("", "\u00e9" * 127 + "a", "\u20ac" * 85),          # 255 octets of UTF-8 each
])
def test_server_accepts_255_octet_fields(authzid, authcid, password):
    message = build(authcid, password, authzid)
    assert all(len(part) == 255 for part in message.split(b"\x00") if part)
    def allow(c, z):
        return True
    r = PlainServer({authcid: password}.get, allow_authzid=allow).start(message).result   # RFC 4616 §2
    assert r.success


def test_server_stages_are_explicit():
    server = PlainServer(ACCOUNTS.get)
    with pytest.raises(LocalProtocolError, match="start"):
        server.receive(b"\x00tim\x00tanstaaftanstaaf")
    server.start(b"\x00tim\x00tanstaaftanstaaf")
    with pytest.raises(LocalProtocolError, match="over"):
        server.receive(b"\x00tim\x00tanstaaftanstaaf")
    with pytest.raises(LocalProtocolError):
        server.start(None)


# ---- client -------------------------------------------------------------------------------------------

def test_client_initial_response():
    client = PlainClient(Credentials("tim", "tanstaaftanstaaf"))
    assert client.steps() == []
    assert client.initial_response() == b"\x00tim\x00tanstaaftanstaaf"
    with pytest.raises(LocalProtocolError, match="already sent"):
        client.respond(b"")


def test_client_answers_empty_challenge():
    client = PlainClient(Credentials("test", "1234", authzid="test"))
    assert client.respond(b"") == b"test\x00test\x001234"
    with pytest.raises(LocalProtocolError):
        client.respond(b"")


def test_client_refuses_non_empty_challenge():
    with pytest.raises(RemoteProtocolError):
        PlainClient(Credentials("tim", "x")).respond(b"Username:")


def test_steps_show_each_field_then_the_message():
    out = steps("tim", "tanstaaftanstaaf")
    assert [s.label for s in out] == [
        "sasl.step.plain.authzid", "sasl.step.plain.authcid", "sasl.step.plain.password", "sasl.step.plain.message"]
    assert out[0].note == "sasl.note.plain.authzid-empty"
    assert [s.secret for s in out] == [False, False, True, True]
    assert out[-1].value == b"\x00tim\x00tanstaaftanstaaf"
    assert out[-1].note == "sasl.note.plain.no-protection"
    assert steps("Kurt", "x", "Ursel")[0].note == "sasl.note.plain.authzid-set"


# ---- properties ---------------------------------------------------------------------------------------

@given(authzid=no_nul, authcid=no_nul.filter(bool), password=no_nul.filter(bool))
def test_build_parse_round_trip(authzid, authcid, password):
    assert parse(build(authcid, password, authzid)) == PlainFields(authzid, authcid, password)


@given(user=no_nul.filter(bool), password=no_nul.filter(bool), wrong=no_nul.filter(bool), initial=st.booleans())
def test_client_server_round_trip(user, password, wrong, initial):
    lookup = {user: password}.get
    for given_pw in (password, wrong):
        client, server = PlainClient(Credentials(user, given_pw)), PlainServer(lookup)
        out = server.start(client.initial_response() if initial else None)
        if isinstance(out, Challenge):
            out = server.receive(client.respond(out.data))
        assert out.result.success == (given_pw == password)


def test_server_compares_passwords_in_constant_time(monkeypatch):
    import hmac

    from tutor.sasl import plain
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(plain.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    server = PlainServer(ACCOUNTS.get)
    assert not server.start(b"\x00tim\x00wrong").result.success
    assert calls == [(b"wrong", b"tanstaaftanstaaf")]
