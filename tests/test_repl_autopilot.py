"""`:auth`: the autopilot sends each AUTH line after explaining it, waits, and can be cancelled."""

import pytest

from tutor.repl.shell import Shell


def make_shell(profile="lab", pause=None, password=None):
    out = []
    shell = Shell(profile=profile, out=out.extend)
    shell.start()
    shell.handle("EHLO laptop.example")
    out.clear()
    pauses = []
    shell.pause = pause or pauses.append
    if password is not None:
        shell.ask_password = lambda prompt: password
    return shell, out, pauses


def wire(out, kind):
    return [i.text for i in out if i.kind == kind]


def test_plain_uses_the_initial_response_rfc4616():
    shell, out, pauses = make_shell()
    assert shell.handle(":auth PLAIN tim tanstaaftanstaaf")
    assert wire(out, "C") == ["AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"]
    assert wire(out, "S")[0].startswith("235")
    assert len(pauses) == 1 and shell.session.client.authenticated
    assert out[-1].key == "repl.autopilot.success"


def test_plain_without_initial_response_answers_the_empty_challenge():
    shell, out, pauses = make_shell()
    shell.handle(":auth PLAIN tim tanstaaftanstaaf --no-initial")
    assert wire(out, "C") == ["AUTH PLAIN", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"]
    assert wire(out, "S")[0] == "334 " and wire(out, "S")[1].startswith("235")
    assert len(pauses) == 2


def test_login_step_by_step():
    shell, out, pauses = make_shell()
    shell.handle(":auth LOGIN tim tanstaaftanstaaf")
    assert wire(out, "C") == ["AUTH LOGIN", "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="]
    assert list(wire(out, "S")) == ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 Authentication successful"]
    assert len(pauses) == 3
    steps = [i.text for i in out if i.key.startswith("repl.autopilot")]
    assert steps[1] == "Step 1: send AUTH LOGIN" and steps[2] == 'Step 2: answer the challenge with base64 of "tim"'


def test_login_with_initial_response():
    shell, out, _ = make_shell()
    shell.handle(":auth LOGIN tim tanstaaftanstaaf --initial")
    assert wire(out, "C") == ["AUTH LOGIN dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="]
    assert wire(out, "S")[-1].startswith("235")


def test_cram_md5_replays_rfc2195():
    shell, out, _ = make_shell("fixed-challenge")
    shell.handle(":auth CRAM-MD5 tim tanstaaftanstaaf")
    assert wire(out, "C") == ["AUTH CRAM-MD5", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"]
    assert wire(out, "S")[-1].startswith("235")


def test_wrong_password_gets_535_and_a_note():
    shell, out, _ = make_shell()
    assert shell.handle(":auth PLAIN tim wrong")
    assert wire(out, "S")[-1].startswith("535")
    assert out[-1].key == "repl.autopilot.failure" and "535" in out[-1].text
    assert not shell.failed      # the exchange ran; the server said no


def test_password_is_asked_when_not_given():
    shell, out, _ = make_shell(password="tanstaaftanstaaf")
    shell.handle(":auth LOGIN tim")
    assert wire(out, "S")[-1].startswith("235")
    assert "tanstaaftanstaaf" in shell.secrets


def test_ctrl_c_at_a_step_cancels_with_a_star():
    calls = []

    def pause(prompt):
        calls.append(prompt)
        if len(calls) == 2:
            raise KeyboardInterrupt

    shell, out, _ = make_shell(pause=pause)
    assert shell.handle(":auth LOGIN tim tanstaaftanstaaf")
    assert wire(out, "C") == ["AUTH LOGIN", "*"]
    assert wire(out, "S")[-1].startswith("501")           # RFC 4954 §4
    assert out[-1].key == "repl.autopilot.cancelled"
    assert shell.handle("NOOP")                            # the REPL goes on


def test_mechanism_not_advertised_is_still_tried():
    shell, out, _ = make_shell("legacy-2002")
    shell.handle(":auth PLAIN tim tanstaaftanstaaf")
    assert "repl.note.not-offered" in [i.key for i in out]
    assert wire(out, "S")[-1].startswith("504")


def test_unknown_mechanism_and_no_connection_are_errors():
    shell, out, _ = make_shell()
    assert not shell.handle(":auth NOPE tim pw")
    assert out[-1].kind == "error" and "unknown SASL mechanism" in out[-1].text
    shell.handle(":disconnect")
    assert not shell.handle(":auth PLAIN tim pw")


@pytest.mark.parametrize("profile", ["lab", "draft-login"])
def test_login_goes_by_position_whatever_the_wording(profile):
    shell, out, _ = make_shell(profile)
    shell.handle(":auth LOGIN tim tanstaaftanstaaf")
    assert wire(out, "S")[-1].startswith("235")


@pytest.mark.parametrize("mechanism, word", [("XOAUTH2", "Token for tim"), ("OAUTHBEARER", "Token for tim"),
                                             ("PLAIN", "Password for tim")])
def test_the_prompt_names_what_is_asked_for(mechanism, word):
    shell, out, _ = make_shell()
    asked = []
    shell.ask_password = lambda prompt: asked.append(prompt) or "not-the-secret"
    shell.handle(f":auth {mechanism} tim")
    assert len(asked) == 1 and asked[0].startswith(word)
