"""The semantic lesson checks, table-driven: a right answer passes, each typical wrong one gets its own failure
key (and so its own hint). Expected values come from the RFCs (PROTOCOL.md §2)."""

import hashlib
import hmac

import pytest
from course_cases_scram_bearer import SCRAM_BEARER_CASES
from course_support import (
    CRAM,
    DATA,
    LOGIN_PASS,
    LOGIN_USER,
    PASSWORD_B64,
    PLAIN_TIM,
    PLAIN_WAIT,
    READY,
    READY_TLS,
    RFC2195_CHALLENGE,
    RFC2195_RESPONSE,
    TIM,
    USER_B64,
    b64,
    helper,
    line,
)

from tutor import explain
from tutor.course.checkbase import COMMON_FAILS, Fail, Pass, Wait
from tutor.course.checks import CHECKS, register
from tutor.course.facts import Credentials
from tutor.course.view import Attempt

SECRET = b"tanstaaftanstaaf"
JTR_CHALLENGE = "PDE3ODkzLjEzMjA2NzkxMjNAdGVzc2VyYWN0LnN1c2FtLmluPg=="       # <17893.1320679123@tesseract.susam.in>
JTR_RESPONSE = "YWxpY2UgNjRiMmE0M2MxZjZlZDY4MDZhOTgwOTE0ZTIzZTc1ZjA="        # alice 64b2a43c1f6ed6806a980914e23e75f0
RFC_CHALLENGE_B64 = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"


def _cram(digest: str, user: str = "tim") -> str:
    return b64(f"{user} {digest}")


def _hmac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.md5).hexdigest()


PASS, WAIT = "pass", "wait"
GUESS = {"challenge": JTR_CHALLENGE, "response": JTR_RESPONSE}

# (check kind, params, attempt, expected: PASS, WAIT or the failure key)
# RFC 2195 §2: user tim, secret tanstaaftanstaaf, this challenge -> digest b913a602c7eda7a495b4e6e7334d3890
RAN_RFC2195 = {"user": "tim", "challenge": "<1896.697170952@postoffice.reston.mci.net>",
               "digest": "b913a602c7eda7a495b4e6e7334d3890"}

