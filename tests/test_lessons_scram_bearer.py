"""Lessons 11 (SCRAM-SHA-256) and 12 (XOAUTH2 / OAUTHBEARER) on the simulator: the SCRAM demo is RFC 7677 §3 on
the wire byte for byte, a wrong proof sends the learner back to the AUTH step, the OAuth demo sees TLS first,
the JSON error challenge and a token login."""

import base64
from pathlib import Path

from tutor import lesson_sessions
from tutor.course import demo, loader
from tutor.course.runner import FAIL, LessonRunner
from tutor.course.view import view_of

LESSONS = loader.load_all(Path(__file__).resolve().parent.parent / "lessons")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def play(slug):
    lesson = loader.find(slug, LESSONS)
    session, _ = lesson_sessions.sim_session(lesson)
    shown = []
    result = demo.play(lesson, session, lambda kind, text: shown.append((kind, text)))
    assert result.ok, [text for kind, text in shown if kind in ("fail", "error")]
    return [(kind, text) for kind, text in shown if kind in ("C", "S")]


def test_the_scram_demo_is_rfc7677_on_the_wire():
    wire = play("scram-sha-256")
    rfc = [("C", "AUTH SCRAM-SHA-256 " + b64("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")),
           ("S",
            "334 " + b64("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
           ("C", b64("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")),
           ("S", "334 " + b64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")),
           ("C", ""), ("S", "235 2.7.0 Authentication successful")]
    start = wire.index(rfc[0])
    assert wire[start:start + len(rfc)] == rfc


def test_a_wrong_scram_proof_goes_back_to_the_auth_step():
    lesson = loader.find("scram-sha-256", LESSONS)
    session, _ = lesson_sessions.sim_session(lesson)
    runner = LessonRunner(lesson)
    runner.start(view_of(session))
    while runner.step.id != "proof":
        assert demo.play_step(runner, session, lambda kind, text: None), runner.step.id
    before = view_of(session)
    combined = before.challenge.decode().split(",")[0][2:]
    wrong = b64(f"c=biws,r={combined},p={b64('x' * 32)}").encode()
    session.send(wrong, typed=False)
    verdict = runner.line(wrong, before, view_of(session))
    assert verdict.status == FAIL and runner.step.id == "auth"      # the server said 535: start again


def test_the_oauth_demo_needs_tls_then_shows_the_json_error_and_logs_in():
    wire = play("oauth-bearer")
    assert ("S", "530 5.7.0 Must issue a STARTTLS command first") in wire
    error = '{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}'
    assert ("C", "AUTH XOAUTH2 " + b64("user=tim\x01auth=Bearer ya29.expired\x01\x01")) in wire
    assert ("S", "334 " + b64(error)) in wire
    assert wire[wire.index(("S", "334 " + b64(error))) + 1:][:2] == [
        ("C", ""), ("S", "535 5.7.8 Authentication credentials invalid")]
    assert wire[-4][1].startswith("AUTH OAUTHBEARER ") and wire[-3] == ("S", "235 2.7.0 Accepted")


def test_the_oauth_demo_answers_oauthbearers_error_with_ctrl_a():
    """RFC 7628 §3.2.3: after the JSON error challenge the client MUST send a single 0x01 (AQ==), then 535."""
    wire = play("oauth-bearer")
    error = ('{"status":"invalid_token","scope":"example_scope",'
             '"openid-configuration":"https://example.com/.well-known/openid-configuration"}')   # RFC 7628 §4.3
    sent = ("C", "AUTH OAUTHBEARER " + b64("n,a=tim,\x01auth=Bearer ya29.expired\x01\x01"))
    at = wire.index(sent)
    assert wire[at + 1:at + 4] == [("S", "334 " + b64(error)), ("C", "AQ=="),
                                   ("S", "535 5.7.8 Authentication credentials invalid")]


def test_an_empty_answer_to_oauthbearers_error_gets_its_hint_and_goes_back():
    lesson = loader.find("oauth-bearer", LESSONS)
    session, _ = lesson_sessions.sim_session(lesson)
    runner = LessonRunner(lesson)
    runner.start(view_of(session))
    while runner.step.id != "answer-oauthbearer-error":
        assert demo.play_step(runner, session, lambda kind, text: None), runner.step.id
    before = view_of(session)
    session.send(b"", typed=False)
    verdict = runner.line(b"", before, view_of(session))
    assert verdict.status == FAIL and "MUST send it" in verdict.says[0].text and "AQ==" in verdict.says[0].text
    assert runner.step.id == "stale-oauthbearer"          # the server said 535: start that exchange again
