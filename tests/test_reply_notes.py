"""Every reply the simulator's profiles can send gets a note on its own topic, in the REPL and in the tracer.

The simulator is driven through each profile with scripts that reach its replies (right and wrong commands,
every AUTH failure, STARTTLS, DATA). Each reply's note must cite exactly the sections written by hand in
EXPECTED below, from the RFC text (RFC 5321, 4954, 3207, 1870 as checked for data/citations.toml): the
expectations are not computed by the code under test. A reply the table does not know fails the test, so a
new simulator reply needs a line here; an expectation no profile reaches fails too.
"""

from __future__ import annotations

import base64

import pytest
from citations import reply_citations

from tutor import explain_codes
from tutor.display.annotations import Annotations
from tutor.protocol import codes
from tutor.session import SERVER, Session
from tutor.sim import PROFILES, SimServer
from tutor.trace.pipeline import trace_bytes
from tutor.transport import memory

TIM_PLAIN = base64.b64encode(b"\0tim\0tanstaaftanstaaf").decode()
BAD_PLAIN = base64.b64encode(b"\0tim\0wrong").decode()
BAD_XOAUTH2 = base64.b64encode(b"user=tim\x01auth=Bearer not-a-token\x01\x01").decode()

# (step answered, code, enhanced code or None for any, words in the reply text or "") -> cited sections.
# Steps: a command verb, or codes.GREETING / AUTH_RESPONSE / AUTH_CANCEL / MESSAGE_END / UNKNOWN_VERB / UNSOLICITED.
G, R, X, M, U, S = (codes.GREETING, codes.AUTH_RESPONSE, codes.AUTH_CANCEL, codes.MESSAGE_END, codes.UNKNOWN_VERB,
                    codes.UNSOLICITED)
