"""The simulated server in memory: every RFC 4954 AUTH case, the submission policy, limits, STARTTLS, notes.

Expected replies are written from RFC 4954 §4/§6, RFC 3207 and RFC 5321; the base64 vectors come from
RFC 4954, RFC 4616, RFC 2195 and the LOGIN draft (see shared/PROTOCOL.md §2).
"""

import pytest
from peers import Talk

from tutor.protocol.states import State
from tutor.sim import Accounts

TIM_PLAIN = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"            # \0tim\0tanstaaftanstaaf (RFC 4616 inputs)
TIM_WRONG_PLAIN = "AHRpbQB3cm9uZw=="                   # \0tim\0wrong
TIM, TIM_PASSWORD = "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="   # tim, tanstaaftanstaaf (LOGIN draft §2.3)
OK = "235 2.7.0 Authentication successful"
FAILED = "535 5.7.8 Authentication credentials invalid"
EVERY_MECHANISM = "250 AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER"


def ready(profile="lab", **options) -> Talk:
    talk = Talk(profile, **options)
    talk("EHLO client.example")
    return talk


# ---- RFC 4954 §4 AUTH cases: (lines sent after EHLO, the last reply expected) ------------------------------

AUTH_CASES = {
    "plain with initial response": ([f"AUTH PLAIN {TIM_PLAIN}"], OK),
    "plain without initial response": (["AUTH PLAIN", TIM_PLAIN], OK),
    "plain '=' is an empty initial response, not a prompt": (["AUTH PLAIN ="], FAILED),
    "login without initial response": (["AUTH LOGIN", TIM, TIM_PASSWORD], OK),
    "login with initial response": ([f"AUTH LOGIN {TIM}", TIM_PASSWORD], OK),
    "mechanism names are case-insensitive": ([f"auth plain {TIM_PLAIN}"], OK),
    "mixed case login": (["Auth Login", TIM, TIM_PASSWORD], OK),
    "wrong password": ([f"AUTH PLAIN {TIM_WRONG_PLAIN}"], FAILED),
    "unknown user": (["AUTH LOGIN", "bm9ib2R5", TIM_PASSWORD], FAILED),   # nobody
    "cancel with * gets 501": (["AUTH LOGIN", "*"], "501 5.7.0 Authentication cancelled"),
    "cancel the plain prompt": (["AUTH PLAIN", "*"], "501 5.7.0 Authentication cancelled"),
    "undecodable response": (["AUTH PLAIN", "!!!!"], "501 5.5.2 Cannot decode response"),
    "'=' inside base64": (["AUTH LOGIN", "=AAA"], "501 5.5.2 Cannot decode response"),
    "undecodable initial response": (["AUTH PLAIN AAA=BBB"], "501 5.5.2 Cannot decode response"),
    "unknown mechanism": (["AUTH FOO"], "504 5.5.4 Unrecognized authentication type"),
    "dotless i is not PLAIN": ([f"AUTH PLA\u0131N {TIM_PLAIN}"], "504 5.5.4 Unrecognized authentication type"),
    "initial response with CRAM-MD5": (["AUTH CRAM-MD5 dGlt"], "501 5.7.0 Initial response not allowed for CRAM-MD5"),
    "AUTH without a mechanism": (["AUTH"], "501 5.5.4 Syntax: AUTH mechanism [initial-response]"),
    "AUTH after success": ([f"AUTH PLAIN {TIM_PLAIN}", f"AUTH PLAIN {TIM_PLAIN}"], "503 5.5.1 Already authenticated"),
    "AUTH inside a mail transaction": (
        [f"AUTH PLAIN {TIM_PLAIN}", "MAIL FROM:<tim@example.org>", "AUTH LOGIN"],
        "503 5.5.1 AUTH not permitted during a mail transaction"),
}


@pytest.mark.parametrize("lines,expected", AUTH_CASES.values(), ids=AUTH_CASES.keys())
def test_rfc4954_auth_cases(lines, expected):
    talk = ready()
    replies = [talk(line) for line in lines]
    assert replies[-1] == expected


def test_plain_prompt_is_334_with_the_trailing_space():
    talk = ready()
    assert talk.raw(b"AUTH PLAIN\r\n").data == b"334 \r\n"   # RFC 4954 §4: empty challenge is "334 "


def test_login_prompts_are_username_and_password_in_base64():
    talk = ready()
    assert talk("AUTH LOGIN") == "334 VXNlcm5hbWU6"       # Username:
    assert talk(TIM) == "334 UGFzc3dvcmQ6"                # Password:


