"""OAUTHBEARER (RFC 7628): the §4.1 example, parsing, the §3.2.3 error flow (client sends ^A), registry entry."""

import base64
import json
import pathlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor import explain
from tutor.errors import InputError, LocalProtocolError
from tutor.sasl import MECHANISMS, get, tokens
from tutor.sasl.base import Challenge, Credentials, Done
from tutor.sasl.oauthbearer import RFC_ERROR, OAuthBearerClient, OAuthBearerServer, build, parse, steps

# RFC 7628 §4.1 initial response, as published (PROTOCOL.md §2.8)
RFC_B64 = ("bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZG"
           "OWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB")
RFC_USER, RFC_TOKEN, RFC_HOST, RFC_PORT = "user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", \
    "server.example.com", 143
RFC_ERROR_JSON = (b'{"status":"invalid_token","scope":"example_scope",'
                  b'"openid-configuration":"https://example.com/.well-known/openid-configuration"}')
SASL_DIR = pathlib.Path(__file__).resolve().parent.parent / "tutor" / "sasl"


def accepts(user, token):
    return (user, token) == (RFC_USER, RFC_TOKEN)


def rfc_client(token=RFC_TOKEN):
    return OAuthBearerClient(Credentials(RFC_USER, token), host=RFC_HOST, port=RFC_PORT)


def test_rfc_example_initial_response():
    message = base64.b64decode(RFC_B64)
    assert message == (b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
                       b"auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01")
    assert build(RFC_USER, RFC_TOKEN, RFC_HOST, RFC_PORT) == message
    assert rfc_client().initial_response() == message


def test_rfc_example_parses():
    msg = parse(base64.b64decode(RFC_B64))
    assert (msg.authzid, msg.token, msg.host, msg.port, msg.flag) == (RFC_USER, RFC_TOKEN, RFC_HOST, "143", "n")
    assert RFC_TOKEN not in repr(msg)


def test_rfc_error_example_and_the_clients_single_ctrl_a():
    """RFC 7628 §3.2.3: after the error challenge the client MUST send a single %x01 (base64 AQ==)."""
    c, srv = rfc_client("expired"), OAuthBearerServer(accepts)
    error = srv.start(c.initial_response())
    assert isinstance(error, Challenge) and error.data == RFC_ERROR_JSON and json.loads(error.data) == RFC_ERROR
    answer = c.respond(error.data)
    assert answer == b"\x01" and base64.b64encode(answer) == b"AQ=="
    assert c.error["status"] == "invalid_token"
    notes = [s.note for s in c.steps()]
    assert "oauth.status.invalid_token" in notes and "oauth.field.openid-configuration" in notes
    done = srv.receive(answer)
    assert isinstance(done, Done) and (done.result.success, done.result.reason) == (False, "invalid-token")
    assert done.steps[-1].note == "oauth.note.oauthbearer-ack"


def test_curl_flow_invalid_request():
    """curl #10259: server 334 with {"status":"invalid_request",...}, client AQ==, then 535."""
    c = OAuthBearerClient(Credentials("u", "t"))
    c.initial_response()
    assert c.respond(b'{"status":"invalid_request"}') == b"\x01"
    assert "oauth.status.invalid_request" in [s.note for s in c.steps()]


def test_empty_answer_is_wrong_for_oauthbearer():
    srv = OAuthBearerServer(accepts)
    srv.start(build(RFC_USER, "bad"))
    done = srv.receive(b"")
    assert done.result.reason == "invalid-token" and done.steps[-1].note == "oauth.note.oauthbearer-ack-wrong"


def test_success_and_without_host_port():
    assert OAuthBearerServer(accepts).start(rfc_client().initial_response()).result.success
    assert build("u", "t") == b"n,a=u,\x01auth=Bearer t\x01\x01"
    assert parse(b"n,a=u,\x01auth=Bearer t\x01\x01").token == "t"


def test_authzid_is_escaped():
    assert build("a,b=c", "t").startswith(b"n,a=a=2Cb=3Dc,\x01")
    assert parse(build("a,b=c", "t")).authzid == "a,b=c"


def test_credentials_authzid_wins_for_a():
    c = OAuthBearerClient(Credentials("login", "t", "boss"))
    assert c.initial_response().startswith(b"n,a=boss,")


