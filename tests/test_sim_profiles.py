"""Each teaching profile, byte for byte: EHLO lines, reply wording, LOGIN prompts and CRAM-MD5 challenges.

Vectors: RFC 2195 §2 (tim / tanstaaftanstaaf), the LOGIN draft §2.3 example, the 2002 article's EHLO and
challenge (shared/PROTOCOL.md §3 f). The glitchy-cram digests were computed once with Python's hmac module
over the exact challenge octets and are written here as literals.
"""

import random

import pytest
from peers import Talk

from tutor.sim import PROFILES

TIM_PLAIN = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
ARTICLE_CHALLENGE_B64 = "PDIzODkxLjEwMTU5ODM0OTNAcGlvbmVlci5ob3N0LXNlcnZlLm5ldApaAj4="   # with \nZ\x02 before '>'
# base64("demo " + HMAC-MD5("demo", b"<23891.1015983493@pioneer.host-serve.net\nZ\x02>")) =
# c327f895cf634808ed320873d41f7534
DEMO_OVER_GLITCH = "ZGVtbyBjMzI3Zjg5NWNmNjM0ODA4ZWQzMjA4NzNkNDFmNzUzNA=="
# base64("demo " + HMAC-MD5("demo", b"<23891.1015983493@pioneer.host-serve.net>")) = 796998878373ff77d3a0e92b840c5a24
DEMO_OVER_CLEAN = "ZGVtbyA3OTY5OTg4NzgzNzNmZjc3ZDNhMGU5MmI4NDBjNWEyNA=="
EVERY_MECHANISM = "250 AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER"


class Digits(random.Random):
    """An rng whose every draw is the article's 23891."""

    def randrange(self, *args, **kwargs):
        return 23891


def test_the_profiles_exist_with_one_line_summaries():
    assert list(PROFILES) == ["lab", "strict", "legacy-2002", "glitchy-cram", "fixed-challenge", "draft-login",
                              "oauth-tls", "fixed-scram", "impostor", "temp-failure", "too-weak",
                              "encryption-required", "password-transition", "small-auth-buffer", "error-codes",
                              "historic"]
    for name, profile in PROFILES.items():
        assert profile.name == name
        assert profile.summary and "\n" not in profile.summary and not profile.summary.startswith("sim.")


def test_lab_offers_everything_in_clear_and_says_real_servers_dont():
    talk = Talk("lab")
    assert talk.send("EHLO client.example") == [
        "250-sim.smtp-tutor.test Hello client.example", "250-PIPELINING", "250-SIZE 10485760", "250-8BITMIME",
        "250-ENHANCEDSTATUSCODES", "250-STARTTLS",
        "250 AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER"]
    assert "sim.ehlo.lab-clear" in talk.notes()


def test_strict_offers_auth_only_inside_tls():
    talk = Talk("strict")
    ehlo = talk.send("EHLO client.example")
    assert not any("AUTH" in line for line in ehlo) and ehlo[-1] == "250 STARTTLS"
    assert talk(f"AUTH PLAIN {TIM_PLAIN}") == "530 5.7.0 Must issue a STARTTLS command first"
    assert talk("MAIL FROM:<tim@example.org>") == "530 5.7.0 Must issue a STARTTLS command first"
    assert talk("STARTTLS") == "220 2.0.0 Ready to start TLS"
    talk.server.tls_established()
    assert talk.send("EHLO client.example")[-1] == EVERY_MECHANISM
    assert talk(f"AUTH PLAIN {TIM_PLAIN}") == "235 2.7.0 Authentication successful"
    assert talk("MAIL FROM:<tim@example.org>") == "250 2.1.0 Ok"


