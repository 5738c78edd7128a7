"""Error-code profiles and accounts: the AUTH replies of RFC 4954 §6 (issue 13), byte for byte.

Codes, enhanced codes and texts are RFC 4954 §6's own: 454 4.7.0, 534 5.7.9, 538 5.7.11, 432 4.7.12, 500 5.5.6.
CRAM-MD5 uses RFC 2195 §2's example: challenge <1896.697170952@postoffice.reston.mci.net>, tim/tanstaaftanstaaf.
"""

import base64

import pytest
from peers import Talk

from tutor.errors import InputError
from tutor.sim import PROFILES, Accounts, SimServer

TEMP = "454 4.7.0 Temporary authentication failure"
WEAK = "534 5.7.9 Authentication mechanism is too weak"
ENCRYPT = "538 5.7.11 Encryption required for requested authentication mechanism"
TRANSITION = "432 4.7.12 A password transition is needed"
TOO_LONG = "500 5.5.6 Authentication Exchange line is too long"
OK = "235 2.7.0 Authentication successful"
FAILED = "535 5.7.8 Authentication credentials invalid"
RFC2195_CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"
RFC2195_RESPONSE = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"   # "tim b913a602c7eda7a495b4e6e7334d3890"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + b64(f"\0{user}\0{password}")


def ready(profile: str, **options) -> Talk:
    talk = Talk(profile, fixed_challenge=RFC2195_CHALLENGE, **options)
    talk("EHLO client.example")
    return talk


def in_tls(talk: Talk) -> Talk:
    assert talk("STARTTLS") == "220 2.0.0 Ready to start TLS"
    talk.server.tls_established()
    talk("EHLO client.example")
    return talk


def cram(talk: Talk) -> str:
    assert talk("AUTH CRAM-MD5") == "334 " + base64.b64encode(RFC2195_CHALLENGE).decode()
    return talk(RFC2195_RESPONSE)


# ---- per profile ---------------------------------------------------------------------------------------------

def test_temp_failure_answers_454_after_the_credentials_and_does_not_count_as_a_failure():
    talk = ready("temp-failure")
    for _ in range(5):
        assert talk(plain("tim", "tanstaaftanstaaf")) == TEMP
    assert talk("AUTH LOGIN") == "334 VXNlcm5hbWU6"
    assert talk(b64("tim")) == "334 UGFzc3dvcmQ6"
    assert talk(b64("tanstaaftanstaaf")) == TEMP
    assert "sim.policy.temp-failure" in talk.notes()
    assert not talk.server.closed and not talk.server.authenticated


def test_too_weak_refuses_plain_login_and_cram_at_the_command_and_lets_scram_through():
    talk = ready("too-weak")
    assert talk(plain("tim", "tanstaaftanstaaf")) == WEAK
    assert talk("AUTH LOGIN") == WEAK
    assert talk("AUTH CRAM-MD5") == WEAK
    # RFC 4954 §6: "retry with a new authentication mechanism"; SCRAM, driven by scramp (an independent client), logs in
    import scramp

    client = scramp.ScramClient(["SCRAM-SHA-256"], "tim", "tanstaaftanstaaf")
    first = talk("AUTH SCRAM-SHA-256 " + b64(client.get_client_first()))
    assert first.startswith("334 ")
    client.set_server_first(base64.b64decode(first[4:]).decode())
    final = talk(b64(client.get_client_final()))
    client.set_server_final(base64.b64decode(final[4:]).decode())   # raises unless v= proves the server knew the keys
    assert talk("") == OK


def test_encryption_required_refuses_clear_password_mechanisms_until_starttls():
    talk = ready("encryption-required")
    assert "AUTH PLAIN LOGIN" in talk.last.data.decode()   # advertised in clear: the historical way
    assert talk(plain("tim", "tanstaaftanstaaf")) == ENCRYPT
    assert talk("AUTH LOGIN") == ENCRYPT
    assert cram(talk) == OK                                # CRAM-MD5 sends no password: allowed


def test_encryption_required_accepts_plain_inside_tls():
    talk = in_tls(ready("encryption-required"))
    assert talk(plain("tim", "tanstaaftanstaaf")) == OK


def test_password_transition_432_until_one_plain_login_then_cram_works_in_later_sessions():
    accounts = Accounts.default()
    talk = ready("password-transition", accounts=accounts)
    assert cram(talk) == TRANSITION
    assert talk(plain("tim", "tanstaaftanstaaf")) == OK
    assert "sim.policy.transitioned" in talk.notes()
    later = ready("password-transition", accounts=accounts)   # a new connection to the same server
    assert cram(later) == OK


def test_password_transition_needs_a_successful_plain_login():
    accounts = Accounts.default()
    talk = ready("password-transition", accounts=accounts)
    assert talk(plain("tim", "wrong")) == FAILED
    assert cram(ready("password-transition", accounts=accounts)) == TRANSITION


