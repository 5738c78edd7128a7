"""Property-based: random bytes never crash the simulator, and everything it sends is well-formed replies."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.sim import PROFILES, SimServer

REPLY_LINE = re.compile(rb"\d{3}[ -][\x20-\x7e]*")
WORDS = [b"EHLO x", b"HELO x", b"AUTH PLAIN", b"AUTH LOGIN", b"AUTH CRAM-MD5", b"AUTH PLAIN =", b"*",
         b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm", b"dGlt", b"MAIL FROM:<a@b>", b"RCPT TO:<c@d>", b"DATA", b".",
         b"RSET", b"NOOP", b"STARTTLS", b"QUIT", b"VRFY x", b"\r\n", b"\n", b"\r", b"\x00", b"=", b"\xff\xfe"]

chunks = st.lists(st.one_of(st.binary(max_size=64), st.sampled_from(WORDS).map(lambda w: w + b"\r\n"),
                            st.sampled_from(WORDS)), max_size=30)


def assert_well_formed(data: bytes) -> None:
    assert data == b"" or data.endswith(b"\r\n")
    for line in data.split(b"\r\n")[:-1]:
        assert REPLY_LINE.fullmatch(line), line
    codes = {line[:3] for line in data.split(b"\r\n")[:-1]}
    assert all(100 <= int(code) < 600 for code in codes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=st.sampled_from(list(PROFILES)), pieces=chunks, tls_at=st.integers(min_value=-1, max_value=30))
def test_random_input_never_crashes_and_replies_are_well_formed(profile, pieces, tls_at):
    server = SimServer(profile)
    assert_well_formed(server.connect().data)
    for index, piece in enumerate(pieces):
        out = server.receive(piece)
        assert_well_formed(out.data)
        if out.start_tls and index >= tls_at:
            server.tls_established()
        if out.close:
            assert server.closed
            break
    assert_well_formed(server.receive(b"").data)