@pytest.mark.parametrize("blob", [
    b"", b"n,a=u,auth=Bearer t\x01\x01", b"n,a=u,\x01auth=Bearer t\x01", b"n,a=u,\x01host=h\x01\x01",
    b"n,a=u,\x01auth=Basic t\x01\x01", b"p=tls-unique,a=u,\x01auth=Bearer t\x01\x01", b"n,a=u,\x01au th=x\x01\x01",
    b"x,a=u,\x01auth=Bearer t\x01\x01", b"n,a=u,\x01auth=Bearer t\x01\x01\x01", b"\xff",
    b"n,a=u=,\x01auth=Bearer t\x01\x01",
])
def test_parse_refuses(blob):
    with pytest.raises(InputError):
        parse(blob)


def test_y_flag_accepted_with_a_note():
    done = OAuthBearerServer(accepts).start(b"y,a=user@example.com,\x01auth=Bearer " + RFC_TOKEN.encode() + b"\x01\x01")
    assert done.result.success and "oauth.note.gs2-y" in [s.note for s in done.steps]


@pytest.mark.parametrize("token", ["", "two words"])
def test_build_refuses_bad_tokens(token):
    with pytest.raises(InputError):
        build("u", token)


@given(user=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1),
       token=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
       host=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E)),
       port=st.one_of(st.none(), st.integers(1, 65535)))
def test_build_parse_round_trip(user, token, host, port):
    msg = parse(build(user, token, host, port))
    assert (msg.authzid, msg.token, msg.host, msg.port) == (user, token, host, "" if port is None else str(port))


def test_steps():
    out = {s.label: s for s in steps(RFC_USER, RFC_TOKEN, RFC_HOST, RFC_PORT)}
    assert out["oauth.step.gs2-header"].value == "n,a=user@example.com,"
    assert out["oauth.step.token"].secret and out["oauth.step.message"].secret
    assert out["oauth.step.message"].value == base64.b64decode(RFC_B64)


def test_stages_are_explicit():
    c = OAuthBearerClient(Credentials("u", "t"))
    assert c.respond(b"") == b"n,a=u,\x01auth=Bearer t\x01\x01"     # empty 334: send the message
    c.respond(b"{}")
    with pytest.raises(LocalProtocolError, match="final reply"):
        c.respond(b"{}")
    srv = OAuthBearerServer(accepts)
    assert srv.start(None).data == b""
    with pytest.raises(LocalProtocolError, match="already started"):
        srv.start(None)


def test_registry_entry():
    info = MECHANISMS["OAUTHBEARER"]
    assert (info.client_first, info.plaintext, info.bearer) == (True, True, True)
    assert explain.text(info.summary_key) != info.summary_key
    accounts = {"tim": "x"}
    for creds, success in ((Credentials("tim", tokens.issue("tim")), True), (Credentials("tim", "x"), False)):
        c, srv = get("oauthbearer").client(creds), info.server(accounts.get)
        out = srv.start(c.initial_response())
        while isinstance(out, Challenge):
            out = srv.receive(c.respond(out.data))
        assert out.result.success == success


# ---- words: every scram.* / oauth.* key the SCRAM and OAuth mechanism modules use exists ------------------------

def _keys_used() -> set[str]:
    keys = set()
    for path in SASL_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'"((?:scram|oauth)\.(?:step|note|mech|error|field|status|reason)\.[a-z0-9._-]*'
                               r'[a-z0-9])"', source))
        prefix = "scram.note.server." if path.name.startswith("scram") else "oauth.note."
        keys |= {prefix + k for k in re.findall(r'N \+ "([a-z0-9-]+)"', source)}
        keys |= {k + "-wrong" for k in re.findall(r'ACK_NOTE = "(oauth\.note\.[a-z0-9-]+)"', source)}
    return keys


def test_every_scram_and_oauth_key_has_words():
    keys = _keys_used()
    assert len(keys) > 80
    assert sorted(k for k in keys if not isinstance(explain.lookup(k), str)) == []


@pytest.mark.parametrize("key", ["oauth.reason.invalid-token", "scram.reason.invalid-username-encoding",
                                 "scram.reason.channel-binding-not-supported",
                                 "scram.reason.channel-bindings-dont-match"])
def test_new_failure_reasons_have_words(key):
    assert isinstance(explain.lookup(key), str)


def test_templates_fill_without_leftover_braces():
    for namespace in ("scram", "oauth"):
        stack = [(namespace, explain.load(namespace))]
        while stack:
            prefix, node = stack.pop()
            for name, value in node.items():
                if isinstance(value, dict):
                    stack.append((f"{prefix}.{name}", value))
                    continue
                filled = explain.text(f"{prefix}.{name}", **dict.fromkeys(re.findall(r"{(\w+)}", value), "X"))
                assert "{" not in filled and "}" not in filled, f"{prefix}.{name}"