EXPECTED: list[tuple[str, int, str | None, str, set[str]]] = [
    (G, 220, None, "", {"RFC 5321 §3.1", "RFC 5321 §4.2"}),                       # Session Initiation; Greeting ABNF
    ("HELO", 250, None, "", {"RFC 5321 §3.2", "RFC 5321 §4.1.1.1"}),             # no EHLO-style reply to HELO
    ("EHLO", 250, None, "", {"RFC 5321 §4.1.1.1", "RFC 4954 §3"}),
    ("EHLO", 501, None, "", {"RFC 5321 §4.1.1.1", "RFC 5321 §4.1.4"}),           # "501 ... MUST be returned"
    ("HELO", 501, None, "", {"RFC 5321 §4.1.1.1", "RFC 5321 §4.1.4"}),
    ("NOOP", 250, None, "", {"RFC 5321 §4.1.1.9"}),
    ("RSET", 250, None, "", {"RFC 5321 §4.1.1.5"}),
    ("RSET", 501, None, "", {"RFC 5321 §4.1.1", "RFC 5321 §4.3.2"}),             # RSET, DATA, QUIT take none
    ("DATA", 501, None, "", {"RFC 5321 §4.1.1", "RFC 5321 §4.3.2"}),
    ("HELP", 214, None, "", {"RFC 5321 §4.1.1.8"}),
    ("VRFY", 252, None, "", {"RFC 5321 §3.5.3", "RFC 5321 §4.1.1.6"}),
    ("VRFY", 501, None, "", {"RFC 5321 §4.1.1.6", "RFC 5321 §4.3.2"}),
    ("EXPN", 502, None, "", {"RFC 5321 §4.2.4"}),                                 # recognised, not implemented
    (U, 500, None, "too long", {"RFC 5321 §4.5.3.1.4", "RFC 5321 §4.3.2"}),       # 512-octet command line
    ("EHLO", 500, None, "too long", {"RFC 5321 §4.5.3.1.4", "RFC 5321 §4.3.2"}),
    (U, 500, None, "", {"RFC 5321 §4.2.4", "RFC 5321 §4.3.2"}),                   # "not recognized ... 500"
    ("MAIL", 503, None, "EHLO", {"RFC 5321 §4.1.1.1", "RFC 5321 §4.1.4"}),        # HELO or EHLO first
    ("MAIL", 503, None, "", {"RFC 5321 §4.1.4"}),                                 # MAIL inside a transaction
    ("RCPT", 503, None, "", {"RFC 5321 §3.3", "RFC 5321 §4.1.4"}),                # RCPT without MAIL: 503
    ("DATA", 503, None, "", {"RFC 5321 §3.3", "RFC 5321 §4.1.4"}),
    ("MAIL", 501, None, "", {"RFC 5321 §4.1.1.2", "RFC 5321 §4.1.4"}),
    ("MAIL", 555, None, "", {"RFC 5321 §4.1.1.11"}),
    ("MAIL", 552, None, "", {"RFC 5321 §4.2.3"}),
    ("MAIL", 250, None, "", {"RFC 5321 §4.1.1.2"}),
    ("RCPT", 501, None, "", {"RFC 5321 §4.1.1.3", "RFC 5321 §4.3.2"}),
    ("RCPT", 250, None, "", {"RFC 5321 §4.1.1.3"}),
    ("RCPT", 452, None, "recipients", {"RFC 5321 §4.5.3.1.10"}),
    ("DATA", 354, None, "", {"RFC 5321 §3.3", "RFC 5321 §4.1.1.4"}),
    (M, 250, None, "", {"RFC 5321 §4.1.1.4", "RFC 5321 §4.2.5"}),
    (M, 500, None, "too long", {"RFC 5321 §4.5.3.1.6"}),                          # 1000-octet text line
    ("QUIT", 221, None, "", {"RFC 5321 §4.1.1.10"}),
    ("AUTH", 503, None, "EHLO", {"RFC 4954 §3", "RFC 5321 §2.2"}),                # AUTH is an EHLO extension
    ("AUTH", 503, None, "already", {"RFC 4954 §4"}),                             # no AUTH after success
    ("AUTH", 503, None, "transaction", {"RFC 4954 §4"}),                         # nor inside a transaction
    ("AUTH", 501, "5.5.4", "", {"RFC 4954 §4", "RFC 4954 §8"}),
    ("AUTH", 501, None, "syntax", {"RFC 4954 §4", "RFC 4954 §8"}),
    ("AUTH", 504, None, "", {"RFC 4954 §4"}),                                     # 504, SHOULD 5.5.4
    ("AUTH", 501, "5.7.0", "", {"RFC 4954 §4"}),                                  # initial response not allowed
    ("AUTH", 501, None, "initial response", {"RFC 4954 §4"}),
    ("AUTH", 501, "5.5.2", "", {"RFC 4954 §4"}),                                  # undecodable base64
    (R, 501, "5.5.2", "", {"RFC 4954 §4"}),
    (R, 501, None, "decode", {"RFC 4954 §4"}),
    (X, 501, None, "", {"RFC 4954 §4"}),                                          # `*` MUST get 501
    ("AUTH", 500, "5.5.6", "", {"RFC 4954 §4", "RFC 4954 §6"}),                   # over the AUTH buffer
    ("AUTH", 500, None, "exchange line", {"RFC 4954 §4", "RFC 4954 §6"}),
    (R, 500, "5.5.6", "", {"RFC 4954 §4", "RFC 4954 §6"}),
    ("AUTH", 334, None, "", {"RFC 4954 §4"}),
    (R, 334, None, "", {"RFC 4954 §4"}),
    ("AUTH", 235, None, "", {"RFC 4954 §6"}),
    (R, 235, None, "", {"RFC 4954 §6"}),
    ("AUTH", 535, None, "", {"RFC 4954 §6"}),
    (R, 535, None, "", {"RFC 4954 §6"}),
    ("AUTH", 454, None, "", {"RFC 4954 §6"}),                                     # temporary auth failure
    (R, 454, None, "", {"RFC 4954 §6"}),
    ("AUTH", 534, None, "", {"RFC 4954 §6"}),                                     # mechanism too weak
    ("AUTH", 538, None, "", {"RFC 4954 §6"}),                                     # encryption required
    (R, 432, None, "", {"RFC 4954 §6"}),
    (S, 421, None, "authentication", {"RFC 4954 §9", "RFC 5321 §3.8"}),          # MAY drop after >= 3 failures
    (S, 421, None, "", {"RFC 5321 §3.8", "RFC 5321 §4.2.3"}),
    ("MAIL", 530, None, "Authentication required", {"RFC 4954 §6"}),              # policy: AUTH first
    ("AUTH", 530, None, "STARTTLS", {"RFC 3207 §4", "RFC 4954 §4"}),              # TLS before AUTH
    ("MAIL", 530, None, "STARTTLS", {"RFC 3207 §4"}),
    ("STARTTLS", 220, None, "", {"RFC 3207 §4"}),
    ("STARTTLS", 501, None, "", {"RFC 3207 §4"}),
    ("STARTTLS", 503, None, "TLS", {"RFC 3207 §4.2"}),
    ("STARTTLS", 454, None, "", {"RFC 3207 §4"}),                                 # a server without TLS
    ("STARTTLS", 502, None, "", {"RFC 5321 §4.2.4"}),                             # a profile without STARTTLS
]


def expected_for(step: str, code: int, enhanced: str | None, text: str) -> set[str] | None:
    for e_step, e_code, e_enhanced, words, sections in EXPECTED:
        if (e_step, e_code) == (step, code) and e_enhanced in (None, enhanced) and words.casefold() in text.casefold():
            return sections
    return None


