"""Reply-code table and lookups: RFC 4954 §6 codes, class meanings for unlisted codes, bad input, completeness."""

from __future__ import annotations

import re

import pytest

from tutor.errors import InputError
from tutor.explain import load
from tutor.explain_codes import CodeInfo, describe, one_line
from tutor.protocol.codes import parse_code_args

# RFC 4954 §6, as printed there: code, suggested enhanced code, reply text.
RFC4954_SECTION6 = [
    (235, "2.7.0", "Authentication Succeeded"),
    (432, "4.7.12", "A password transition is needed"),
    (454, "4.7.0", "Temporary authentication failure"),
    (534, "5.7.9", "Authentication mechanism is too weak"),
    (535, "5.7.8", "Authentication credentials invalid"),
    (500, "5.5.6", "Authentication Exchange line is too long"),
    (530, "5.7.0", "Authentication required"),
    (538, "5.7.11", "Encryption required for requested authentication mechanism"),
]

# RFC 4954 §4: replies tied to one situation of the AUTH exchange (code, enhanced or None, keywords of the situation).
RFC4954_SECTION4 = [
    (501, "5.5.2", ("base64",)),
    (501, "5.7.0", ("initial response",)),
    (501, None, ("`*`",)),
    (504, "5.5.4", ("mechanism",)),
    (503, None, ("auth", "successful")),
    (503, None, ("mail transaction",)),
]

# RFC 3207 §4 / §4.1 (code, keywords of the reply text in that RFC).
RFC3207 = [
    (220, ("ready to start tls",)),
    (454, ("tls not available",)),
    (501, ("no parameters",)),
    (530, ("must issue a starttls command first",)),
    (554, ("lack of security",)),
]

# RFC 3463 / RFC 4954 / RFC 5248 enhanced codes and (keywords of) their registered names.
ENHANCED = [
    ("5.7.8", "Authentication credentials invalid"),
    ("5.7.9", "Authentication mechanism is too weak"),
    ("5.7.11", "Encryption required for requested authentication mechanism"),
    ("4.7.12", "A password transition is needed"),
    ("5.5.6", "Authentication Exchange line is too long"),
    ("5.5.2", "Syntax error"),
    ("5.5.4", "Invalid command arguments"),
    ("5.5.1", "Invalid command"),
    ("5.7.0", "Other or undefined security status"),
    ("2.7.0", "Other or undefined security status"),
    ("4.7.0", "Other or undefined security status"),
    ("5.7.1", "Delivery not authorized, message refused"),
    ("5.7.7", "Message integrity failure"),
    ("5.1.1", "Bad destination mailbox address"),
    ("4.2.2", "Mailbox full"),
    ("5.7.10", "Encryption Needed"),
]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@pytest.mark.parametrize(("code", "enhanced", "rfc_text"), RFC4954_SECTION6)
def test_rfc4954_section6_codes(code: int, enhanced: str, rfc_text: str) -> None:
    info = describe(code, enhanced)
    matching = [info.meaning] + [c.meaning for c in info.contexts if c.enhanced == enhanced]
    assert any(_fold(rfc_text) in _fold(m) for m in matching), matching
    assert enhanced in {info.suggested} | {c.enhanced for c in info.contexts}
    assert "RFC 4954 §6" in info.rfc + " ".join(c.rfc for c in info.contexts)
    assert info.explain and info.enhanced == enhanced and info.enhanced_meaning and info.enhanced_rfc


@pytest.mark.parametrize(("code", "enhanced", "words"), RFC4954_SECTION4)
def test_rfc4954_section4_contexts(code: int, enhanced: str | None, words: tuple[str, ...]) -> None:
    contexts = [c for c in describe(code).contexts if c.rfc.startswith("RFC 4954") and c.enhanced == enhanced]
    assert any(all(w in _fold(c.when + " " + c.meaning) for w in words) for c in contexts), contexts


@pytest.mark.parametrize(("code", "words"), RFC3207)
def test_rfc3207_contexts(code: int, words: tuple[str, ...]) -> None:
    contexts = [c for c in describe(code).contexts if c.rfc.startswith("RFC 3207")]
    assert any(all(w in _fold(c.meaning) for w in words) for c in contexts), contexts


@pytest.mark.parametrize(("enhanced", "name"), ENHANCED)
def test_enhanced_names(enhanced: str, name: str) -> None:
    code = {"2": 250, "4": 450, "5": 550}[enhanced[0]]
    info = describe(code, enhanced)
    assert _fold(name) in _fold(info.enhanced_meaning or "")
    klass = {"2": "success", "4": "persistent transient failure", "5": "permanent failure"}[enhanced[0]]
    assert _fold(info.enhanced_meaning or "").startswith(klass)


