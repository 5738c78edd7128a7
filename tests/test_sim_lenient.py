"""What the simulator forgives, it names (issue 11 §4): each leniency is accepted and gets its note.

The well-formed line gets none of these notes, so each test shows the note is about the leniency.
"""

import pytest
from peers import Talk

TIM_PLAIN = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"    # \0tim\0tanstaaftanstaaf


def logged_in() -> Talk:
    talk = Talk()
    talk("EHLO client.example")
    assert talk(f"AUTH PLAIN {TIM_PLAIN}") == "235 2.7.0 Authentication successful"
    return talk


def lenient(talk: Talk) -> list[str]:
    return [key for key in talk.notes() if key.startswith("sim.lenient.")]


@pytest.mark.parametrize("line,reply,notes", [
    ("MAIL FROM: <tim@example.org>", "250 2.1.0 Ok", ["sim.lenient.space-before-from"]),
    ("MAIL FROM:<tim@example.org>   ", "250 2.1.0 Ok", ["sim.lenient.trailing-space"]),
    ("  MAIL FROM:<tim@example.org>", "250 2.1.0 Ok", ["sim.lenient.extra-space"]),
    ("MAIL  FROM:<tim@example.org>", "250 2.1.0 Ok", ["sim.lenient.extra-space"]),
    ("MAIL FROM:<tim@example.org>", "250 2.1.0 Ok", []),
    ("NOOP ", "250 2.0.0 Ok", ["sim.lenient.trailing-space"]),
])
def test_command_leniencies_are_accepted_and_named(line, reply, notes):
    talk = logged_in()
    assert talk(line) == reply
    assert lenient(talk) == notes


def test_space_before_the_rcpt_path_is_named_too():
    talk = logged_in()
    talk("MAIL FROM:<tim@example.org>")
    assert talk("RCPT TO: <ann@example.org>") == "250 2.1.5 Ok (kept here, never relayed)"
    assert lenient(talk) == ["sim.lenient.space-before-to"]


def test_the_space_before_path_note_says_postfix_accepts_it_and_cites_the_grammar():
    talk = logged_in()
    talk("MAIL FROM: <tim@example.org>")
    words = next(n.text() for n in talk.last.notes if n.key == "sim.lenient.space-before-from")
    assert "RFC 5321 §3.3 says spaces are not permitted on either side of the colon" in words
    assert "§4.1.1.2" in words and "as Postfix does" in words


def test_quit_with_an_argument_closes_and_is_named():
    talk = logged_in()
    assert talk("QUIT now") == "221 2.0.0 sim.smtp-tutor.test Bye"
    assert lenient(talk) == ["sim.lenient.quit-argument"]


def test_an_auth_command_over_512_octets_is_accepted_and_named():
    talk = Talk()
    talk("EHLO client.example")
    token = "A" * 600                                   # decodes to zeros: PLAIN refuses it, but the line was read
    assert talk(f"AUTH PLAIN {token}").startswith("535 ")
    assert lenient(talk) == ["sim.lenient.auth-long-command"]
    note = next(n for n in talk.last.notes if n.key == "sim.lenient.auth-long-command")
    assert note.params == {"length": len("AUTH PLAIN ") + 600 + 2}


def test_white_space_around_an_auth_answer_is_stripped_and_named():
    talk = Talk()
    talk("EHLO client.example")
    assert talk("AUTH LOGIN") == "334 VXNlcm5hbWU6"
    assert talk("dGlt ") == "334 UGFzc3dvcmQ6"
    assert lenient(talk) == ["sim.lenient.auth-space"]
    assert talk("dGFuc3RhYWZ0YW5zdGFhZg==") == "235 2.7.0 Authentication successful"
    assert lenient(talk) == []


def test_bare_lf_in_the_message_and_at_its_end_are_named():
    talk = logged_in()
    talk("MAIL FROM:<tim@example.org>")
    talk("RCPT TO:<ann@example.org>")
    assert talk("DATA").startswith("354 ")
    out = talk.raw(b"Subject: hi\r\n\nbody\n.\n")
    assert out.data.startswith(b"250 2.0.0 Ok: queued as ")
    assert lenient(talk) == ["sim.lenient.data-bare-lf", "sim.lenient.data-bare-lf-end"]
    assert next(n for n in out.notes if n.key == "sim.lenient.data-bare-lf").params == {"count": 2}


def test_a_clean_message_has_no_leniency_note():
    talk = logged_in()
    talk("MAIL FROM:<tim@example.org>")
    talk("RCPT TO:<ann@example.org>")
    talk("DATA")
    assert talk.raw(b"Subject: hi\r\n\r\nbody\r\n.\r\n").data.startswith(b"250 ")
    assert lenient(talk) == []


def test_non_ascii_in_an_envelope_command_is_named():
    talk = logged_in()
    assert talk("MAIL FROM:<jürgen@example.org>") == "250 2.1.0 Ok"
    assert lenient(talk) == ["sim.lenient.non-ascii"]


def test_a_path_over_256_octets_is_named_and_256_is_not():
    talk = logged_in()
    at_limit = "<" + "a" * 242 + "@example.org>"          # 256 octets with the brackets
    assert talk(f"MAIL FROM:{at_limit}") == "250 2.1.0 Ok"
    assert lenient(talk) == []
    assert talk("RCPT TO:<" + "b" * 243 + "@example.org>") == "250 2.1.5 Ok (kept here, never relayed)"
    assert lenient(talk) == ["sim.lenient.long-path"]
    assert talk.last.notes[0].params == {"length": 257}