def test_small_auth_buffer_500_5_5_6_for_a_long_response_short_ones_pass():
    talk = ready("small-auth-buffer")
    assert talk(plain("tim", "tanstaaftanstaaf")) == OK
    talk = ready("small-auth-buffer")
    assert talk("AUTH PLAIN " + "A" * 68) == TOO_LONG
    assert talk("AUTH LOGIN") == "334 VXNlcm5hbWU6"
    assert talk(b64("tim")) == "334 UGFzc3dvcmQ6"
    assert talk(b64("p" * 60)) == TOO_LONG                 # 80 base64 octets: over 64
    assert "sim.auth.line-too-long" in talk.notes()
    assert talk("NOOP") == "250 2.0.0 Ok"


# ---- per account -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("user,expected", [("tempfail", TEMP), ("weak", WEAK), ("needtls", ENCRYPT), ("tim", OK)])
def test_error_codes_profile_builtin_accounts_each_meet_their_reply(user, expected):
    password = "tanstaaftanstaaf" if user == "tim" else user
    assert ready("error-codes")(plain(user, password)) == expected


def test_the_needtls_account_says_the_password_already_crossed():
    talk = ready("error-codes")
    talk(plain("needtls", "needtls"))
    assert talk.notes()[-2:] == ["sim.policy.encryption-required", "sim.policy.late"]
    assert in_tls(ready("error-codes"))(plain("needtls", "needtls")) == OK


def test_the_weak_account_can_log_in_with_scram():
    from tutor.sasl import scram
    from tutor.sasl.base import Credentials

    talk = ready("error-codes")
    client = scram.ScramClient(Credentials("weak", "weak"), "SHA-256")
    first = talk("AUTH SCRAM-SHA-256 " + base64.b64encode(client.initial_response()).decode())
    final = talk(base64.b64encode(client.respond(base64.b64decode(first[4:]))).decode())
    client.respond(base64.b64decode(final[4:]))   # raises if v= is wrong
    assert talk("") == OK


def test_the_transition_account_432_then_plain_then_cram_md5(tmp_path):
    server_accounts = Accounts.default()
    talk = ready("error-codes", accounts=server_accounts)
    assert talk("AUTH CRAM-MD5").startswith("334 ")
    assert talk(b64("transition 00000000000000000000000000000000")) == TRANSITION
    assert talk(plain("transition", "transition")) == OK


def test_the_error_codes_accounts_do_not_replace_given_ones():
    accounts = Accounts.from_specs(["tempfail:mine"])
    assert ready("error-codes", accounts=accounts)(plain("tempfail", "mine")) == OK


def test_a_users_file_note_gives_an_account_its_error(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("name,password,note\nbob,secret,error=454 (the broken one)\nann,pw,row 2\n", encoding="utf-8")
    accounts = Accounts.from_file(path)
    assert accounts.error_for("bob") == "454" and accounts.note_for("ann") == "row 2"
    assert ready("lab", accounts=accounts)(plain("bob", "secret")) == TEMP
    assert ready("lab", accounts=accounts)(plain("ann", "pw")) == OK


def test_an_unknown_error_code_in_a_users_file_is_one_line(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("bob,secret,error=999\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        Accounts.from_file(path)
    assert str(info.value) == f"users file {path} line 1: error=999 is not one of 454, 534, 538, 432"


def test_error_profiles_use_the_same_accounts_across_connections():
    accounts = Accounts.default()
    first = SimServer("error-codes", accounts).accounts
    assert SimServer("error-codes", accounts).accounts is first and "tempfail" in first


def test_a_malformed_response_gets_the_mechanisms_own_verdict_not_the_policy():
    talk = ready("password-transition")
    assert talk("AUTH CRAM-MD5").startswith("334 ")
    assert talk(b64("tim 00")) == FAILED        # no user named: nothing to transition


def test_including_the_profile_accounts_twice_changes_nothing():
    merged = Accounts.default().including(PROFILES["error-codes"].accounts)
    assert merged.including(PROFILES["error-codes"].accounts) is merged
    assert merged.names == ("tim", "demo", "tempfail", "weak", "needtls", "transition")


@pytest.mark.parametrize("profile,expected", [("temp-failure", TEMP), ("password-transition", TRANSITION)])
def test_scram_is_refused_at_its_first_message_before_any_salt_or_signature(profile, expected):
    from tutor.sasl import scram
    from tutor.sasl.base import Credentials

    talk = ready(profile)
    client = scram.ScramClient(Credentials("tim", "tanstaaftanstaaf"), "SHA-256")
    assert talk("AUTH SCRAM-SHA-256 " + base64.b64encode(client.initial_response()).decode()) == expected
    assert not [n for n in talk.last.notes if n.key == "sim.step" and "salt" in n.params["label"]]