def test_one_line_format() -> None:
    assert one_line(535, "5.7.8") == "535 5.7.8: Authentication credentials invalid (RFC 4954 §6)"
    assert one_line("235") == "235: Authentication Succeeded (RFC 4954 §6)"
    assert "Delivery not authorized" in one_line(550, "5.7.1")


def test_cram_md5_secret_and_starttls_hints() -> None:
    assert "swaks #38" in describe(535).explain and "Encrypted password" in describe(535).explain
    assert "STARTTLS" in describe(530).explain


@pytest.mark.parametrize(
    ("code", "words"),
    [(299, ("positive completion",)), (209, ("positive completion", "syntax")), (318, ("intermediate",)),
     (421 + 2, ("transient", "connections")), (517, ("permanent", "information")), (558, ("permanent", "mail system"))],
)
def test_unlisted_code_gets_class_meaning(code: int, words: tuple[str, ...]) -> None:
    info = describe(code)
    assert isinstance(info, CodeInfo) and info.rfc == "RFC 5321 §4.2.1" and info.explain
    assert all(w in _fold(info.meaning) for w in words), info.meaning


@pytest.mark.parametrize("bad", [199, 600, 0, -535, "abc", "53", "5350", "", "５３５", True])
def test_bad_code_raises(bad: object) -> None:
    with pytest.raises(InputError, match="three digits 200-599"):
        describe(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("code", "enhanced"), [(535, "5.7"), (535, "9.1.1"), (535, "5.7.8.1"), (535, "x.7.8"),
                                                (535, "5.1000.1"), (334, "3.0.0"), (250, "5.7.8")])
def test_bad_enhanced_raises(code: int, enhanced: str) -> None:
    with pytest.raises(InputError):
        describe(code, enhanced)


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["535"], (535, None)), (["535", "5.7.8"], (535, "5.7.8")), (["535", "5.7.8", "bad", "password"], (535, "5.7.8")),
     (["535 5.7.8 Authentication credentials invalid"], (535, "5.7.8")), (["250-AUTH PLAIN LOGIN"], (250, None)),
     (["250-2.1.0 Ok"], (250, "2.1.0")), (["220 192.0.2.1 ESMTP"], (220, None)), (["334 "], (334, None)),
     (["235 Authentication successful"], (235, None))],
)
def test_parse_code_args(args: list[str], expected: tuple[int, str | None]) -> None:
    assert parse_code_args(args) == expected


@pytest.mark.parametrize("args", [[], [""], ["abc"], ["535", "5.7"], ["535 9.1.1 x"], ["250 5.7.8 no"], ["1234"]])
def test_parse_code_args_rejects(args: list[str]) -> None:
    with pytest.raises(InputError):
        parse_code_args(args)


def _entries():
    table = load("codes")
    for code, entry in table["reply"].items():
        yield f"reply.{code}", entry
        for index, context in enumerate(entry.get("contexts", [])):
            yield f"reply.{code}.contexts[{index}]", context
    for group in ("class", "category"):
        for key, entry in table["generic"][group].items():
            yield f"generic.{group}.{key}", entry
    for group in ("class", "subject", "detail", "code"):
        for key, entry in table["enhanced"][group].items():
            yield f"enhanced.{group}.{key}", entry


def test_every_entry_has_meaning_and_rfc() -> None:
    entries = list(_entries())
    assert len(entries) > 100
    for key, entry in entries:
        assert isinstance(entry.get("meaning"), str) and entry["meaning"].strip(), key
        assert re.fullmatch(r"RFC \d+( §[\d.]+(, §[\d.]+)*)?(; RFC \d+( §[\d.]+)?)*", entry.get("rfc", "")), key


def test_table_covers_the_briefed_codes() -> None:
    table = load("codes")
    basic = "211 214 220 221 250 251 252 354 421 450 451 452 455 500 501 502 503 504 550 551 552 553 554 555"
    auth = "235 334 432 454 530 534 535 538"
    for code in (basic + " " + auth).split():
        entry = table["reply"][code]
        sentences = len(re.findall(r"[.!?](\s|$)", entry["explain"].strip()))
        assert 2 <= sentences <= 6, (code, sentences)
    details = table["enhanced"]["detail"]
    for subject, count in {"0": 0, "1": 8, "2": 4, "3": 5, "4": 7, "5": 6, "6": 5, "7": 14}.items():
        assert all(f"{subject}.{d}" in details for d in range(count + 1)), subject
    for full in ("2.7.0", "4.7.0", "5.7.0", "5.5.2", "5.5.4"):
        assert full in table["enhanced"]["code"]


