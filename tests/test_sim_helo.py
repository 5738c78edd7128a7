"""AUTH and MAIL after HELO instead of EHLO (issue 11 §2).

AUTH is a service extension offered only in an EHLO reply (RFC 4954 §3, RFC 5321 §2.2); RFC 5321 §4.1.1.1 lets a
mail transaction start after HELO or EHLO. The lab profile accepts AUTH after HELO (as Postfix does) with a note;
`strict` refuses it with 503.
"""

from peers import Talk

from tutor.explain import load

TIM_PLAIN = "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"    # \0tim\0tanstaaftanstaaf
OK = "235 2.7.0 Authentication successful"
NO_AUTH = "503 5.5.1 Send EHLO first: AUTH is offered only in the EHLO reply"
NO_MAIL = "503 5.5.1 Send EHLO first: this server needs AUTH before MAIL, and AUTH is offered only in the EHLO reply"

def texts(talk: Talk) -> list[str]:
    return [note.text() for note in talk.last.notes]

def strict_in_tls() -> Talk:
    talk = Talk("strict")
    talk("EHLO client.example")
    assert talk("STARTTLS") == "220 2.0.0 Ready to start TLS"
    talk.server.tls_established()
    return talk

def test_lab_accepts_auth_after_helo_and_says_why_it_is_unusual():
    talk = Talk("lab")
    assert talk("HELO client.example") == "250 sim.smtp-tutor.test"
    assert talk(TIM_PLAIN) == OK
    note = next(t for t in texts(talk) if t.startswith("You greeted with HELO"))
    for fact in ("AUTH is a service extension, offered only in an EHLO reply (RFC 4954 §3, RFC 5321 §2.2)",
                 "RFC 5321 §4.1.1.1 lets a client start a mail transaction after HELO or EHLO",
                 "real servers differ on AUTH after HELO: Postfix accepts it"):
        assert fact in note

def test_lab_mail_after_helo_without_auth_is_530_with_the_helo_note():
    talk = Talk("lab")
    talk("HELO client.example")
    assert talk("MAIL FROM:<tim@example.org>") == "530 5.7.0 Authentication required"
    assert "sim.helo.no-extensions" in talk.notes()

def test_lab_mail_after_helo_and_auth_is_accepted_without_a_note():
    talk = Talk("lab")
    talk("HELO client.example")
    talk(TIM_PLAIN)
    assert talk("MAIL FROM:<tim@example.org>") == "250 2.1.0 Ok"
    assert "sim.helo.no-extensions" not in talk.notes()

def test_strict_refuses_auth_after_helo_inside_tls():
    talk = strict_in_tls()
    assert talk("HELO client.example") == "250 sim.smtp-tutor.test"
    assert talk(TIM_PLAIN) == NO_AUTH
    assert talk.notes()[-1] == "sim.helo.refused"
    assert talk("MAIL FROM:<tim@example.org>") == NO_MAIL
    assert talk("EHLO client.example").startswith("250-sim.smtp-tutor.test Hello client.example")
    assert talk(TIM_PLAIN) == OK

def test_strict_refuses_auth_after_helo_before_tls_too():
    talk = Talk("strict")
    talk("HELO client.example")
    assert talk(TIM_PLAIN) == NO_AUTH

def test_strict_accepts_mail_after_a_later_helo_once_logged_in():
    talk = strict_in_tls()
    talk("EHLO client.example")
    assert talk(TIM_PLAIN) == OK
    talk("HELO client.example")
    assert talk("MAIL FROM:<tim@example.org>") == "250 2.1.0 Ok"

def test_auth_before_any_greeting_gets_the_sim_note_not_only_defined_after_ehlo():
    talk = Talk("lab")
    assert talk(TIM_PLAIN) == "503 5.5.1 Send EHLO (or HELO) first"
    assert talk.notes() == ["sim.sequence.need-ehlo"]
    assert "RFC 5321 §4.1.1.1" in texts(talk)[0]

def _strings(table):
    for value in table.values():
        if isinstance(value, dict):
            yield from _strings(value)
        elif isinstance(value, str):
            yield value

def test_no_sim_note_says_auth_or_mail_are_only_defined_after_ehlo():
    assert not [s for s in _strings(load("sim")) if "only defined after EHLO" in s]


# ---- issue 11 §2: "the password crossed this connection recoverably" only without TLS ---------------------

def test_the_password_in_clear_note_only_without_tls():
    talk = Talk("lab")
    talk("EHLO client.example")
    assert talk(TIM_PLAIN) == OK
    assert "sim.auth.password-in-clear" in talk.notes()
    talk = strict_in_tls()
    talk("EHLO client.example")
    assert talk(TIM_PLAIN) == OK
    assert "sim.auth.password-in-clear" not in talk.notes()

