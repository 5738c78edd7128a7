"""SCRAM and OAuth bearer mechanisms in the simulator: RFC 5802 / 7677 replayed byte for byte by `fixed-scram`,
stored keys (verified without the password), determinism, the impostor, the Gmail-like `oauth-tls` profile, masking.

Vectors are the RFC texts of shared/PROTOCOL.md §2.7-2.8, base64-encoded here with the standard library; the
independent SCRAM client is `scramp` (a test dependency).
"""

import base64
import hashlib
import hmac
import random

import pytest
from peers import Talk

from tutor.errors import RemoteProtocolError
from tutor.sasl import scram
from tutor.sasl.base import Credentials
from tutor.sim import Accounts

MASK = "*** (masked, use --show-secrets)"
OK = "235 2.7.0 Authentication successful"
FAILED = "535 5.7.8 Authentication credentials invalid"
LAB_KEY = b"smtp-auth-tutor lab token key"

# RFC 5802 §5 and RFC 7677 §3, verbatim (user "user", password "pencil").
RFC = {
    "SHA-1": ("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
              "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
              "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
              "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
    "SHA-256": ("n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
}


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode("ascii")


def unb64(line: str) -> bytes:
    assert line.startswith("334 "), line
    return base64.b64decode(line[4:])


def ready(profile="lab", **options) -> Talk:
    talk = Talk(profile, **options)
    talk("EHLO client.example")
    return talk


def lab_token(user: str) -> str:
    """tutor.sasl.tokens' rule, written out: 'lab-' + base64url(HMAC-SHA256(key, user)) cut to 32 characters."""
    mac = base64.urlsafe_b64encode(hmac.new(LAB_KEY, user.encode(), hashlib.sha256).digest()).decode()
    return "lab-" + mac.rstrip("=")[:32]


# ---- fixed-scram replays the RFC examples ----------------------------------------------------------------

@pytest.mark.parametrize("hash_", ["SHA-1", "SHA-256"])
def test_fixed_scram_replays_the_rfc_example_byte_for_byte(hash_):
    client_first, server_first, client_final, server_final = RFC[hash_]
    talk = ready("fixed-scram", accounts=Accounts({"user": "pencil"}))
    assert talk(f"AUTH SCRAM-{hash_} {b64(client_first)}") == f"334 {b64(server_first)}"
    assert talk(b64(client_final)) == f"334 {b64(server_final)}"   # RFC 4954 §4: v= goes as a 334 challenge
    assert talk("") == OK


def test_rfc5802_smtp_framing_from_protocol_md():
    talk = ready("fixed-scram", accounts=Accounts({"user": "pencil"}))
    assert talk("AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM") == (
        "334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==")
    assert talk("Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5"
                "RjBYK0hJNFRzPQ==") == "334 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9"
    assert talk("") == OK


def test_scram_without_initial_response_starts_with_an_empty_challenge():
    client_first, server_first, *_ = RFC["SHA-256"]
    talk = ready("fixed-scram", accounts=Accounts({"user": "pencil"}))
    assert talk("AUTH SCRAM-SHA-256") == "334 "
    assert talk(b64(client_first)) == f"334 {b64(server_first)}"


def test_a_wrong_proof_gets_535_and_v_is_never_sent():
    client_first, _, client_final, _ = RFC["SHA-256"]
    talk = ready("fixed-scram", accounts=Accounts({"user": "not-pencil"}))
    talk(f"AUTH SCRAM-SHA-256 {b64(client_first)}")
    assert talk(b64(client_final)) == FAILED


# ---- stored keys: the server verifies without the password ------------------------------------------------

def test_the_server_verifies_with_stored_keys_not_the_password():
    client_first, _, client_final, _ = RFC["SHA-256"]
    talk = ready("fixed-scram", accounts=Accounts({"user": "pencil"}))
    talk(f"AUTH SCRAM-SHA-256 {b64(client_first)}")
    notes = talk.notes()
    assert "scram.note.server.stored-record" in notes and "scram.note.server.from-plaintext" not in notes
    talk(b64(client_final))
    assert "scram.note.server.compare-stored-key" in talk.notes()
    assert "scram.note.server.server-signature" in talk.notes()


def test_stored_keys_are_built_once_per_account_so_the_salt_never_changes():
    accounts = Accounts({"tim": "tanstaaftanstaaf"})
    salts = set()
    for seed in (1, 2):   # two connections (as under `serve`) sharing the accounts
        talk = ready("lab", accounts=accounts, rng=random.Random(seed))
        first = scram.parse_message(unb64(talk("AUTH SCRAM-SHA-256 " + b64("n,,n=tim,r=abcdef"))))
        salts.add(first["s"])
        assert first["r"].startswith("abcdef") and len(first["r"]) > len("abcdef")
    assert len(salts) == 1 and len(base64.b64decode(salts.pop())) == 16


def test_a_pinned_rng_replays_salts_and_nonces_byte_for_byte():
    def run():
        talk = ready("lab", rng=random.Random(7))
        return [talk("AUTH SCRAM-SHA-1 " + b64("n,,n=tim,r=abcdef")), talk("*")]
    assert run() == run()


def test_an_unknown_user_gets_the_same_made_up_salt_on_every_connection_and_then_535():
    accounts = Accounts()

    def salt(user: str, seed: int) -> str:
        talk = ready("lab", accounts=accounts, rng=random.Random(seed))
        first = scram.parse_message(unb64(talk("AUTH SCRAM-SHA-256 " + b64(f"n,,n={user},r=abcdef"))))
        assert "scram.note.server.unknown-user" in talk.notes()
        assert talk(b64(f"c=biws,r={first['r']},p={b64(bytes(32))}")) == FAILED
        return first["s"]

    assert salt("nobody", 1) == salt("nobody", 2) != salt("somebody", 3)   # like real salts: per name, stable


@pytest.mark.parametrize("mechanism,hash_", [("SCRAM-SHA-1", "SHA-1"), ("SCRAM-SHA-256", "SHA-256")])
def test_scramp_logs_in_to_the_lab_profile(mechanism, hash_):
    scramp = pytest.importorskip("scramp")
    client = scramp.ScramClient([mechanism], "tim", "tanstaaftanstaaf")
    talk = ready("lab")
    reply = talk(f"AUTH {mechanism} {b64(client.get_client_first())}")
    client.set_server_first(unb64(reply).decode())
    reply = talk(b64(client.get_client_final()))
    client.set_server_final(unb64(reply).decode())   # raises if v= is wrong
    assert talk("") == OK


# ---- the impostor: mutual authentication catches it ------------------------------------------------------

def test_the_scram_client_catches_an_impostor_by_its_v_and_cancels():
    talk = ready("impostor", accounts=Accounts({"tim": "the-impostor-does-not-know-it"}))
    client = scram.ScramClient(Credentials("tim", "tanstaaftanstaaf"), "SHA-256")
    challenge = unb64(talk("AUTH SCRAM-SHA-256 " + b64(client.initial_response())))
    server_final = unb64(talk(b64(client.respond(challenge))))   # the impostor signs v= anyway
    assert server_final.startswith(b"v=")
    with pytest.raises(RemoteProtocolError, match="impostor"):
        client.respond(server_final)
    assert talk("*") == "501 5.7.0 Authentication cancelled"    # RFC 4954 §4: the client cancels
    assert not talk.server.authenticated


def test_the_impostor_says_yes_to_a_plain_password_it_never_knew():
    talk = ready("impostor", accounts=Accounts({"tim": "something-else"}))
    assert talk("AUTH PLAIN " + b64("\0tim\0tanstaaftanstaaf")) == OK
    assert "sim.impostor.accepts" in talk.notes()


def test_the_impostor_takes_any_bearer_token():
    talk = ready("impostor")
    assert talk("AUTH XOAUTH2 " + b64("user=tim\x01auth=Bearer stolen\x01\x01")) == OK


# ---- oauth-tls: Gmail-like, TLS first, bearer tokens ---------------------------------------------------------

def test_oauth_tls_has_no_auth_before_tls_and_530_for_auth():
    talk = Talk("oauth-tls")
    assert talk.send("EHLO client.example") == [
        "250-sim.smtp-tutor.test at your service", "250-SIZE 35882577", "250-8BITMIME", "250-STARTTLS",
        "250-ENHANCEDSTATUSCODES", "250 PIPELINING"]
    assert talk("AUTH XOAUTH2 " + b64(f"user=tim\x01auth=Bearer {lab_token('tim')}\x01\x01")) == \
        "530 5.7.0 Must issue a STARTTLS command first"


def tls_ready(profile="oauth-tls") -> Talk:
    talk = ready(profile)
    assert talk("STARTTLS") == "220 2.0.0 Ready to start TLS"
    talk.server.tls_established()
    return talk


def test_oauth_tls_offers_xoauth2_oauthbearer_plain_inside_tls():
    talk = tls_ready()
    assert talk.send("EHLO client.example")[3] == "250-AUTH XOAUTH2 OAUTHBEARER PLAIN"


def test_xoauth2_with_a_lab_token_is_accepted():
    talk = tls_ready()
    talk("EHLO client.example")
    assert talk("AUTH XOAUTH2 " + b64(f"user=tim\x01auth=Bearer {lab_token('tim')}\x01\x01")) == \
        "235 2.7.0 Accepted"


def test_xoauth2_googles_example_token_gets_googles_json_error_then_535():
    talk = tls_ready()
    talk("EHLO client.example")
    google = ("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRH"
              "RXVZMjl0Q2cBAQ==")
    error = '{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}'
    assert talk(f"AUTH XOAUTH2 {google}") == f"334 {b64(error)}"
    assert talk("") == FAILED        # the client's empty answer, then the failure


def test_oauthbearer_rfc7628_example_gets_the_rfc_error_then_535_after_ctrl_a():
    talk = ready("lab")
    rfc = ("bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRj"
           "Mk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB")
    error = ('{"status":"invalid_token","scope":"example_scope",'
             '"openid-configuration":"https://example.com/.well-known/openid-configuration"}')
    assert talk(f"AUTH OAUTHBEARER {rfc}") == f"334 {b64(error)}"
    assert talk("AQ==") == FAILED    # RFC 7628 §3.2.3: a single ^A


def test_oauthbearer_with_a_lab_token_after_an_empty_challenge():
    talk = ready("lab")
    assert talk("AUTH OAUTHBEARER") == "334 "
    message = f"n,a=tim,\x01host=sim.smtp-tutor.test\x01port=587\x01auth=Bearer {lab_token('tim')}\x01\x01"
    assert talk(b64(message)) == OK
    assert "sim.auth.token-in-clear" in talk.notes()


def test_a_token_for_another_user_is_refused():
    talk = ready("lab")
    reply = talk("AUTH XOAUTH2 " + b64(f"user=tim\x01auth=Bearer {lab_token('demo')}\x01\x01"))
    assert reply.startswith("334 ") and talk("") == FAILED


# ---- masking: tokens replay, SCRAM lines do not -----------------------------------------------------------

def test_bearer_tokens_are_masked_in_the_transcript():
    talk = ready("lab")
    line = "AUTH XOAUTH2 " + b64(f"user=tim\x01auth=Bearer {lab_token('tim')}\x01\x01")
    talk(line)
    assert talk.last.transcript[0].shown() == f"AUTH XOAUTH2 {MASK}"
    assert talk.last.transcript[0].shown(show_secrets=True) == line
    talk2 = ready("lab")
    talk2("AUTH OAUTHBEARER")
    talk2(b64(f"n,a=tim,\x01auth=Bearer {lab_token('tim')}\x01\x01"))
    assert talk2.last.transcript[0].shown() == MASK


def test_scram_lines_are_not_masked_and_a_note_says_why():
    client_first, _, client_final, _ = RFC["SHA-256"]
    talk = ready("fixed-scram", accounts=Accounts({"user": "pencil"}))
    talk(f"AUTH SCRAM-SHA-256 {b64(client_first)}")
    assert talk.last.transcript[0].shown() == f"AUTH SCRAM-SHA-256 {b64(client_first)}"
    talk(b64(client_final))
    assert talk.last.transcript[0].shown() == b64(client_final)
    assert "sim.scram.visible" in talk.notes()


# ---- issue 11 §2: the impostor's log never announces a 535 it does not send ----------------------------------

def _all_note_texts(talk, lines):
    replies, texts = [], []
    for line in lines:
        replies.append(talk(line))
        texts += [note.text() for note in talk.last.notes]
    return replies, texts


@pytest.mark.parametrize("lines", [
    ["AUTH PLAIN " + b64("\0tim\0guess")],
    ["AUTH LOGIN", b64("tim"), b64("guess")],
], ids=["plain", "login"])
def test_the_impostor_log_does_not_say_the_check_fails_and_then_send_235(lines):
    replies, texts = _all_note_texts(ready("impostor"), lines)
    assert replies[-1] == OK
    assert not [t for t in texts if "check fails" in t or "reply will be 535" in t]
    assert any("An honest server would answer 535 here; this one is about to say yes anyway" in t for t in texts)


def test_the_impostor_scram_log_does_not_say_the_reply_will_be_535():
    talk = ready("impostor")
    client = scram.ScramClient(Credentials("tim", "tanstaaftanstaaf"), "SHA-256")
    first = talk("AUTH SCRAM-SHA-256 " + b64(client.initial_response()))
    texts = [note.text() for note in talk.last.notes]
    talk(b64(client.respond(unb64(first))))          # v= signed with made-up keys
    texts += [note.text() for note in talk.last.notes]
    assert talk("") == OK                            # a client that does not check v= gets 235
    texts += [note.text() for note in talk.last.notes]
    assert not [t for t in texts if "reply will be 535" in t or "it verified the server" in t]
    assert any("will skip the proof check and say yes" in t for t in texts)
    assert any("a client that really checked it would have cancelled" in t for t in texts)


def test_an_honest_server_still_says_the_reply_will_be_535():
    talk = ready("lab")
    client = scram.ScramClient(Credentials("nobody", "x"), "SHA-256")
    talk("AUTH SCRAM-SHA-256 " + b64(client.initial_response()))
    assert "scram.note.server.unknown-user" in [note.key for note in talk.last.notes]


def test_the_token_in_clear_note_only_without_tls():
    blob = b64(f"user=tim\x01auth=Bearer {lab_token('tim')}\x01\x01")
    talk = Talk("oauth-tls")
    talk("EHLO client.example")
    talk("STARTTLS")
    talk.server.tls_established()
    talk("EHLO client.example")
    assert talk("AUTH XOAUTH2 " + blob) == "235 2.7.0 Accepted"
    assert "sim.auth.token-in-clear" not in talk.notes()