def test_legacy_2002_is_the_articles_server():
    talk = Talk("legacy-2002", hostname="pioneer.host-serve.net")
    assert talk.send("EHLO client.example") == [
        "250-pioneer.host-serve.net", "250-AUTH=LOGIN CRAM-MD5", "250-AUTH LOGIN CRAM-MD5", "250-PIPELINING",
        "250 8BITMIME"]
    assert talk("AUTH LOGIN") == "334 VXNlcm5hbWU6"                  # Username:
    assert talk("ZGVtbw==") == "334 UGFzc3dvcmQ6"                    # demo -> Password:
    assert talk("d3Jvbmc=") == "535 auth failure"                    # wrong
    talk("AUTH LOGIN")
    talk("ZGVtbw==")
    assert talk("ZGVtbw==") == "235 Go Ahead"                        # demo / demo


def test_legacy_2002_has_no_plain_no_starttls_and_no_enhanced_codes():
    talk = Talk("legacy-2002")
    talk("EHLO client.example")
    assert talk(f"AUTH PLAIN {TIM_PLAIN}") == "504 Unrecognized authentication type"
    assert talk("STARTTLS") == "502 STARTTLS not implemented"
    assert talk("MAIL FROM:<a@example.org>") == "530 Authentication required"


def test_glitchy_cram_sends_the_articles_challenge_and_verifies_over_its_exact_bytes():
    options = {"hostname": "pioneer.host-serve.net", "clock": lambda: 1015983493.0, "rng": Digits()}
    talk = Talk("glitchy-cram", **options)
    talk("EHLO client.example")
    assert talk("AUTH CRAM-MD5") == f"334 {ARTICLE_CHALLENGE_B64}"
    assert talk(DEMO_OVER_GLITCH) == "235 Go Ahead"
    other = Talk("glitchy-cram", **options)
    other("EHLO client.example")
    other("AUTH CRAM-MD5")
    assert other(DEMO_OVER_CLEAN) == "535 auth failure"   # the HMAC over the clean challenge does not match


def test_glitchy_cram_with_a_pinned_challenge():
    talk = Talk("glitchy-cram", fixed_challenge=b"<23891.1015983493@pioneer.host-serve.net>")
    talk("EHLO client.example")
    assert talk("AUTH CRAM-MD5") == f"334 {ARTICLE_CHALLENGE_B64}"
    assert "sim.cram.glitchy" in talk.notes()


def test_fixed_challenge_never_changes():
    talk = Talk("fixed-challenge")
    talk("EHLO client.example")
    rfc2195 = "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    assert talk("AUTH CRAM-MD5") == rfc2195
    talk("*")
    assert talk("AUTH CRAM-MD5") == rfc2195
    assert talk("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw") == "235 2.7.0 Authentication successful"


def test_draft_login_replays_the_drafts_example():
    talk = Talk("draft-login")
    talk("EHLO client.example")
    assert talk("AUTH LOGIN") == "334 VXNlciBOYW1lAA=="              # "User Name\0"
    assert talk("dGlt") == "334 UGFzc3dvcmQA"                       # "Password\0"
    assert talk("dGFuc3RhYWZ0YW5zdGFhZg==") == "235 2.7.0 Authentication successful"


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_profile_greets_and_quits(name):
    talk = Talk(name)
    assert talk.greeting.data.startswith(b"220 sim.smtp-tutor.test ESMTP")
    talk("EHLO client.example")
    assert talk("QUIT").startswith("221 ")


def test_the_old_name_modern_still_opens_the_oauth_tls_profile():
    """`modern` was named for when it was written; it is now `oauth-tls`, and the old name keeps working where
    a user types a profile (the simulator, the shell's --profile and :connect, serve --profile) without being
    listed."""
    import argparse

    from tutor.cli import repl as cli_repl
    from tutor.cli import serve as cli_serve
    from tutor.sim.server import get_profile

    assert get_profile("modern") is PROFILES["oauth-tls"]
    assert "modern" not in PROFILES
    cli_repl._check_profile("modern")                      # no usage error
    parser = argparse.ArgumentParser()
    cli_serve.configure(parser)
    assert parser.parse_args(["--profile", "modern"]).profile == "oauth-tls"
    with pytest.raises(SystemExit):
        parser.parse_args(["--profile", "postmodern"])
