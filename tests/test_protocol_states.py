"""The legality and transition tables (RFC 5321 §4.1.4, RFC 4954 §4, RFC 3207 §4)."""

import pytest

from tutor.protocol.states import State, after_command, is_legal


@pytest.mark.parametrize("state, verb, code, after", [
    (State.INITIAL, "EHLO", 250, State.READY),
    (State.MAIL, "EHLO", 250, State.READY),            # RFC 5321 §4.1.4: EHLO resets a transaction
    (State.RCPT, "RSET", 250, State.READY),
    (State.READY, "RSET", 250, State.READY),
    (State.READY, "AUTH", 334, State.AUTH),
    (State.AUTH, "AUTH", 334, State.AUTH),
    (State.AUTH, "AUTH", 235, State.READY),
    (State.AUTH, "AUTH", 535, State.READY),
    (State.READY, "AUTH", 504, State.READY),
    (State.MAIL, "AUTH", 503, State.MAIL),             # refused inside a transaction: nothing changes
    (State.READY, "MAIL", 250, State.MAIL),
    (State.READY, "MAIL", 530, State.READY),           # MAIL before AUTH on a submission server
    (State.MAIL, "RCPT", 250, State.RCPT),
    (State.RCPT, "RCPT", 550, State.RCPT),
    (State.RCPT, "DATA", 354, State.DATA),
    (State.READY, "STARTTLS", 220, State.TLS_PENDING),
    (State.READY, "STARTTLS", 454, State.READY),
    (State.READY, "QUIT", 221, State.CLOSED),
    (State.RCPT, "NOOP", 421, State.CLOSED),
])
def test_after_command(state, verb, code, after):
    assert after_command(state, verb, code) is after


@pytest.mark.parametrize("state, verb, legal", [
    (State.INITIAL, "AUTH", False), (State.READY, "AUTH", True), (State.MAIL, "AUTH", False),
    (State.INITIAL, "MAIL", False), (State.READY, "STARTTLS", True), (State.MAIL, "DATA", False),
    (State.RCPT, "DATA", True), (State.AUTH, "NOOP", False), (State.READY, "ehlo", True),
])
def test_legality(state, verb, legal):
    assert is_legal(state, verb) is legal
