"""Inline decoding of AUTH lines and reply meanings, checked against the RFC examples (PROTOCOL.md §2)."""

import pytest

from tutor.display import annotations as ann
from tutor.display.annotations import Annotations
from tutor.protocol.client import AUTH_RESPONSE, COMMAND, Sent
from tutor.protocol.commands import parse
from tutor.protocol.replies import Reply
from tutor.session import AuthView


def texts(notes):
    return [n.text() for n in notes]


def keys(notes):
    return [n.key for n in notes]


def auth_sent():
    return Sent(COMMAND, parse(b"AUTH LOGIN"), b"AUTH LOGIN")


def test_login_username_challenge_decodes():
    notes = ann.Annotations().reply(Reply(334, ("VXNlcm5hbWU6",)), auth_sent(), AuthView("LOGIN"))
    assert '"Username:"' in texts(notes)[1]
    assert notes[0].key == "repl.ann.meaning" and texts(notes)[0].startswith("334")


def test_draft_login_challenge_shows_its_nul():
    # draft-murchison-sasl-login-00 §2.3: 334 VXNlciBOYW1lAA== is "User Name\0"
    notes = ann.challenge("VXNlciBOYW1lAA==", "LOGIN")
    assert '"User Name\\0"' in notes[0].text()


def test_empty_challenge():
    assert keys(ann.challenge("", "PLAIN")) == ["repl.ann.challenge-empty"]


def test_cram_challenge_rfc2195():
    notes = ann.challenge("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", "CRAM-MD5")
    assert notes[0].key == "repl.ann.challenge-cram"
    assert "<1896.697170952@postoffice.reston.mci.net>" in notes[0].text()


def test_bad_challenge_says_cancel():
    notes = ann.challenge("=AAA", "LOGIN")
    assert notes[0].key == "repl.ann.challenge-bad" and "'*'" in notes[0].text()


def test_plain_initial_response_split_rfc4616():
    # RFC 4616 §4 vector: \0tim\0tanstaaftanstaaf
    notes = Annotations().client(b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", COMMAND, AuthView())
    assert keys(notes) == ["repl.ann.plain"]
    assert notes[0].secret
    assert 'authcid "tim"' in notes[0].text() and 'password "tanstaaftanstaaf"' in notes[0].text()


def test_plain_with_authzid():
    # RFC 4616 §4: Ursel\0Kurt\0xipj3plmq
    notes = Annotations().response(b"VXJzZWwAS3VydAB4aXBqM3BsbXE=", "PLAIN", 1)
    assert 'authzid "Ursel"' in notes[0].text() and 'authcid "Kurt"' in notes[0].text()


def test_password_hidden_when_not_revealing():
    notes = Annotations(reveal=False).response(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "PLAIN", 1)
    assert "tanstaaf" not in notes[0].text() and ann.HIDDEN in notes[0].text()


def test_login_answers_by_position():
    first = Annotations().client(b"dGlt", AUTH_RESPONSE, AuthView("LOGIN", responses=0))
    second = Annotations().client(b"dGFuc3RhYWZ0YW5zdGFhZg==", AUTH_RESPONSE, AuthView("LOGIN", responses=1))
    assert keys(first) == ["repl.ann.login-user"] and '"tim"' in first[0].text() and not first[0].secret
    assert keys(second) == ["repl.ann.login-password"] and '"tanstaaftanstaaf"' in second[0].text()
    assert second[0].secret


def test_cram_response_rfc2195():
    notes = Annotations().client(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", AUTH_RESPONSE,
                                 AuthView("CRAM-MD5"))
    assert keys(notes) == ["repl.ann.cram-response"]
    assert notes[0].params == {"user": "tim", "digest": "b913a602c7eda7a495b4e6e7334d3890"}


def test_cancel_and_bad_base64_and_empty():
    a = Annotations()
    assert keys(a.client(b"*", AUTH_RESPONSE, AuthView("LOGIN"))) == ["repl.ann.cancel"]
    bad = a.client(b"dGlt!", AUTH_RESPONSE, AuthView("LOGIN"))
    assert keys(bad) == ["repl.ann.bad-base64"] and "'!'" in bad[0].text()
    assert keys(a.client(b"", AUTH_RESPONSE, AuthView("PLAIN"))) == ["repl.ann.empty-response"]
    assert keys(a.client(b"AUTH EXTERNAL =", COMMAND, AuthView())) == ["repl.ann.empty-initial"]


def test_plain_commands_get_no_decoding():
    assert Annotations().client(b"EHLO x", COMMAND, AuthView()) == []
    assert Annotations().client(b"AUTH LOGIN", COMMAND, AuthView()) == []


@pytest.mark.parametrize("line,key", [(b".hidden", "repl.ann.dot-stuffed"), (b".", "repl.ann.end-of-message")])
def test_message_lines(line, key):
    notes = Annotations().client(line, "message", AuthView())
    assert keys(notes) == [key]


def test_dot_stuffing_shows_the_wire_form():
    assert '"..hidden"' in ann.message_line(b".hidden")[0].text()
    assert ann.message_line(b"Subject: hi") == []


def test_ehlo_reply_lists_mechanisms_merged():
    reply = Reply(250, ("sim Hello", "AUTH=LOGIN", "AUTH LOGIN CRAM-MD5", "STARTTLS"))
    notes = Annotations().reply(reply, Sent(COMMAND, parse(b"EHLO x"), b"EHLO x"), AuthView())
    assert notes[1].params == {"mechanisms": "LOGIN CRAM-MD5"}


def test_ehlo_without_auth_points_at_starttls():
    reply = Reply(250, ("sim Hello", "STARTTLS"))
    notes = Annotations().reply(reply, Sent(COMMAND, parse(b"EHLO x"), b"EHLO x"), AuthView())
    assert keys(notes)[1] == "repl.ann.no-auth-starttls"


# Every reply code of RFC 5321 §4.2.3 (numeric order), and those RFC 4954 adds for AUTH (§4: 334; §6: 235, 432, 454,
# 530, 534, 535, 538).
LISTED_CODES = (211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550, 551,
                552, 553, 554, 555, 235, 334, 432, 454, 530, 534, 535, 538)


def test_every_reply_gets_a_meaning():
    for code in LISTED_CODES:                     # its own meaning, with the RFC it comes from
        text = ann.meaning(code)
        assert text.startswith(str(code)) and "RFC" in text, text
    for code in (299, 399, 459, 599):             # a code no RFC lists still gets one: its class's
        text = ann.meaning(code)
        assert text.startswith(str(code)) and len(text) > len("599: "), text
    assert ann.meaning(535, "5.7.8").startswith("535 5.7.8")
    assert "RFC 4954" in ann.meaning(235, "2.7.0")