def test_login_initial_response_skips_the_username_prompt():
    talk = ready()
    assert talk(f"AUTH LOGIN {TIM}") == "334 UGFzc3dvcmQ6"


def test_rfc4954_example_account_works_when_configured():
    talk = ready(accounts=Accounts({"test": "1234"}))
    assert talk("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=") == OK
    assert talk.server.user == "test"


def test_cram_md5_gets_a_fresh_rfc2195_challenge_per_attempt():
    talk = ready(clock=lambda: 1700000000.0, hostname="sim.example")
    first = talk("AUTH CRAM-MD5")
    talk("*")
    second = talk("AUTH CRAM-MD5")
    import base64
    import re
    decoded = [base64.b64decode(reply.removeprefix("334 ")) for reply in (first, second)]
    for challenge in decoded:
        assert re.fullmatch(rb"<\d+\.1700000000@sim\.example>", challenge)   # RFC 2195 §2: <digits.time@host>
    assert decoded[0] != decoded[1]


def test_cram_md5_rfc2195_replay_under_fixed_challenge():
    talk = ready("fixed-challenge")
    assert talk("AUTH CRAM-MD5") == "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    assert talk("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw") == OK


def test_cram_md5_wrong_digest_is_535():
    talk = ready("fixed-challenge")
    talk("AUTH CRAM-MD5")
    # "tim 00000000000000000000000000000000"
    assert talk("dGltIDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw") == FAILED


def test_success_sets_the_user_and_state():
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    assert talk.server.authenticated and talk.server.user == "tim" and talk.server.state is State.READY


# ---- submission policy and the mail transaction --------------------------------------------------------

def test_mail_before_auth_is_530():
    assert ready()("MAIL FROM:<tim@example.org>") == "530 5.7.0 Authentication required"


def test_a_whole_submission_lands_in_the_sink_and_nowhere_else():
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    replies = talk.send("MAIL FROM:<tim@example.org> AUTH=<>", "RCPT TO:<a@example.net>",
                        "RCPT TO:<b@example.net>", "DATA")
    assert replies == ["250 2.1.0 Ok", "250 2.1.5 Ok (kept here, never relayed)",
                       "250 2.1.5 Ok (kept here, never relayed)", "354 End data with <CR><LF>.<CR><LF>"]
    final = talk.send("Subject: hi", "", "..leading dot", ".")
    assert final == ["250 2.0.0 Ok: queued as M000001 (kept by the simulator, never relayed)"]
    (message,) = talk.server.sink.messages
    assert (message.mail_from, message.rcpts, message.user) == \
        ("tim@example.org", ("a@example.net", "b@example.net"), "tim")
    assert message.data == b"Subject: hi\r\n\r\n.leading dot\r\n"          # RFC 5321 §4.5.2 dot-unstuffed
    assert b" with ESMTPA " in message.received                           # RFC 4954 §7


@pytest.mark.parametrize("lines,expected", [
    (["RCPT TO:<a@example.net>"], "503 5.5.1 Need MAIL before RCPT"),
    (["DATA"], "503 5.5.1 Need RCPT before DATA"),
    (["MAIL FROM:<a@example.org>", "MAIL FROM:<a@example.org>"], "503 5.5.1 Sender already given; RSET to start over"),
    (["MAIL FROM:a@example.org"], "501 5.5.4 Syntax: MAIL FROM:<address>"),
    (["MAIL FROM:<a@example.org>", "RCPT TO:<>"], "501 5.5.4 Syntax: RCPT TO:<address>"),
    (["MAIL FROM:<a@example.org> FOO=BAR"], "555 5.5.4 MAIL FROM/RCPT TO parameter not recognized: FOO=BAR"),
    (["MAIL FROM:<a@example.org> SIZE=99999999999"], "552 5.3.4 Message size exceeds fixed limit of 10485760 octets"),
    (["MAIL FROM:<a@example.org>", "RSET", "RCPT TO:<a@example.net>"], "503 5.5.1 Need MAIL before RCPT"),
])
def test_transaction_order_and_syntax(lines, expected):
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    assert [talk(line) for line in lines][-1] == expected


def test_a_refused_auth_leaves_the_transaction_as_it_was():
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    talk("MAIL FROM:<a@example.org>")
    assert talk("AUTH LOGIN").startswith("503 ")
    assert talk("RCPT TO:<b@example.net>") == "250 2.1.5 Ok (kept here, never relayed)"


