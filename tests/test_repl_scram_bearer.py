"""SCRAM and OAuth in the REPL: the `:auth` autopilot (mutual authentication visible, `*` for an impostor),
`:scram` walking the session's exchange, `:xoauth2`, `:oauthbearer`, `:token`, inline notes, `decode`.

Vectors: RFC 7677 §3 and RFC 5802 §5 (SCRAM), RFC 7628 §4.1 (OAUTHBEARER), Google's XOAUTH2 example
(shared/PROTOCOL.md §2.7-2.8); base64 of the RFC texts is made here with the standard library.
"""

import base64

import pytest

from tutor.display.annotations import Annotations
from tutor.helpers.decode import decode_text
from tutor.repl.shell import Shell
from tutor.session import AuthView
from tutor.sim import Accounts
from tutor.transport.memory import MemoryTransport

RFC7677 = ("n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
           "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
           "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
           "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
GOOGLE_XOAUTH2 = ("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRH"
                  "RXVZMjl0Q2cBAQ==")
RFC7628 = ("bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRj"
           "Mk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def make_shell(profile="lab", accounts=None):
    out = []
    shell = Shell(profile=profile, out=out.extend)
    if accounts is None:
        shell.start()
    else:
        from tutor.sim.server import SimServer
        shell.connect(MemoryTransport(SimServer(profile, accounts), profile))
    shell.handle("EHLO laptop.example")
    out.clear()
    return shell, out


def wire(out, kind):
    return [i.text for i in out if i.kind == kind]


def keys(out):
    return [i.key for i in out]


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_auth_autopilot_logs_in_with_scram_showing_each_step(mechanism):
    shell, out = make_shell()
    assert shell.handle(f":auth {mechanism} tim tanstaaftanstaaf")
    assert shell.session.client.authenticated
    assert wire(out, "C")[-1] == "" and wire(out, "S")[-1].startswith("235")   # v= answered with an empty line
    shown = keys(out)
    for key in ("scram.step.client-first", "scram.step.salted-password", "scram.step.client-key",
                "scram.step.stored-key", "scram.step.client-proof", "scram.note.server-verified",
                "repl.autopilot.answer-empty"):
        assert key in shown, key


def test_auth_autopilot_catches_an_impostor_and_cancels_instead_of_answering():
    shell, out = make_shell("impostor")
    shell.handle(":auth SCRAM-SHA-256 tim tanstaaftanstaaf")
    assert wire(out, "C")[-1] == "*"                                     # RFC 4954 §4: cancel, not ""
    assert wire(out, "S")[-1].startswith("501")
    assert not shell.session.client.authenticated
    assert "scram.note.impostor" in keys(out) and "repl.autopilot.we-cancelled" in keys(out)
    assert any("impostor" in i.text for i in out if i.kind == "error")


def test_scram_helper_walks_the_rfc7677_exchange_from_the_session():
    shell, out = make_shell("fixed-scram", Accounts({"user": "pencil"}))
    shell.handle(f"AUTH SCRAM-SHA-256 {b64(RFC7677[0])}")
    assert wire(out, "S") == [f"334 {b64(RFC7677[1])}"]
    out.clear()
    assert shell.handle(":scram user pencil")
    assert out[-1].kind == "result" and out[-1].text == b64(RFC7677[2])
    shell.handle(b64(RFC7677[2]))
    assert wire(out, "S")[-1] == f"334 {b64(RFC7677[3])}"
    out.clear()
    shell.handle(":scram user pencil")                                   # now with v= in the exchange too
    assert "v= matches" in out[-1].text
    shell.handle("")
    assert shell.session.client.authenticated


def test_scram_helper_without_an_exchange_makes_the_client_first_message():
    shell, out = make_shell()
    shell.handle(":scram user --nonce rOprNGfwEbeRWgbNEkqO")
    assert out[-1].text == b64(RFC7677[0])


def test_scram_helper_with_pasted_messages_and_the_sha1_vector():
    shell, out = make_shell()
    shell.handle(":scram user pencil --hash SHA-1 --client-first 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL' "
                 "--server-first 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'")
    assert out[-1].text == b64("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
    assert "pencil" not in "\n".join(shell.typed)


def test_xoauth2_and_oauthbearer_helpers_reproduce_the_published_examples():
    shell, out = make_shell()
    shell.handle(":xoauth2 someuser@example.com ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
    assert out[-1].text == GOOGLE_XOAUTH2
    shell.handle(":oauthbearer user@example.com vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg== "
                 "--host server.example.com --port 143")
    assert out[-1].text == RFC7628
    assert not any("ya29" in line or "vF9dft4q" in line for line in shell.typed)   # tokens stay out of history


def test_token_then_xoauth2_logs_in_on_oauth_tls_after_starttls():
    shell, out = make_shell("oauth-tls")
    shell.handle(":auth XOAUTH2 tim lab-anything")
    assert wire(out, "S")[-1] == "530 5.7.0 Must issue a STARTTLS command first"    # TLS first
    shell.handle("STARTTLS")
    shell.handle("EHLO laptop.example")
    assert "250-AUTH XOAUTH2 OAUTHBEARER PLAIN" in wire(out, "S")
    shell.handle(":token tim")
    token = out[-1].text
    assert token.startswith("lab-") and token in shell.secrets
    shell.handle(f":auth XOAUTH2 tim {token}")
    assert wire(out, "S")[-1] == "235 2.7.0 Accepted"


def test_auth_autopilot_answers_an_oauthbearer_error_with_ctrl_a():
    shell, out = make_shell()
    shell.handle(":auth OAUTHBEARER tim lab-not-a-token")
    assert wire(out, "C")[-1] == "AQ=="                                  # RFC 7628 §3.2.3
    assert wire(out, "S")[-1].startswith("535")
    assert "repl.ann.bearer-error" in keys(out)


def test_bearer_lines_hide_the_token_on_live_servers():
    auth = AuthView("XOAUTH2", 0, None, True)
    line = f"AUTH XOAUTH2 {GOOGLE_XOAUTH2}".encode()
    (live,) = Annotations(reveal=False).client(line, "command", auth)
    assert "ya29" not in live.text() and "someuser@example.com" in live.text() and live.secret
    (sim,) = Annotations(reveal=True).client(line, "command", auth)
    assert "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg" in sim.text()


@pytest.mark.parametrize("text,kind", [
    (f"334 {b64(RFC7677[1])}", "scram-server-first"),
    (f"C: {b64(RFC7677[2])}", "scram-client-final"),
    (f"334 {b64(RFC7677[3])}", "scram-server-final"),
    (f"AUTH SCRAM-SHA-256 {b64(RFC7677[0])}", "scram-client-first"),
    (f"AUTH XOAUTH2 {GOOGLE_XOAUTH2}", "xoauth2"),
    (f"AUTH OAUTHBEARER {RFC7628}", "oauthbearer"),
    ("AQ==", "oauthbearer-ack"),
])
def test_decode_understands_scram_and_oauth(text, kind):
    assert decode_text(text).data["kind"] == kind