# ---- the note chosen by what the reply answers (issue 11 §1); sections written by hand from RFC 5321 / 4954 / 3207

@pytest.mark.parametrize(("code", "enhanced", "step", "text", "section", "not_section"), [
    (501, "5.5.4", "RCPT", "Syntax: RCPT TO:<address>", "RFC 5321 §4.1.1.3", "RFC 3207"),
    (501, "5.5.4", "MAIL", "Syntax: MAIL FROM:<address>", "RFC 5321 §4.1.1.2", "RFC 3207"),
    (501, None, "STARTTLS", "Syntax error (no parameters allowed)", "RFC 3207 §4", "RFC 4954"),
    (501, "5.7.0", "auth-cancel", "Authentication cancelled", "RFC 4954 §4", "RFC 5321"),
    (500, "5.5.1", "unknown-verb", "Command not recognized", "RFC 5321 §4.2.4", "RFC 4954"),
    (500, "5.5.2", "EHLO", "Line too long", "RFC 5321 §4.5.3.1.4", "RFC 4954"),
    (500, "5.5.6", "AUTH", "Authentication Exchange line is too long", "RFC 4954 §4", "RFC 5321"),
    (220, None, "greeting", "mx ESMTP", "RFC 5321 §3.1", "RFC 3207"),
    (220, "2.0.0", "STARTTLS", "Ready to start TLS", "RFC 3207 §4", "RFC 5321"),
    (504, "5.5.4", "AUTH", "Unrecognized authentication type", "RFC 4954 §4", "§6"),
    (530, "5.7.0", "AUTH", "Must issue a STARTTLS command first", "RFC 3207 §4", "Authentication required"),
    (530, "5.7.0", "MAIL", "Authentication required", "RFC 4954 §6", "RFC 3207"),
])
def test_the_note_follows_what_the_reply_answers(code, enhanced, step, text, section, not_section) -> None:
    line = one_line(code, enhanced, step, text)
    reply_part = line.split(f"; {enhanced}:")[0] if enhanced else line
    assert section in reply_part and not_section not in reply_part, line


def test_the_enhanced_codes_own_meaning_is_always_given() -> None:
    assert one_line(504, "5.5.4", "AUTH", "x").endswith("; 5.5.4: Invalid command arguments (RFC 3463 §3)")
    assert one_line(530, "5.7.0", "MAIL", "x").endswith("; 5.7.0: Other or undefined security status (RFC 3463 §3)")
    assert one_line(535, "5.7.8", "AUTH", "x").count("Authentication credentials invalid") == 1   # not repeated


def test_reading_names_the_table_entry_and_the_text_beats_the_verb() -> None:
    from tutor.explain_codes import reading
    assert reading(501, "5.5.4", "RCPT", "x").key == "codes.reply.501.rcpt"
    assert reading(503, "5.5.1", "AUTH", "Already authenticated").key == "codes.reply.503.auth-twice"
    assert reading(503, "5.5.1", "AUTH", "AUTH not permitted during a mail transaction").key \
        == "codes.reply.503.auth-in-transaction"
    assert reading(535, "5.7.8", "AUTH", "x").key == "codes.reply.535"            # one meaning: the code's own
    assert reading(500, "5.5.6").key == "codes.reply.500.auth-line"                # :explain 500 5.5.6, no step
    assert reading(501).key == "codes.reply.501"                                   # :explain 501: no guess


def test_a_context_with_another_enhanced_code_does_not_match() -> None:
    from tutor.explain_codes import reading
    assert reading(501, "5.5.2", "AUTH", "x").key == "codes.reply.501.base64"
    assert reading(501, "5.7.0", "AUTH", "x").key == "codes.reply.501.ir-not-allowed"
    assert reading(501, None, "AUTH", "Initial response not allowed for CRAM-MD5").key == "codes.reply.501.ir-text"


def test_step_of_reads_what_the_client_connection_says_a_reply_answers() -> None:
    from tutor.protocol import commands
    from tutor.protocol.client import Sent
    from tutor.protocol.codes import step_of
    assert step_of(Sent("command", commands.parse(b"rcpt TO:<a@b>"), b"rcpt TO:<a@b>")) == "RCPT"
    assert step_of(Sent("command", commands.parse(b"FROB x"), b"FROB x")) == "unknown-verb"
    assert step_of(Sent("auth-response", None, b"*")) == "auth-cancel"
    assert step_of(Sent("auth-response", None, b"dGlt")) == "auth-response"
    assert step_of(Sent("greeting")) == "greeting" and step_of(Sent("message-end", None, b".")) == "message-end"