def test_commands_before_ehlo_get_503():
    talk = Talk()
    assert talk("AUTH PLAIN") == "503 5.5.1 Send EHLO (or HELO) first"
    assert talk("MAIL FROM:<a@example.org>") == "503 5.5.1 Send EHLO (or HELO) first"


@pytest.mark.parametrize("line,expected", [
    ("NOOP", "250 2.0.0 Ok"),
    ("RSET", "250 2.0.0 Ok"),
    ("VRFY tim", "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"),
    ("HELP", "214 2.0.0 Commands: EHLO HELO AUTH STARTTLS MAIL RCPT DATA RSET NOOP VRFY HELP QUIT"),
    ("EXPN list", "502 5.5.1 EXPN not implemented"),
    ("FROB", "500 5.5.1 Command not recognized"),
    ("EHLO", "501 5.5.4 Syntax: EHLO hostname"),
    ("HELO client.example", "250 sim.smtp-tutor.test"),
])
def test_simple_commands(line, expected):
    assert ready()(line) == expected


def test_quit_says_221_and_closes():
    talk = ready()
    assert talk("QUIT") == "221 2.0.0 sim.smtp-tutor.test Bye"
    assert talk.last.close and talk.server.closed
    assert talk.raw(b"NOOP\r\n").data == b""


def test_client_closing_is_reported():
    talk = ready()
    out = talk.raw(b"")
    assert out.close and out.data == b"" and talk.server.closed


def test_pipelined_commands_are_answered_in_order():
    talk = ready()
    replies = talk.send(f"AUTH PLAIN {TIM_PLAIN}", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "NOOP")
    assert replies == [OK, "250 2.1.0 Ok", "250 2.1.5 Ok (kept here, never relayed)", "250 2.0.0 Ok"]


# ---- limits -----------------------------------------------------------------------------------------

def test_command_line_over_512_octets_is_500():
    assert ready()("NOOP " + "x" * 600) == "500 5.5.2 Line too long (limit 512 octets)"


def test_auth_line_limit_is_12288_octets_including_crlf():
    talk = ready()
    talk("AUTH PLAIN")
    assert talk("A" * 12286) == "501 5.5.2 Cannot decode response"   # 12288 with CRLF: allowed, just not base64
    talk("AUTH PLAIN")
    assert talk("A" * 12287) == "500 5.5.6 Authentication Exchange line is too long"
    assert talk.server.state is State.READY


def test_auth_command_with_an_oversized_initial_response_is_500_5_5_6():
    assert ready()("AUTH PLAIN " + "A" * 13000) == "500 5.5.6 Authentication Exchange line is too long"