CASES = [
    # EHLO (RFC 5321 §4.1.1.1); after TLS (RFC 3207 §4.2)
    ("any-ehlo", {}, line(READY, "EHLO laptop.example"), PASS),
    ("any-ehlo", {}, line(READY, "ehlo laptop.example"), PASS),
    ("any-ehlo", {}, line(READY, "HELO laptop.example"), "helo"),
    ("any-ehlo", {}, line(READY, "EHLO"), "no-domain"),
    ("any-ehlo", {}, line(READY, "MAIL FROM:<a@b>"), "not-ehlo"),
    ("any-ehlo", {}, line(LOGIN_USER, "EHLO laptop.example"), "in-exchange"),
    ("any-ehlo", {"tls": True}, line(READY, "EHLO laptop.example"), "before-tls"),
    ("any-ehlo", {"tls": True}, line(READY_TLS, "EHLO laptop.example"), PASS),
    ("any-ehlo", {}, helper(READY, "b64", "encode", "x"), WAIT),
    # plain commands
    ("command", {"verb": "RSET"}, line(READY, "rset"), PASS),
    ("command", {"verb": "RSET"}, line(READY, "NOOP"), "other-command"),
    ("mail-from", {}, line(READY, "MAIL FROM:<tim@example.com>"), PASS),
    ("mail-from", {}, line(READY, "MAIL FROM:<tim@example.com> AUTH=<>"), PASS),     # RFC 4954 §5
    ("mail-from", {}, line(READY, "MAIL FROM: tim@example.com"), "syntax"),
    ("mail-from", {}, line(READY, "RCPT TO:<x@example.com>"), "other-command"),
    ("mail-from", {"address": "a@example.com"}, line(READY, "MAIL FROM:<b@example.com>"), "wrong-address"),
    ("rcpt-to", {}, line(READY, "RCPT TO:<friend@example.com>"), PASS),
    ("rcpt-to", {}, line(READY, "RCPT TO:friend@example.com"), "syntax"),
    ("rcpt-to", {}, line(READY, "MAIL FROM:<a@b>"), "other-command"),
    ("data", {}, line(READY, "DATA"), PASS),
    ("data", {}, line(READY, "QUIT"), "other-command"),
    ("message-end", {}, line(DATA, "."), PASS),
    ("message-end", {}, line(DATA, "Subject: hi"), WAIT),
    ("message-end", {}, line(DATA, ".not the end"), WAIT),
    ("message-end", {}, line(READY, "."), "not-in-data"),
    ("starttls", {}, line(READY, "STARTTLS"), PASS),
    ("starttls", {}, line(READY, "STARTTLS now"), "has-argument"),                 # RFC 3207 §4: 501
    ("starttls", {}, line(READY, "EHLO x"), "other-command"),
    ("quit", {}, line(READY, "QUIT"), PASS),
    ("quit", {}, line(READY, "NOOP"), "other-command"),
    ("reply-code", {"code": 535}, line(READY, "AUTH PLAIN AHRpbQB3cm9uZw==", 535), PASS),
    ("reply-code", {"code": [504, 535]}, line(READY, "AUTH FOO", 504), PASS),
    ("reply-code", {"code": 535}, line(READY, "AUTH PLAIN " + PLAIN_TIM, 235), "other-code"),
    ("reply-code", {"code": 535}, line(READY, "AUTH PLAIN " + PLAIN_TIM), "no-reply"),
    # AUTH command (RFC 4954 §4)
    ("auth-command", {"mechanism": "PLAIN", "initial": False}, line(READY, "AUTH PLAIN"), PASS),
    ("auth-command", {"mechanism": "PLAIN"}, line(READY, "auth plain"), PASS),           # RFC 4954 §8
    ("auth-command", {"mechanism": "PLAIN"}, line(READY, "AUTH LOGIN"), "wrong-mechanism"),
    ("auth-command", {"mechanism": "PLAIN"}, line(READY, "AUTH"), "no-mechanism"),
    ("auth-command", {"mechanism": "PLAIN"}, line(READY, "EHLO x"), "not-auth"),
    ("auth-command", {"initial": False}, line(READY, "AUTH PLAIN " + PLAIN_TIM), "has-initial"),
    ("auth-command", {"initial": True}, line(READY, "AUTH PLAIN"), "needs-initial"),
    ("auth-command", {"offered": False}, line(READY, "AUTH KERBEROS_V4"), PASS),
    ("auth-command", {"offered": False}, line(READY, "AUTH PLAIN"), "is-offered"),
    ("auth-command", {"offered": True}, line(READY, "AUTH XOAUTH2"), "not-offered"),
    ("auth-command", {}, line(LOGIN_USER, "AUTH PLAIN"), "in-exchange"),
    # base64 of a field (RFC 4648; RFC 4954 §4)
    ("base64-of", {"field": "username"}, line(LOGIN_USER, USER_B64), PASS),
    ("base64-of", {"field": "username"}, line(LOGIN_USER, "tim"), "plain-text"),
    ("base64-of", {"field": "username"}, line(LOGIN_USER, b64("tim\n")), "trailing-newline"),
    ("base64-of", {"field": "username"}, line(LOGIN_USER, PASSWORD_B64), "swapped"),
    ("base64-of", {"field": "username"}, line(LOGIN_USER, b64("tom")), "wrong-value"),
    ("base64-of", {"field": "username"}, line(LOGIN_USER, "dGlt!"), "not-base64"),
    ("base64-of", {"field": "username"}, line(LOGIN_USER, "=dGl"), "not-base64"),       # '=' only at the end
    ("base64-of", {"field": "password"}, line(LOGIN_PASS, PASSWORD_B64), PASS),
    ("base64-of", {"field": "password"}, line(LOGIN_PASS, USER_B64), "swapped"),
    ("base64-of", {"field": "plain-message"}, line(PLAIN_WAIT, PLAIN_TIM), PASS),
    # LOGIN (draft-murchison-sasl-login-00 §2.1: answer by position)
    ("login-username", {}, line(LOGIN_USER, USER_B64), PASS),
    ("login-username", {}, line(READY, "AUTH LOGIN " + USER_B64), PASS),                # MS-XLOGIN initial
    ("login-username", {}, line(READY, USER_B64), "not-in-exchange"),
    ("login-username", {}, line(LOGIN_PASS, USER_B64), "wrong-position"),
    ("login-username", {}, line(PLAIN_WAIT, USER_B64), "other-mechanism"),
    ("login-username", {}, line(LOGIN_USER, "*"), "cancelled"),
    ("login-username", {}, line(LOGIN_USER, PASSWORD_B64), "swapped"),                  # bpo-27820
    ("login-password", {}, line(LOGIN_PASS, PASSWORD_B64), PASS),
    ("login-password", {}, line(LOGIN_PASS, USER_B64), "swapped"),
    ("login-password", {}, line(LOGIN_USER, PASSWORD_B64), "wrong-position"),
    ("login-password", {}, line(LOGIN_PASS, b64("wrong")), "wrong-value"),
    ("login-password", {}, line(LOGIN_PASS, "tanstaaftanstaaf"), "plain-text"),
    # PLAIN (RFC 4616 §2; RFC 4954 §4: initial response or after "334 ")
    ("plain-response", {}, line(READY, "AUTH PLAIN " + PLAIN_TIM), PASS),
    ("plain-response", {}, line(PLAIN_WAIT, PLAIN_TIM), PASS),
    ("plain-response", {}, line(READY, "AUTH PLAIN"), "no-message"),
    ("plain-response", {}, line(READY, "AUTH PLAIN ="), "empty"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("tim tanstaaftanstaaf")), "no-nul"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("tim\0tanstaaftanstaaf")), "one-nul"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("\\0tim\\0tanstaaftanstaaf")), "literal-escape"),
    ("plain-response", {}, line(PLAIN_WAIT, "\\0tim\\0tanstaaftanstaaf"), "plain-text"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("\0tim\0tanstaaftanstaaf\n")), "trailing-newline"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("\0tom\0tanstaaftanstaaf")), "wrong-authcid"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("\0tim\0wrong")), "wrong-password"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("postmaster\0tim\0tanstaaftanstaaf")), "wrong-authzid"),
    ("plain-response", {}, line(PLAIN_WAIT, b64("tim\0tim\0tanstaaftanstaaf")), PASS),    # authzid = authcid
    ("plain-response", {"authzid": "postmaster"}, line(PLAIN_WAIT, b64("postmaster\0tim\0tanstaaftanstaaf")), PASS),
    ("plain-response", {"authzid": "postmaster"}, line(PLAIN_WAIT, PLAIN_TIM), "wrong-authzid"),
    ("plain-response", {}, line(LOGIN_USER, PLAIN_TIM), "other-mechanism"),
    ("plain-response", {}, line(PLAIN_WAIT, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm!"), "not-base64"),
    # CRAM-MD5 (RFC 2195 §2): verified against the challenge the server sent
    ("cram-response", {}, line(CRAM, RFC2195_RESPONSE), PASS),
    ("cram-response", {}, line(CRAM, _cram("B913A602C7EDA7A495B4E6E7334D3890")), PASS),   # accepted, with a note
    ("cram-response", {}, line(CRAM, "tim b913a602c7eda7a495b4e6e7334d3890"), "plain-text"),
    ("cram-response", {}, line(CRAM, _cram("b913a602c7eda7a495b4e6e7334d3890", "tom")), "wrong-user"),
    ("cram-response", {}, line(CRAM, _cram(_hmac(SECRET, RFC_CHALLENGE_B64.encode()))), "over-base64"),
    ("cram-response", {}, line(CRAM, _cram(_hmac(SECRET, RFC2195_CHALLENGE[1:-1]))), "no-brackets"),
    ("cram-response", {}, line(CRAM, _cram(_hmac(RFC2195_CHALLENGE, SECRET))), "key-swapped"),
    ("cram-response", {}, line(CRAM, _cram(hashlib.md5(SECRET + RFC2195_CHALLENGE).hexdigest())), "not-hmac"),
    ("cram-response", {}, line(CRAM, _cram(hashlib.md5(RFC2195_CHALLENGE + SECRET).hexdigest())), "not-hmac"),
    ("cram-response", {}, line(CRAM, _cram(_hmac(b"wrong", RFC2195_CHALLENGE))), "wrong-digest"),
    ("cram-response", {}, line(CRAM, b64("timb913a602c7eda7a495b4e6e7334d3890")), "malformed"),
    ("cram-response", {}, line(READY, "AUTH CRAM-MD5 " + RFC2195_RESPONSE), "initial-not-allowed"),  # RFC 4954 §4
    ("cram-response", {}, line(READY, RFC2195_RESPONSE), "not-in-exchange"),
    ("cram-response", {}, line(LOGIN_USER, RFC2195_RESPONSE), "other-mechanism"),
    ("cram-response", {}, line(CRAM, "*"), "cancelled"),
    # cancel (RFC 4954 §4: "*", the server replies 501)
    ("cancel", {}, line(LOGIN_USER, "*"), PASS),
    ("cancel", {}, line(LOGIN_USER, USER_B64), "not-cancel"),
    ("cancel", {}, line(READY, "*"), "not-in-exchange"),
    # helper commands
    ("helper-command", {"name": "b64", "action": "encode", "input": "{user}"}, helper(READY, "b64", "encode", "tim"),
     PASS),
    ("helper-command", {"name": "b64", "action": "encode", "input": "{user}"}, helper(READY, "b64", "decode", "tim"),
     "wrong-action"),
    ("helper-command", {"name": "b64", "action": "encode", "input": "{user}"}, helper(READY, "b64", "encode", "tom"),
     "wrong-input"),
    ("helper-command", {"name": "b64"}, helper(READY, "plain", "tim"), "wrong-helper"),
    ("helper-command", {"name": "b64"}, line(READY, "EHLO x"), "not-helper"),
    ("helper-command", {"name": ["b64", "decode"], "action": "decode", "input": "VXNlcm5hbWU6"},
     helper(READY, "decode", "VXNlcm5hbWU6"), PASS),
    ("helper-command", {"name": "b64", "action": "encode", "input": "\\0{user}\\0{password}"},
     helper(READY, "b64", "encode", "\\0tim\\0tanstaaftanstaaf"), PASS),
    ("helper-command", {"name": "b64", "action": "encode", "input": "\\0{user}\\0{password}"},
     helper(READY, "b64", "encode", "0tim0tanstaaftanstaaf"), "lost-backslashes"),
    # a dictionary against a captured CRAM-MD5 exchange (John the Ripper's alice / wonderland vector)
    ("cram-guess", GUESS, helper(READY, "cram", "alice", "wonderland", JTR_CHALLENGE), PASS),
    ("cram-guess", GUESS, helper(READY, "cram", "alice", "wonderland", "<17893.1320679123@tesseract.susam.in>"), PASS),
    ("cram-guess", GUESS, helper(READY, "cram", "alice", "password", JTR_CHALLENGE), "no-match"),
    ("cram-guess", GUESS, helper(READY, "cram", "alice", "wonderland"), "needs-challenge"),
    ("cram-guess", GUESS, helper(READY, "cram", "bob", "wonderland", JTR_CHALLENGE), "wrong-user"),
    ("cram-guess", GUESS, helper(READY, "cram", "alice", "wonderland", RFC_CHALLENGE_B64), "wrong-challenge"),
    ("cram-guess", GUESS, helper(READY, "b64", "decode", JTR_RESPONSE), "wrong-helper"),
    ("cram-guess", GUESS, line(READY, "AUTH CRAM-MD5"), "not-helper"),
    # `:cram` in lesson 5 passes on what it computed, judged against the challenge and the account's password
    ("cram-digest", {}, Attempt(CRAM, CRAM, helper="cram", args=("tim",), result=RAN_RFC2195), PASS),
    ("cram-digest", {}, helper(CRAM, "cram", "tim", "tanstaaftanstaaf"), PASS),
    ("cram-digest", {}, Attempt(CRAM, CRAM, helper="cram", args=("tim",), result={**RAN_RFC2195, "digest": "0" * 32}),
     "wrong-password"),
    ("cram-digest", {}, helper(CRAM, "cram", "tim", "secret"), "wrong-password"),
    ("cram-digest", {}, helper(CRAM, "cram", "tom", "tanstaaftanstaaf"), "wrong-user"),
    ("cram-digest", {}, Attempt(CRAM, CRAM, helper="cram", args=("tim",),
                                result={**RAN_RFC2195, "challenge": "<1.2@x>"}), "other-challenge"),
    ("cram-digest", {}, helper(READY, "cram", "tim", "tanstaaftanstaaf"), "no-challenge"),
    ("cram-digest", {}, helper(CRAM, "b64", "decode", "dGlt"), "wrong-helper"),
    ("cram-digest", {}, line(CRAM, "dGlt"), "not-helper"),
    ("continue", {}, line(READY, "NOOP"), WAIT),
]
CASES += SCRAM_BEARER_CASES     # SCRAM and bearer-token checks (tests/course_cases_scram_bearer.py)


def _id(case):
    kind, params, attempt, expected = case
    shown = attempt.line.decode("utf-8", "replace")[:24] if attempt.line else f":{attempt.helper}"
    return f"{kind}-{expected}-{shown}"


@pytest.mark.parametrize("kind, params, attempt, expected", CASES, ids=[_id(c) for c in CASES])
def test_check(kind, params, attempt, expected):
    outcome = CHECKS[kind].run(params, attempt, TIM)
    if expected == PASS:
        assert isinstance(outcome, Pass), outcome
    elif expected == WAIT:
        assert isinstance(outcome, Wait), outcome
    else:
        assert isinstance(outcome, Fail) and outcome.key == expected, outcome
        assert expected in CHECKS[kind].fails + COMMON_FAILS, "every failure key a check returns is declared"


def test_every_check_kind_is_tested_with_a_pass_and_a_failure():
    for name in CHECKS:
        results = {expected for kind, _, _, expected in CASES if kind == name}
        if name == "continue":
            continue
        assert PASS in results and results - {PASS, WAIT}, name


def test_every_failure_key_has_words():
    for kind in CHECKS.values():
        for key in kind.fails:
            assert isinstance(explain.lookup(f"course.fail.{kind.name}.{key}"), str) or key in COMMON_FAILS, \
                f"course.fail.{kind.name}.{key} has no words in tutor/data/course.toml"
    for key in COMMON_FAILS:
        assert isinstance(explain.lookup(f"course.fail.common.{key}"), str), key


def test_uppercase_hex_passes_with_a_note():
    outcome = CHECKS["cram-response"].run({}, line(CRAM, _cram("B913A602C7EDA7A495B4E6E7334D3890")), TIM)
    assert outcome.note == "course.note.uppercase-hex"


def test_cram_response_uses_the_challenge_the_server_sent():
    """A live server's challenge is random: the check recomputes the HMAC over whatever was sent."""
    challenge = b"<12345.1700000000@mail.example.org>"
    view = CRAM.__class__(**{**CRAM.__dict__, "challenge": challenge})
    right = _cram(_hmac(SECRET, challenge))
    assert isinstance(CHECKS["cram-response"].run({}, line(view, right), TIM), Pass)
    assert CHECKS["cram-response"].run({}, line(view, RFC2195_RESPONSE), TIM).key == "wrong-digest"


def test_unknown_password_cannot_be_checked_but_is_not_failed():
    """On a live server without the password the server's reply decides (the step's `reply`)."""
    nobody = Credentials("tim", None)
    outcome = CHECKS["login-password"].run({}, line(LOGIN_PASS, b64("anything")), nobody)
    assert isinstance(outcome, Pass) and outcome.note == "course.note.unchecked"
    assert isinstance(CHECKS["cram-response"].run({}, line(CRAM, RFC2195_RESPONSE), nobody), Pass)


def test_wrong_values_are_masked_on_a_live_server():
    live = LOGIN_PASS.__class__(**{**LOGIN_PASS.__dict__, "live": True})
    outcome = CHECKS["login-password"].run({}, line(live, b64("hunter2")), TIM)
    assert outcome.key == "wrong-value" and "hunter2" not in str(outcome.params)


def test_plain_form_mismatch_is_a_note_not_a_failure():
    """Both forms are right (RFC 4954 §4); a step that asks for one says so without failing the other."""
    outcome = CHECKS["plain-response"].run({"form": "initial"}, line(PLAIN_WAIT, PLAIN_TIM), TIM)
    assert isinstance(outcome, Pass) and outcome.note == "course.note.plain-form.response"


def test_the_registry_refuses_a_second_kind_with_the_same_name():
    with pytest.raises(ValueError):
        register(CHECKS["quit"])


def test_the_scram_client_first_template_escapes_the_user_name():
    """RFC 5802 §5.1: ',' and '=' in the user name are written =2C and =3D; the check reads them back."""
    from course_cases_scram_bearer import SCRAM_WAIT

    from tutor.course import facts


    odd = Credentials("a,b=c", "pw")
    first = facts.values(odd, READY)["scram_first"]
    assert first == "n,,n=a=2Cb=3Dc,r=rOprNGfwEbeRWgbNEkqO"
    assert isinstance(CHECKS["scram-client-first"].run({}, line(SCRAM_WAIT, b64(first)), odd), Pass)