class Recording(Annotations):
    """The REPL's annotator, keeping each reply with what it answered and the note it made."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, int, str | None, str, str]] = []

    def reply(self, reply, answers, auth):
        notes = super().reply(reply, answers, auth)
        self.seen.append((codes.step_of(answers), reply.code, reply.enhanced, reply.text, notes[0].params["meaning"]))
        return notes


def scripts() -> list[list[str]]:
    """Sessions that together reach every reply; each stays under the simulator's 10-errors limit unless meant to."""
    ehlo = "EHLO client.example"
    return [
        ["NOOP", "MAIL FROM:<a@example.org>", "AUTH PLAIN", "FROB", "HELO", "HELO client.example", "EHLO", ehlo,
         "X" * 600, "EHLO " + "a" * 600, "QUIT"],
        [ehlo, "HELP", "VRFY", "VRFY tim", "EXPN list", "RSET x", "RSET", "MAIL FROM:<a@example.org>",
         f"AUTH PLAIN {TIM_PLAIN}", "RCPT TO:<b@example.org>", "DATA", "MAIL FROM:a@example.org", "QUIT"],
        [ehlo, f"AUTH PLAIN {TIM_PLAIN}", "MAIL FROM:<a@example.org> FOO=bar",
         "MAIL FROM:<a@example.org> SIZE=999999999999",
         "MAIL FROM:<a@example.org>", "MAIL FROM:<a@example.org>", f"AUTH PLAIN {TIM_PLAIN}",
         "RCPT TO:b@example.org", "RCPT TO:<b@example.org>", "DATA x", "DATA", "Subject: hi", "", "body", ".",
         "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA", "x" * 1100, ".", "QUIT"],
        [ehlo, "AUTH", "AUTH FOO", "AUTH CRAM-MD5 dGVzdA==", "AUTH PLAIN !!!", "AUTH LOGIN", "*", "AUTH LOGIN", "!!!",
         "QUIT"],
        [ehlo, "AUTH PLAIN", "A" * 13000, "AUTH PLAIN " + "A" * 13000, f"AUTH PLAIN {BAD_PLAIN}",
         f"AUTH PLAIN {TIM_PLAIN}", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"],
        [ehlo, "AUTH LOGIN", "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg==", "QUIT"],
        [ehlo, f"AUTH XOAUTH2 {BAD_XOAUTH2}", "", "QUIT"],
        [ehlo, f"AUTH PLAIN {BAD_PLAIN}", f"AUTH PLAIN {BAD_PLAIN}", f"AUTH PLAIN {BAD_PLAIN}"],
        [ehlo, f"AUTH PLAIN {TIM_PLAIN}",
         "MAIL FROM:<a@example.org>"] + [f"RCPT TO:<r{i}@example.org>" for i in range(101)] + ["QUIT"],
        [ehlo] + ["FROB"] * 10,
        [ehlo, "VRFY tim", "HELP", "RSET", "EXPN x", "HELO client.example", "MAIL FROM:<a@example.org>",
         "RCPT TO:<b@example.org>", "DATA", "STARTTLS x", "STARTTLS", ehlo, "STARTTLS",
         f"AUTH PLAIN {TIM_PLAIN}", "MAIL FROM:<a@example.org>", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"],
    ]


def drive(profile: str, script: list[str], starttls: bool = True) -> tuple[list, str]:
    """Run one script; the replies seen by the REPL's annotator, and the session as `S:`/`C:` text for the tracer.
    (The session does the TLS handshake itself after `220` to STARTTLS.)"""
    annotator = Recording()
    session = Session(memory.connect(SimServer, profile, starttls=starttls), annotator=annotator)
    wire = [f"S: {item.text}" for item in session.open() if item.kind == SERVER]
    for line in script:
        if session.closed:
            break
        wire.append(f"C: {line}")
        wire += [f"S: {item.text}" for item in session.send(line.encode()) if item.kind == SERVER]
    return annotator.seen, "\n".join(wire) + "\n"


def all_sessions():
    for profile in PROFILES:
        for number, script in enumerate(scripts()):
            yield profile, number, script, True
    yield "lab", -1, ["EHLO client.example", "STARTTLS"], False        # a server that cannot do TLS


@pytest.fixture(scope="module")
def driven():
    return [(profile, number) + drive(profile, script, tls) for profile, number, script, tls in all_sessions()]


def test_every_reply_note_cites_the_sections_for_what_it_answers(driven):
    wrong, unknown = [], []
    for profile, number, seen, _ in driven:
        for step, code, enhanced, text, note in seen:
            sections = expected_for(step, code, enhanced, text)
            if sections is None:
                unknown.append((profile, number, step, code, enhanced, text))
            elif reply_citations(note, enhanced) != sections:
                wrong.append((profile, step, code, enhanced, note, sorted(sections)))
    assert not unknown, f"replies with no expected section in EXPECTED: {sorted(set(unknown))[:10]}"
    assert not wrong, wrong[:5]


def test_every_expectation_is_reached_by_some_profile(driven):
    reached = set()
    for _, _, seen, _ in driven:
        for step, code, enhanced, text, _ in seen:
            for index, (e_step, e_code, e_enhanced, words, _) in enumerate(EXPECTED):
                if (e_step, e_code) == (step, code) and e_enhanced in (None, enhanced) \
                        and words.casefold() in text.casefold():
                    reached.add(index)
                    break
    assert [EXPECTED[i][:4] for i in range(len(EXPECTED)) if i not in reached] == []


def test_the_enhanced_codes_own_meaning_is_always_shown(driven):
    for _, _, seen, _ in driven:
        for _, code, enhanced, _, note in seen:
            if enhanced:
                meaning = explain_codes.reading(code, enhanced).enhanced_meaning
                assert meaning and meaning.casefold() in note.casefold(), note


def test_the_tracer_makes_the_same_notes_as_the_repl(driven):
    for profile, number, seen, wire in driven:
        report = trace_bytes(wire.encode(), f"{profile}-{number}", "rfc")[0]
        traced = [n.params["meaning"] for row in report.rows for n in row.notes if n.key == "trace.note.code"]
        repl = [note for step, code, *_, note in seen if code != 334]     # the tracer decodes 334s instead
        assert traced == repl, (profile, number)


@pytest.mark.parametrize(("step", "code", "enhanced", "text", "sections"), [
    ("MAIL", 530, "5.7.0", "Authentication required", {"RFC 4954 §6"}),
    ("RCPT", 530, "5.7.0", "Authentication required", {"RFC 4954 §6"}),
    ("AUTH", 454, "4.7.0", "Temporary authentication failure", {"RFC 4954 §6"}),
    ("STARTTLS", 454, "4.7.0", "TLS not available due to temporary reason", {"RFC 3207 §4"}),
    ("MAIL", 554, "5.7.0", "Command refused due to lack of security", {"RFC 3207 §4.1"}),
    (codes.GREETING, 554, None, "No SMTP service here", {"RFC 5321 §3.1", "RFC 5321 §4.2.3"}),
    ("AUTH", 504, "5.5.4", "Unrecognized authentication type", {"RFC 4954 §4"}),
    ("AUTH", 530, "5.7.0", "Must issue a STARTTLS command first", {"RFC 3207 §4", "RFC 4954 §4"}),
    ("MAIL", 530, "5.7.0", "TLS required.", {"RFC 3207 §4"}),            # Dovecot's wording (RFC 3207 §4's code)
    ("RCPT", 530, "5.7.0", "Must issue a STARTTLS command first", {"RFC 3207 §4"}),
    ("HELO", 530, None, "Must issue a STARTTLS command first", {"RFC 3207 §4"}),
    ("AUTH", 501, None, "Cannot decode response", {"RFC 4954 §4"}),
    (codes.AUTH_RESPONSE, 500, None, "Authentication Exchange line is too long", {"RFC 4954 §4", "RFC 4954 §6"}),
    (codes.AUTH_RESPONSE, 500, "5.5.6", "Line too long", {"RFC 4954 §4", "RFC 4954 §6"}),
])
def test_real_server_replies_the_simulator_does_not_send(step, code, enhanced, text, sections):
    assert reply_citations(explain_codes.one_line(code, enhanced, step, text), enhanced) == sections


def test_the_issue_examples_word_for_word():
    rcpt = explain_codes.one_line(501, "5.5.4", "RCPT", "Syntax: RCPT TO:<address>")
    assert "RCPT TO:" in rcpt and "RFC 3207" not in rcpt
    assert "RFC 4954" not in explain_codes.one_line(500, "5.5.1", codes.UNKNOWN_VERB, "Command not recognized")
    assert "RFC 3207" not in explain_codes.one_line(220, None, codes.GREETING, "mx ESMTP")
    starttls = explain_codes.one_line(530, "5.7.0", "AUTH", "Must issue a STARTTLS command first")
    assert "STARTTLS" in starttls and not starttls.startswith("530 5.7.0: Authentication required")
    assert "§6" not in explain_codes.one_line(504, "5.5.4", "AUTH", "Unrecognized authentication type").split(";")[0]
    assert "5.5.4: Invalid command arguments" in explain_codes.one_line(504, "5.5.4", "AUTH", "x")
    assert "5.7.0: Other or undefined security status" in explain_codes.one_line(530, "5.7.0", "MAIL", "Must issue")