def test_message_line_over_1000_octets_is_refused():
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    talk.send("MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "DATA")
    assert talk.send("x" * 999, ".") == ["500 5.5.2 Message line too long (limit 1000 octets)"]
    assert talk.server.sink.messages == []


def test_three_failed_logins_close_with_421():
    talk = ready()
    assert talk(f"AUTH PLAIN {TIM_WRONG_PLAIN}") == FAILED
    assert talk(f"AUTH PLAIN {TIM_WRONG_PLAIN}") == FAILED
    assert talk.send(f"AUTH PLAIN {TIM_WRONG_PLAIN}") == [
        FAILED, "421 4.7.0 sim.smtp-tutor.test Too many failed authentication attempts (3), closing connection;"
                " reconnect to try again"]
    assert talk.last.close and talk.server.closed


def test_ten_bad_commands_close_with_421():
    talk = ready()
    replies = talk.send(*["FROB"] * 10, "NOOP")
    assert replies[:10] == ["500 5.5.1 Command not recognized"] * 10
    assert replies[10:] == ["421 4.7.0 sim.smtp-tutor.test Too many errors, closing connection"]
    assert talk.last.close


def test_idle_timeout_and_busy_and_shutdown_are_421():
    assert ready().server.timeout().data == b"421 4.4.2 sim.smtp-tutor.test Timeout, closing connection\r\n"
    from tutor.sim import SimServer
    busy = SimServer().busy()
    assert busy.close and busy.data == b"421 4.3.2 sim.smtp-tutor.test Too many connections, try again later\r\n"
    assert ready().server.shutdown().data.startswith(b"421 4.3.0 ")


# ---- STARTTLS (RFC 3207) and implicit TLS (RFC 8314) --------------------------------------------------

def test_starttls_asks_for_the_handshake_and_discards_pipelined_commands():
    talk = ready()
    out = talk.raw(b"STARTTLS\r\nNOOP\r\n")
    assert out.data == b"220 2.0.0 Ready to start TLS\r\n" and out.start_tls   # RFC 3207 §4.2: NOOP discarded
    assert talk.server.state is State.TLS_PENDING


def test_after_tls_the_session_starts_over():
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    talk("STARTTLS")
    talk.server.tls_established()
    assert talk.server.tls and not talk.server.authenticated and talk.server.user is None
    assert talk("MAIL FROM:<a@example.org>") == "503 5.5.1 Send EHLO (or HELO) first"
    ehlo = talk.send("EHLO client.example")
    assert "250-STARTTLS" not in ehlo and ehlo[-1] == EVERY_MECHANISM
    assert talk(f"AUTH PLAIN {TIM_PLAIN}") == OK


@pytest.mark.parametrize("line,expected", [
    ("STARTTLS now", "501 5.5.4 Syntax: STARTTLS takes no argument"),
])
def test_starttls_syntax(line, expected):
    assert ready()(line) == expected


def test_starttls_twice_is_refused():
    talk = ready()
    talk("STARTTLS")
    talk.server.tls_established()
    talk("EHLO client.example")
    assert talk("STARTTLS") == "503 5.5.1 TLS already active"


def test_starttls_without_a_certificate_is_454_and_not_advertised():
    talk = Talk(starttls=False)
    assert "250-STARTTLS" not in talk.send("EHLO client.example")
    assert talk("STARTTLS") == "454 4.7.0 TLS not available due to temporary reason"


def test_implicit_tls_starts_in_tls():
    from tutor.sim import SimServer
    server = SimServer()
    server.tls_established()          # before the greeting: implicit TLS
    assert server.connect().data.startswith(b"220 ")
    assert server.tls and b"STARTTLS" not in server.receive(b"EHLO c\r\n").data


# ---- notes and transcripts --------------------------------------------------------------------------

def test_notes_explain_the_decoded_response_and_mark_the_password_secret():
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    decoded = [n for n in talk.last.notes if n.key == "sim.auth.decoded"]
    assert len(decoded) == 1 and decoded[0].secret and decoded[0].source == "server"
    assert decoded[0].params["shown"] == "\\0tim\\0tanstaaftanstaaf"
    assert all(n.source == "server" for n in talk.last.notes)


def test_cram_notes_show_the_expected_hmac_and_the_comparison():
    talk = ready("fixed-challenge")
    talk("AUTH CRAM-MD5")
    talk("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
    values = [n.params.get("value") for n in talk.last.notes if n.key == "sim.step"]
    assert "b913a602c7eda7a495b4e6e7334d3890" in values and "match" in values
    assert not any(n.secret for n in talk.last.notes if n.key == "sim.step")


def test_every_note_has_words():
    talk = ready("fixed-challenge")
    for line in ["AUTH CRAM-MD5", "*", f"AUTH LOGIN {TIM}", TIM_PASSWORD, "MAIL FROM:<a@example.org>", "FROB"]:
        talk(line)
        for note in talk.last.notes:
            assert not note.text().startswith(note.key), note.key


def test_transcript_masks_passwords_but_not_user_names():
    talk = ready()
    talk(f"AUTH PLAIN {TIM_PLAIN}")
    (line,) = [t for t in talk.last.transcript if t.direction == "C"]
    assert line.shown() == "AUTH PLAIN *** (masked, use --show-secrets)"
    assert line.shown(show_secrets=True) == f"AUTH PLAIN {TIM_PLAIN}"
    talk2 = ready()
    talk2("AUTH LOGIN")
    talk2(TIM)
    assert talk2.last.transcript[0].shown() == TIM
    talk2(TIM_PASSWORD)
    assert talk2.last.transcript[0].shown() == "*** (masked, use --show-secrets)"


def test_same_seed_and_clock_replay_byte_for_byte():
    import random

    def session():
        talk = Talk(rng=random.Random(7), clock=lambda: 1015983493.0)
        data = [talk.greeting.data]
        for line in [b"EHLO c\r\n", b"AUTH CRAM-MD5\r\n", b"*\r\n", b"AUTH CRAM-MD5\r\n"]:
            data.append(talk.raw(line).data)
        return data

    assert session() == session()
