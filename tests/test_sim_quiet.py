"""A SimServer that nobody reads the explanations of (serve with no log/record/view) answers exactly the same."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

from tutor.sim.server import SimServer

USER, PASSWORD = "tim", "tanstaaftanstaaf"


def _b64(text: str) -> bytes:
    return base64.b64encode(text.encode()) + b"\r\n"


def _session(explaining: bool, lines: list[bytes]) -> list:
    server = SimServer("lab", rng=random.Random(7), clock=lambda: 1000.0, starttls=False)
    server.explaining = explaining
    outputs = [server.connect()] + [server.receive(line) for line in lines]
    return outputs


SESSIONS = [
    [b"EHLO a.example\r\n", b"AUTH PLAIN " + _b64(f"\0{USER}\0{PASSWORD}"), b"QUIT\r\n"],
    [b"EHLO a.example\r\n", b"AUTH PLAIN " + _b64(f"\0{USER}\0wrong"), b"QUIT\r\n"],
    [b"EHLO a.example\r\n", b"AUTH LOGIN\r\n", _b64(USER), _b64(PASSWORD), b"QUIT\r\n"],
    [b"HELO a.example\r\n", b"MAIL FROM:<a@b>\r\n", b"BOGUS\r\n", b"DATA\r\n", b"QUIT\r\n"],
]


def test_same_bytes_without_explanations():
    for lines in SESSIONS:
        loud, quiet = _session(True, lines), _session(False, lines)
        assert [o.data for o in quiet] == [o.data for o in loud]
        assert [(o.close, o.start_tls) for o in quiet] == [(o.close, o.start_tls) for o in loud]
        assert all(o.notes == () and o.transcript == () for o in quiet)
        assert any(o.notes for o in loud) and any(o.transcript for o in loud)


def test_quiet_session_still_authenticates_and_refuses():
    ok = _session(False, SESSIONS[0])
    assert ok[2].data.startswith(b"235 ")    # RFC 4954 §6: 235 on success
    bad = _session(False, SESSIONS[1])
    assert bad[2].data.startswith(b"535 ")   # RFC 4954 §6: 535 credentials invalid
    assert ok[3].close and ok[3].data.startswith(b"221 ")


def test_quiet_cram_md5_checks_the_digest():
    server = SimServer("lab", rng=random.Random(3), clock=lambda: 1000.0, starttls=False)
    server.explaining = False
    server.connect()
    server.receive(b"EHLO a.example\r\n")
    challenge = base64.b64decode(server.receive(b"AUTH CRAM-MD5\r\n").data[4:].strip())
    digest = hmac.new(PASSWORD.encode(), challenge, hashlib.md5).hexdigest()
    assert server.receive(_b64(f"{USER} {digest}")).data.startswith(b"235 ")
