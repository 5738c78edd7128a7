"""The clear-text guard's logic without a network (tutor.repl.cleartext_guard): which lines are AUTH, what is held
back after a refusal, what ends the hold, and what history keeps meanwhile. The namespace test drives it end to end."""

from types import SimpleNamespace

import pytest

from tutor.errors import InputError
from tutor.repl.cleartext_guard import auth_mechanism, exposed_mechanism, guard_cleartext
from tutor.repl.shell import Shell

BLOB = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"


def fake_session(exposed=True, kind="command"):
    transport = SimpleNamespace(cleartext_exposed=exposed, address=SimpleNamespace(host="mail.example.net"))
    client = SimpleNamespace(line_kind=lambda: kind, auth_ended=False)
    return SimpleNamespace(transport=transport, client=client, closed=False)


def asking_shell(answer):
    """A Shell whose learner answers `answer` to the clear-text question; the session is a fake remote one."""
    shown, asked = [], []
    shell = Shell(out=shown.extend)
    shell.confirm = lambda prompt: asked.append(prompt) or answer
    shell.session = fake_session()
    return shell, shown, asked


@pytest.mark.parametrize("line, mechanism", [
    ("AUTH PLAIN", "PLAIN"), ("auth plain", "PLAIN"), (f"AUTH\tPLAIN {BLOB}", "PLAIN"), ("AUTH  LOGIN", "LOGIN"),
    (f"\tAUTH\t\tXOAUTH2 {BLOB}", "XOAUTH2"), ("AUTH", ""), ("AUTHX PLAIN", None), ("EHLO AUTH", None),
])
def test_any_whitespace_separates_verb_and_mechanism(line, mechanism):
    assert auth_mechanism(line) == mechanism


def test_only_recoverable_mechanisms_on_an_exposed_connection_are_guarded():
    assert exposed_mechanism(fake_session(), f"AUTH\tPLAIN {BLOB}") == "PLAIN"
    assert exposed_mechanism(fake_session(), "AUTH CRAM-MD5") is None          # no password on the wire
    assert exposed_mechanism(fake_session(exposed=False), "AUTH PLAIN") is None   # TLS or loopback
    assert exposed_mechanism(fake_session(kind="auth-response"), "AUTH PLAIN") is None


def test_declined_auth_holds_back_its_answers_until_an_smtp_command():
    shell, shown, asked = asking_shell(False)
    with pytest.raises(InputError, match="STARTTLS first"):
        guard_cleartext(shell, shell.session, "AUTH PLAIN")
    assert len(asked) == 1
    with pytest.raises(InputError, match=r"not waiting for an answer.*in clear text"):
        guard_cleartext(shell, shell.session, BLOB)
    with pytest.raises(InputError, match="nothing to cancel"):
        guard_cleartext(shell, shell.session, "*")
    with pytest.raises(InputError):
        guard_cleartext(shell, shell.session, "tanstaaftanstaaf")   # a password typed as is: held too
    assert len(asked) == 1                                            # held lines are refused, not asked about
    guard_cleartext(shell, shell.session, "NOOP")                    # an SMTP command ends the hold
    guard_cleartext(shell, shell.session, "XYZZY")                   # and nothing is held after it
    assert shell.refused_auth is None and not shell.quit_requested


def test_held_lines_stay_out_of_history():
    shell, _, _ = asking_shell(False)
    with pytest.raises(InputError):
        guard_cleartext(shell, shell.session, "AUTH LOGIN")
    assert shell.history_form("dGFuc3RhYWZ0YW5zdGFhZg==") is None
    assert shell.history_form("EHLO laptop") == "EHLO laptop"


def test_a_new_session_forgets_the_refusal():
    shell, _, _ = asking_shell(False)
    with pytest.raises(InputError):
        guard_cleartext(shell, shell.session, "AUTH PLAIN")
    shell.session = fake_session()
    guard_cleartext(shell, shell.session, "hello")     # nothing was refused on this connection


def test_batch_mode_refuses_and_stops():
    shell = Shell()
    shell.session = fake_session()
    with pytest.raises(InputError, match="batch mode stops here"):
        guard_cleartext(shell, shell.session, f"AUTH\tPLAIN {BLOB}")
    assert shell.quit_requested


def test_yes_sends_and_holds_nothing():
    shell, _, asked = asking_shell(True)
    guard_cleartext(shell, shell.session, "AUTH PLAIN")
    assert len(asked) == 1 and shell.refused_auth is None
    guard_cleartext(shell, shell.session, BLOB)


def test_tab_separated_initial_response_stays_out_of_history():
    shell = Shell()
    assert shell.history_form(f"AUTH\tPLAIN {BLOB}") == "AUTH PLAIN"


@pytest.mark.parametrize("line", [f"AUTHPLAIN {BLOB}", f"NOOP {BLOB}", "AUTH\u00a0PLAIN " + BLOB])
def test_a_credential_in_any_command_line_is_guarded_too(line):
    shell, shown, asked = asking_shell(False)
    with pytest.raises(InputError, match="STARTTLS first"):
        guard_cleartext(shell, shell.session, line)
    assert len(asked) == 1 and any("this line holds a credential" in i.text or "AUTH PLAIN sends" in i.text
                                   for i in shown)


def test_a_credential_in_a_batch_line_stops_the_script():
    shell = Shell()
    shell.session = fake_session()
    with pytest.raises(InputError, match=r"would put a credential on the network in clear text.*batch mode stops"):
        guard_cleartext(shell, shell.session, f"NOOP {BLOB}")
    assert shell.quit_requested


def test_ordinary_lines_are_not_asked_about():
    shell, _, asked = asking_shell(False)
    for line in ("EHLO laptop", "MAIL FROM:<tim@example.org>", "NOOP dGlt", "AUTH CRAM-MD5"):
        guard_cleartext(shell, shell.session, line)
    assert asked == []
