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


# ---- every profile and mechanism: the same bytes whoever reads the explanations ---------------------------

def _client(name: str, secret: str):
    from tutor.sasl import MECHANISMS, Credentials, tokens

    info = MECHANISMS[name]
    if info.family == "bearer":
        secret = tokens.issue(USER) if secret == PASSWORD else "not-a-token"
    options = {"c_nonce": "fyko+d2lbbFgONRv9qkxdawL"} if info.family == "scram" else {}
    if name == "DIGEST-MD5":
        options = {"cnonce": "OA6MHXh6VqTrRk"}
    return info.client(Credentials(USER, secret), **options)


def _login(profile: str, mode: str, name: str, secret: str) -> list:
    from tutor.classroom.session import WATCHED_NOTES
    from tutor.sim.accounts import Accounts

    server = SimServer(profile, Accounts.default(), rng=random.Random(5), clock=lambda: 1000.0)
    if mode == "quiet":
        server.explaining = False
    elif mode == "summary":
        server.summarise(WATCHED_NOTES)
    outputs = [server.connect(), server.receive(b"EHLO a.example\r\nSTARTTLS\r\n"), server.tls_established(),
               server.receive(b"EHLO a.example\r\n")]
    client = _client(name, secret)
    first = client.initial_response()
    outputs.append(server.receive(f"AUTH {name}".encode()
                                  + (b" " + base64.b64encode(first) if first else b" =" if first == b"" else b"")
                                  + b"\r\n"))
    for _ in range(4):
        if not outputs[-1].data.startswith(b"334"):
            break
        try:
            answer = base64.b64encode(client.respond(base64.b64decode(outputs[-1].data[4:].strip()))) + b"\r\n"
        except Exception:   # a client that gives up cancels with "*" (RFC 4954 §4)
            answer = b"*\r\n"
        outputs.append(server.receive(answer))
    outputs.append(server.receive(b"QUIT\r\n"))
    return outputs


def _cases():
    from tutor.sasl import MECHANISMS
    from tutor.sim.profiles import PROFILES

    for profile in PROFILES.values():
        for name in profile.offered(True):
            if name in MECHANISMS:
                for secret in (PASSWORD, "wrong"):
                    yield profile.name, name, secret


def test_every_profile_and_mechanism_sends_the_same_bytes_quiet_and_summarised(monkeypatch):
    import tutor.sasl.digest_md5
    import tutor.sasl.scram_server

    # the only randomness left: DIGEST-MD5's server nonce, and the keys made up for a user the impostor knows not
    monkeypatch.setattr(tutor.sasl.digest_md5.secrets, "token_urlsafe", lambda n=16: "fixed-server-nonce")
    monkeypatch.setattr(tutor.sasl.scram_server.secrets, "token_bytes", lambda n=32: bytes(range(n)))
    cases = list(_cases())
    assert len(cases) > 40 and {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"} <= {name for _, name, _ in cases}
    verdicts = set()
    for profile, name, secret in cases:
        loud = _login(profile, "loud", name, secret)
        for mode in ("quiet", "summary"):
            other = _login(profile, mode, name, secret)
            assert [o.data for o in other] == [o.data for o in loud], (profile, name, secret, mode)
            assert [(o.close, o.start_tls) for o in other] == [(o.close, o.start_tls) for o in loud]
        quiet = _login(profile, "quiet", name, secret)
        assert all(o.notes == () and o.transcript == () for o in quiet)
        verdicts.add(loud[-2].data[:3])
    assert {b"235", b"535"} <= verdicts   # RFC 4954 §6: both verdicts were met


def test_a_summarised_steps_one_line_is_shared_by_the_steps_that_say_it_within_a_bound(monkeypatch):
    """A class says the same lines again and again: a summarising simulator hands on one tuple for each line (a
    classroom view keeps fewer objects, and compares shared ones), and remembers at most SHARED_LINES of them."""
    from tutor.sim import output

    monkeypatch.setattr(output, "SHARED_LINES", 4)
    monkeypatch.setattr(output, "_ONE_LINE", {})
    sessions = [SimServer("lab") for _ in range(2)]
    for sim in sessions:
        sim.summarise(frozenset())
        sim.connect()
    first, second = (sim.receive(b"EHLO pc1\r\n").client for sim in sessions)
    assert first == (b"EHLO pc1",) and first is second
    for number in range(10):                     # as many different lines as a hostile client likes
        sessions[0].receive(f"NOOP {number}\r\n".encode())
        assert len(output._ONE_LINE) <= 4
    sessions[0].receive(b"AUTH LOGIN\r\n")
    long_line = base64.b64encode(b"x" * output.SHARED_LINE_SIZE)   # (an AUTH answer may be that long)
    assert sessions[0].receive(long_line + b"\r\n").client == (long_line,)
    assert long_line not in output._ONE_LINE                 # a long line is not kept for sharing
    pipelined = sessions[1].receive(b"NOOP\r\nNOOP\r\n")
    assert pipelined.client == (b"NOOP", b"NOOP")   # two lines in one call: a tuple of its own
