"""The legality and transition tables (RFC 5321 §4.1.4, RFC 4954 §4, RFC 3207 §4)."""

import pytest

from tutor.protocol.states import TRANSITIONS, State, Trigger, is_legal, next_state


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
    (State.GREETING, Trigger.GREETING, 220, State.INITIAL),
    (State.GREETING, Trigger.GREETING, 554, State.CLOSED),       # RFC 5321 §3.1: no service
    (State.AUTH, Trigger.AUTH_RESPONSE, 334, State.AUTH),         # RFC 4954 §4: the exchange goes on
    (State.AUTH, Trigger.AUTH_RESPONSE, 235, State.READY),
    (State.AUTH, Trigger.AUTH_RESPONSE, 501, State.READY),        # `*` cancelled
    (State.AUTH, Trigger.LINE_TOO_LONG, 500, State.READY),
    (State.READY, Trigger.LINE_TOO_LONG, 500, State.READY),       # a too-long command is only refused
    (State.DATA, Trigger.MESSAGE_END, 250, State.READY),
    (State.DATA, Trigger.MESSAGE_END, 554, State.READY),
    (State.DATA, Trigger.MESSAGE_END, 421, State.CLOSED),
    (State.READY, Trigger.UNSOLICITED, 250, State.READY),
])
def test_next_state(state, verb, code, after):
    assert next_state(state, verb, code) is after


def test_the_table_holds_every_move_the_client_and_server_make():
    triggers = {answered for answered, _ in TRANSITIONS}
    assert triggers == {"EHLO", "HELO", "RSET", "AUTH", "MAIL", "RCPT", "DATA", "STARTTLS", "QUIT",
                        Trigger.GREETING, Trigger.AUTH_RESPONSE, Trigger.MESSAGE_END, Trigger.LINE_TOO_LONG}


@pytest.mark.parametrize("state, verb, legal", [
    (State.INITIAL, "AUTH", False), (State.READY, "AUTH", True), (State.MAIL, "AUTH", False),
    (State.INITIAL, "MAIL", False), (State.READY, "STARTTLS", True), (State.MAIL, "DATA", False),
    (State.RCPT, "DATA", True), (State.AUTH, "NOOP", False), (State.READY, "ehlo", True),
])
def test_legality(state, verb, legal):
    assert is_legal(state, verb) is legal
