"""Shared pieces of the course tests: views of a connection in each state, credentials, RFC values."""

from __future__ import annotations

import base64

from tutor.course.facts import Credentials
from tutor.course.view import AUTH_RESPONSE, COMMAND, MESSAGE, Attempt, View
from tutor.protocol.capabilities import Capabilities
from tutor.protocol.replies import make
from tutor.protocol.states import State

TIM = Credentials("tim", "tanstaaftanstaaf")                        # RFC 2195 §2's user and secret
RFC2195_CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"
RFC2195_RESPONSE = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"  # tim b913a602c7eda7a495b4e6e7334d3890
PLAIN_TIM = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"                            # \0tim\0tanstaaftanstaaf (RFC 4616 §4 inputs)
USER_B64, PASSWORD_B64 = "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="           # LOGIN draft §2.3 example answers

CAPS = Capabilities("sim", {"AUTH": "PLAIN LOGIN CRAM-MD5"}, ("PLAIN", "LOGIN", "CRAM-MD5"), False, True)
READY = View(State.READY, COMMAND, capabilities=CAPS)
READY_TLS = View(State.READY, COMMAND, tls=True, capabilities=CAPS)
LOGIN_USER = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="LOGIN", responses=0, challenge=b"Username:")
LOGIN_PASS = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="LOGIN", responses=1, challenge=b"Password:")
PLAIN_WAIT = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="PLAIN", responses=0, challenge=b"")
CRAM = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="CRAM-MD5", responses=0,
            challenge=RFC2195_CHALLENGE)
DATA = View(State.DATA, MESSAGE, capabilities=CAPS)


def b64(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def line(view: View, text: str, reply: int | None = None) -> Attempt:
    """The learner typed `text` in `view`; the server answered `reply` (a code) if given."""
    answer = make(reply, "reply") if reply is not None else None
    return Attempt(view, view, line=text.encode("utf-8"), reply=answer)


def helper(view: View, name: str, *args: str) -> Attempt:
    return Attempt(view, view, helper=name, args=tuple(args))
