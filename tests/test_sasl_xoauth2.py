"""XOAUTH2 (Google): the published example, parsing, the JSON error flow, lab tokens and the registry entry."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor import explain
from tutor.errors import InputError, LocalProtocolError
from tutor.sasl import MECHANISMS, get, tokens
from tutor.sasl.base import Challenge, Credentials, Done
from tutor.sasl.xoauth2 import GOOGLE_ERROR, XOauth2Client, XOauth2Message, XOauth2Server, build, parse, steps

# Google's documented example (PROTOCOL.md §2.8)
GOOGLE_USER, GOOGLE_TOKEN = "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
GOOGLE_B64 = ("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJo"
              "ZG1semRHRXVZMjl0Q2cBAQ==")
GOOGLE_MESSAGE = b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
GOOGLE_ERROR_JSON = b'{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}'


def accepts(user, token):
    return (user, token) == (GOOGLE_USER, GOOGLE_TOKEN)


def test_google_example():
    assert build(GOOGLE_USER, GOOGLE_TOKEN) == GOOGLE_MESSAGE
    assert base64.b64encode(GOOGLE_MESSAGE).decode() == GOOGLE_B64
    assert parse(base64.b64decode(GOOGLE_B64)) == (GOOGLE_USER, GOOGLE_TOKEN)


def test_message_repr_hides_token():
    assert GOOGLE_TOKEN not in repr(parse(GOOGLE_MESSAGE)) and GOOGLE_USER in repr(parse(GOOGLE_MESSAGE))


@pytest.mark.parametrize("blob", [
    b"", b"user=a\x01auth=Bearer t\x01", b"user=a\x01auth=Bearer t", b"user=a\x01auth=Basic t\x01\x01",
    b"user=a auth=Bearer t\x01\x01", b"auth=Bearer t\x01\x01", b"user=a\x01auth=Bearer\x01\x01",
    b"user=\xff\x01auth=Bearer t\x01\x01",
])
def test_parse_refuses(blob):
    with pytest.raises(InputError):
        parse(blob)


def test_scheme_is_case_insensitive():
    assert parse(b"user=a\x01auth=bearer t\x01\x01") == ("a", "t")


@pytest.mark.parametrize("user, token", [("a\x01b", "t"), ("a", "t\x01")])
def test_build_refuses_separator_inside(user, token):
    with pytest.raises(InputError, match="0x01"):
        build(user, token)


@given(user=st.text(st.characters(blacklist_characters="\x01", blacklist_categories=("Cs",)), min_size=1),
       token=st.text(st.characters(blacklist_characters="\x01", blacklist_categories=("Cs",)), min_size=1))
def test_build_parse_round_trip(user, token):
    assert parse(build(user, token)) == XOauth2Message(user, token)


@pytest.mark.parametrize("user, token", [("", "tok"), ("someuser@example.com", "")])
def test_build_refuses_empty_fields(user, token):
    with pytest.raises(InputError, match="must not be empty"):
        build(user, token)


def test_steps_mark_token_secret():
    out = {s.label: s for s in steps(GOOGLE_USER, GOOGLE_TOKEN)}
    assert out["oauth.step.token"].secret and out["oauth.step.message"].secret
    assert not out["oauth.step.user"].secret and out["oauth.step.message"].value == GOOGLE_MESSAGE


# ---- client and server ----------------------------------------------------------------------------------

def test_success():
    c, srv = XOauth2Client(Credentials(GOOGLE_USER, GOOGLE_TOKEN)), XOauth2Server(accepts)
    done = srv.start(c.initial_response())
    assert isinstance(done, Done) and done.result.success and done.result.authcid == GOOGLE_USER


def test_error_flow_like_google():
    c, srv = XOauth2Client(Credentials(GOOGLE_USER, "expired")), XOauth2Server(accepts)
    error = srv.start(c.initial_response())
    assert isinstance(error, Challenge) and error.data == GOOGLE_ERROR_JSON
    assert json.loads(error.data) == GOOGLE_ERROR
    answer = c.respond(error.data)
    assert answer == b""                          # the client's required empty response
    assert c.error == GOOGLE_ERROR
    notes = [s.note for s in c.steps()]
    assert "oauth.status.401" in notes and "oauth.field.scope" in notes and notes[-1] == "oauth.note.xoauth2-ack"
    done = srv.receive(answer)
    assert isinstance(done, Done) and (done.result.success, done.result.reason) == (False, "invalid-token")
    with pytest.raises(LocalProtocolError, match="final reply"):
        c.respond(b"")


def test_custom_error_and_wrong_ack():
    srv = XOauth2Server(accepts, error={"status": "invalid_token"})
    assert srv.start(build("x", "y")).data == b'{"status":"invalid_token"}'
    done = srv.receive(b"oops")
    assert done.result.reason == "invalid-token" and done.steps[-1].note == "oauth.note.xoauth2-ack-wrong"


def test_client_answers_a_non_json_challenge_anyway():
    c = XOauth2Client(Credentials("a", "t"))
    c.initial_response()
    assert c.respond(b"not json") == b"" and c.steps()[-2].note == "oauth.note.error-not-json"


def test_no_initial_response_then_message():
    c, srv = XOauth2Client(Credentials(GOOGLE_USER, GOOGLE_TOKEN)), XOauth2Server(accepts)
    empty = srv.start(None)
    assert isinstance(empty, Challenge) and empty.data == b""
    assert srv.receive(c.respond(empty.data)).result.success


def test_malformed_message_fails_at_once():
    done = XOauth2Server(accepts).start(b"user=a")
    assert isinstance(done, Done) and done.result.reason == "malformed"


def test_stages_are_explicit():
    c = XOauth2Client(Credentials("a", "t"))
    with pytest.raises(LocalProtocolError):
        c.respond(b"{}")
    c.initial_response()
    with pytest.raises(LocalProtocolError):
        c.initial_response()
    srv = XOauth2Server(accepts)
    with pytest.raises(LocalProtocolError):
        srv.receive(b"")
    srv.start(GOOGLE_MESSAGE)
    with pytest.raises(LocalProtocolError, match="over"):
        srv.receive(b"")


# ---- lab tokens -----------------------------------------------------------------------------------------

def test_lab_tokens_are_deterministic_and_per_user():
    token = tokens.issue("tim")
    assert token == tokens.issue("tim") != tokens.issue("demo")
    assert token.startswith("lab-") and len(token) == 4 + tokens.LENGTH
    assert set(token[4:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert tokens.check("tim", token) and not tokens.check("demo", token) and not tokens.check("tim", token + "x")
    assert tokens.issue("tim", "other key") != token and tokens.check("tim", tokens.issue("tim", b"k"), "k")


def test_lab_checker_needs_a_known_user():
    check = tokens.checker({"tim": "pw"}.get)
    assert check("tim", tokens.issue("tim")) and not check("ghost", tokens.issue("ghost"))


def run(name, creds, accounts):
    info = get(name)
    c, srv = info.client(creds), info.server(accounts.get)
    assert c.name == srv.name == info.name
    out = srv.start(c.initial_response())
    while isinstance(out, Challenge):
        out = srv.receive(c.respond(out.data))
    return out


def test_registry_entry():
    info = MECHANISMS["XOAUTH2"]
    assert (info.client_first, info.plaintext, info.bearer) == (True, True, True)
    assert explain.text(info.summary_key) != info.summary_key
    accounts = {"tim": "tanstaaftanstaaf"}
    assert run("XOAUTH2", Credentials("tim", tokens.issue("tim")), accounts).result.success
    assert run("XOAUTH2", Credentials("tim", "tanstaaftanstaaf"), accounts).result.reason == "invalid-token"
    assert run("xoauth2", Credentials("ghost", tokens.issue("ghost")), accounts).result.reason == "invalid-token"
