"""LOGIN (draft-murchison-sasl-login-00, MS-XLOGIN): prompt wordings, answers by position, both sides."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor.errors import InputError, LocalProtocolError
from tutor.sasl.base import Challenge, Credentials, Done
from tutor.sasl.login import PROMPTS, LoginClient, LoginServer

TIM = Credentials("tim", "tanstaaftanstaaf")
ACCOUNTS = {"tim": "tanstaaftanstaaf"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# wording -> (user prompt base64, password prompt base64), as published (PROTOCOL.md §2.4)
PROMPT_VECTORS = [
    ("draft", "VXNlciBOYW1lAA==", "UGFzc3dvcmQA"),     # draft §2.3 example: "User Name\0", "Password\0"
    ("common", "VXNlcm5hbWU6", "UGFzc3dvcmQ6"),        # MS-XLOGIN: "Username:", "Password:"
]


@pytest.mark.parametrize("wording, user_b64, pass_b64", PROMPT_VECTORS)
def test_prompts_match_published_base64(wording, user_b64, pass_b64):
    user_prompt, pass_prompt = PROMPTS[wording]
    assert (b64(user_prompt), b64(pass_prompt)) == (user_b64, pass_b64)


def test_draft_example_exchange():
    """Draft §2.3: AUTH LOGIN / 334 VXNlciBOYW1lAA== / dGlt / 334 UGFzc3dvcmQA / dGFuc3RhYWZ0YW5zdGFhZg== / 235."""
    server, client = LoginServer(ACCOUNTS.get, wording="draft"), LoginClient(TIM)
    assert client.initial_response() is None
    first = server.start(None)
    assert isinstance(first, Challenge) and b64(first.data) == "VXNlciBOYW1lAA=="
    answer = client.respond(first.data)
    assert b64(answer) == "dGlt"
    second = server.receive(answer)
    assert isinstance(second, Challenge) and b64(second.data) == "UGFzc3dvcmQA"
    answer = client.respond(second.data)
    assert b64(answer) == "dGFuc3RhYWZ0YW5zdGFhZg=="
    done = server.receive(answer)
    assert isinstance(done, Done) and done.result.success and done.result.authcid == "tim"


def test_default_wording_is_common():
    assert LoginServer(ACCOUNTS.get).start(None).data == b"Username:"


def test_custom_wording_tuple():
    assert LoginServer(ACCOUNTS.get, wording=(b"who?", b"secret?")).start(None).data == b"who?"


def test_unknown_wording():
    with pytest.raises(InputError, match="common"):
        LoginServer(ACCOUNTS.get, wording="outlook")


@pytest.mark.parametrize("first, second", [
    (b"Password:", b"Username:"),       # swapped wording: still user name first (bpo-27820)
    (b"", b""),                         # empty challenges
    (b"\x00\xff", b"anything"),
])
def test_client_answers_by_position_not_wording(first, second):
    client = LoginClient(TIM)
    assert client.respond(first) == b"tim"
    assert client.respond(second) == b"tanstaaftanstaaf"


def test_swapped_wording_is_noted():
    client = LoginClient(TIM)
    client.respond(b"Password:")
    notes = [s.note for s in client.steps() if s.label == "sasl.step.login.challenge"]
    assert notes == ["sasl.note.login.wording-mismatch"]
    client.respond(b"Password:")
    notes = [s.note for s in client.steps() if s.label == "sasl.step.login.challenge"]
    assert notes == ["sasl.note.login.wording-mismatch", "sasl.note.login.by-position"]


def test_third_challenge_is_refused():
    client = LoginClient(TIM)
    client.respond(b"Username:")
    client.respond(b"Password:")
    with pytest.raises(LocalProtocolError, match="final reply"):
        client.respond(b"Password:")


def test_client_steps_mark_password_secret():
    client = LoginClient(TIM)
    client.respond(b"Username:")
    client.respond(b"Password:")
    secret = {s.label: s.secret for s in client.steps() if s.label.startswith("sasl.step.login.user")
              or s.label.startswith("sasl.step.login.pass")}
    assert secret == {"sasl.step.login.username": False, "sasl.step.login.password": True}


def test_initial_response_variant():
    """MS-XLOGIN `AUTH LOGIN dGlt`: the server's first challenge is then the password prompt."""
    client, server = LoginClient(TIM, initial_response=True), LoginServer(ACCOUNTS.get)
    initial = client.initial_response()
    assert initial == b"tim"
    challenge = server.start(initial)
    assert isinstance(challenge, Challenge) and challenge.data == b"Password:"
    assert client.respond(challenge.data) == b"tanstaaftanstaaf"
    assert server.receive(b"tanstaaftanstaaf").result.success
    with pytest.raises(LocalProtocolError):
        client.respond(b"Password:")


def test_initial_response_only_first():
    client = LoginClient(TIM, initial_response=True)
    client.respond(b"Username:")
    with pytest.raises(LocalProtocolError):
        client.initial_response()


# (user, password, success, reason)
SERVER_CASES = [
    (b"tim", b"tanstaaftanstaaf", True, ""),
    (b"tim", b"wrong", False, "bad-password"),
    (b"Tim", b"tanstaaftanstaaf", False, "no-such-user"),
    (b"", b"", False, "no-such-user"),
    (b"tim", b"\xff", False, "malformed"),
]


@pytest.mark.parametrize("user, password, success, reason", SERVER_CASES)
def test_server_checks(user, password, success, reason):
    server = LoginServer(ACCOUNTS.get)
    server.start(None)
    server.receive(user)
    done = server.receive(password)
    assert (done.result.success, done.result.reason) == (success, reason)
    assert any(s.label == "sasl.step.server.password" and s.secret for s in done.steps) or reason == "malformed"


def test_server_stages_are_explicit():
    server = LoginServer(ACCOUNTS.get)
    server.start(None)
    with pytest.raises(LocalProtocolError):
        server.start(None)
    server.receive(b"tim")
    server.receive(b"tanstaaftanstaaf")
    with pytest.raises(LocalProtocolError, match="over"):
        server.receive(b"again")


def test_server_empty_initial_response_is_an_empty_username():
    server = LoginServer(ACCOUNTS.get)
    assert server.start(b"").data == b"Password:"


text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1)


@given(user=text, password=text, wrong=text, wording=st.sampled_from(sorted(PROMPTS)), initial=st.booleans())
def test_pair_round_trip(user, password, wrong, wording, initial):
    for given_pw in (password, wrong):
        client = LoginClient(Credentials(user, given_pw), initial_response=initial)
        server = LoginServer({user: password}.get, wording=wording)
        out = server.start(client.initial_response())
        while isinstance(out, Challenge):
            out = server.receive(client.respond(out.data))
        assert out.result.success == (given_pw == password)


def test_server_compares_passwords_in_constant_time(monkeypatch):
    import hmac

    from tutor.sasl import login
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(login.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    server = LoginServer(ACCOUNTS.get)
    server.start(None)
    server.receive(b"tim")
    assert server.receive(b"tanstaaftanstaaf").result.success
    assert calls == [(b"tanstaaftanstaaf", b"tanstaaftanstaaf")]
