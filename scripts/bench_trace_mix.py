"""A large, seeded, mixed capture for scripts/bench_trace.py: tens of thousands of SMTP sessions interleaved.

Mechanisms PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 and XOAUTH2, successes and failures; some sessions start
after the greeting and EHLO (no handshake: a mid-session capture), some are written with a short snap length
(caplen 96 of a longer wire length, as `tcpdump -s 96`), and non-SMTP noise flows (HTTP, TLS-looking bytes,
DNS over UDP) run between them. Sessions are interleaved packet by packet across CONCURRENT open flows, so
many flows are open at once. Everything is drawn from random.Random(seed): the same seed writes the same file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import struct
from collections.abc import Iterator
from pathlib import Path

USERS = [("tim", "tanstaaftanstaaf"), ("demo", "demo"), ("alice", "wonderland"), ("bob", "hunter2")]
MECHS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2")
EHLO_REPLY = (b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n"
              b"250-8BITMIME\r\n250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 XOAUTH2\r\n250 SMTPUTF8\r\n")
BODY_LINE = b"The quick brown fox jumps over the lazy dog; lorem ipsum dolor sit amet, bench filler.\r\n"
_SALTED: dict[tuple[str, bytes], bytes] = {}


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _scram(user: str, secret: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    """RFC 5802 §5 exchange over AUTH (RFC 4954): client-first, server-first, client-final; the caller ends it."""
    salt = hashlib.sha256(user.encode()).digest()[:16]
    key = (user, secret)
    if key not in _SALTED:
        _SALTED[key] = hashlib.pbkdf2_hmac("sha256", secret, salt, 4096)
    cnonce = f"{rng.getrandbits(64):016x}"
    nonce = cnonce + f"{rng.getrandbits(64):016x}"
    bare = f"n={user},r={cnonce}"
    first = f"r={nonce},s={base64.b64encode(salt).decode()},i=4096"
    without = f"c=biws,r={nonce}"
    message = f"{bare},{first},{without}".encode()
    client_key = hmac.new(_SALTED[key], b"Client Key", hashlib.sha256).digest()
    signature = hmac.new(hashlib.sha256(client_key).digest(), message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    return [("C", b"AUTH SCRAM-SHA-256 " + _b64(b"n,," + bare.encode()) + b"\r\n"),
            ("S", b"334 " + _b64(first.encode()) + b"\r\n"),
            ("C", _b64(f"{without},p={base64.b64encode(proof).decode()}".encode()) + b"\r\n")]


def _auth(mech: str, user: str, secret: bytes, n: int, rng: random.Random) -> list[tuple[str, bytes]]:
    if mech == "PLAIN":
        return [("C", b"AUTH PLAIN " + _b64(b"\0" + user.encode() + b"\0" + secret) + b"\r\n")]
    if mech == "LOGIN":
        return [("C", b"AUTH LOGIN\r\n"), ("S", b"334 VXNlcm5hbWU6\r\n"), ("C", _b64(user.encode()) + b"\r\n"),
                ("S", b"334 UGFzc3dvcmQ6\r\n"), ("C", _b64(secret) + b"\r\n")]
    if mech == "CRAM-MD5":
        challenge = b"<%d.%d@mx.example.net>" % (rng.getrandbits(31), 1700000000 + n)
        digest = hmac.new(secret, challenge, hashlib.md5).hexdigest().encode()
        return [("C", b"AUTH CRAM-MD5\r\n"), ("S", b"334 " + _b64(challenge) + b"\r\n"),
                ("C", _b64(user.encode() + b" " + digest) + b"\r\n")]
    if mech == "SCRAM-SHA-256":
        return _scram(user, secret, rng)
    token = b"ya29.%s" % _b64(hashlib.sha256(secret + b"%d" % n).digest()).rstrip(b"=")
    return [("C", b"AUTH XOAUTH2 " + _b64(b"user=%s@example.org\x01auth=Bearer %s\x01\x01" % (user.encode(), token))
             + b"\r\n")]


def _ending(mech: str, ok: bool, user: str, n: int, rng: random.Random) -> list[tuple[str, bytes]]:
    """After the AUTH exchange: the outcome, then a message (on success) and QUIT."""
    if not ok:
        lines = []
        if mech == "XOAUTH2":       # Google's error challenge, answered by an empty line
            lines = [("S", b"334 " + _b64(b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')
                      + b"\r\n"), ("C", b"\r\n")]
        return lines + [("S", b"535 5.7.8 Authentication credentials invalid\r\n"), ("C", b"QUIT\r\n"),
                        ("S", b"221 2.0.0 Bye\r\n")]
    lines = [("S", b"235 2.7.0 Authentication successful\r\n")]
    if mech == "SCRAM-SHA-256":
        lines = [("S", b"334 " + _b64(b"v=%s" % _b64(rng.randbytes(32))) + b"\r\n"), ("C", b"\r\n")] + lines
    body = b"Subject: bench %d\r\n\r\n" % n + BODY_LINE * rng.randint(2, 10) + b".\r\n"
    return lines + [("C", b"MAIL FROM:<%s@example.org>\r\n" % user.encode()), ("S", b"250 2.1.0 Ok\r\n"),
                    ("C", b"RCPT TO:<friend@example.net>\r\n"), ("S", b"250 2.1.5 Ok\r\n"), ("C", b"DATA\r\n"),
                    ("S", b"354 End data with <CR><LF>.<CR><LF>\r\n"), ("C", body),
                    ("S", b"250 2.0.0 Ok: queued as %X\r\n" % rng.getrandbits(40)), ("C", b"QUIT\r\n"),
                    ("S", b"221 2.0.0 Bye\r\n")]


def session_lines(n: int, mech: str, ok: bool, mid: bool, rng: random.Random) -> list[tuple[str, bytes]]:
    user, password = USERS[rng.randrange(len(USERS))]
    secret = password.encode() if ok else b"wrong-%d" % rng.randrange(1000)
    head = [] if mid else [("S", b"220 mx.example.net ESMTP bench\r\n"), ("C", b"EHLO client%d.example\r\n" % n),
                           ("S", EHLO_REPLY)]
    return head + _auth(mech, user, secret, n, rng) + _ending(mech, ok, user, n, rng)


class Flow:
    """One TCP connection's packets, produced one at a time: (src, dst, seq, ack, flags, payload)."""

    def __init__(self, client: tuple, server: tuple, lines: list[tuple[str, bytes]], handshake: bool,
                 snaplen: int = 0) -> None:
        self.client, self.server, self.lines, self.handshake, self.snaplen = client, server, lines, handshake, snaplen

    def packets(self) -> Iterator[tuple]:
        client, server = self.client, self.server
        seq = {"C": 1000, "S": 90000}
        ends = {"C": (client, server), "S": (server, client)}
        if self.handshake:
            yield client, server, 999, 0, 0x02, b""
            yield server, client, 89999, 1000, 0x12, b""
            yield client, server, 1000, 90000, 0x10, b""
        for side, payload in self.lines:
            src, dst = ends[side]
            other = "S" if side == "C" else "C"
            for start in range(0, len(payload), 1448):          # an MSS-sized segment at most
                piece = payload[start:start + 1448]
                yield src, dst, seq[side], seq[other], 0x18, piece
                seq[side] += len(piece)
            yield dst, src, seq[other], seq[side], 0x10, b""      # the ACK
        yield server, client, seq["S"], seq["C"], 0x11, b""
        yield client, server, seq["C"], seq["S"] + 1, 0x11, b""
        yield server, client, seq["S"] + 1, seq["C"] + 1, 0x10, b""


def _noise(n: int, rng: random.Random) -> Flow:
    """HTTP on port 80 or TLS-looking records on 443: bytes the tracer must pass over."""
    client = (bytes([172, 16, (n >> 8) & 0xFF, n & 0xFF]), 30000 + n % 30000)
    if rng.random() < 0.5:
        lines = [("C", b"GET /index%d.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n" % n),
                 ("S", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2000\r\n\r\n"
                       + bytes(rng.getrandbits(8) for _ in range(2000)))]
        return Flow(client, (bytes([93, 184, 216, 34]), 80), lines, True)
    lines = [("C", b"\x16\x03\x01\x00\xc8\x01" + rng.randbytes(200)),
             ("S", b"\x16\x03\x03\x00\x5a\x02" + rng.randbytes(90)),
             ("C", b"\x17\x03\x03\x04\x00" + rng.randbytes(1024)), ("S", b"\x17\x03\x03\x08\x00" + rng.randbytes(2048))]
    return Flow(client, (bytes([198, 51, 100, 7]), 443), lines, True)


def make_flow(n: int, rng: random.Random, snaplen: int) -> tuple[Flow, bool]:
    """Session n (or a noise flow): (flow, is_smtp)."""
    if rng.random() < 0.06:
        return _noise(n, rng), False
    mech = MECHS[rng.randrange(len(MECHS))]
    ok = rng.random() < 0.75
    mid = rng.random() < 0.10
    cut = snaplen if rng.random() < 0.10 else 0
    client = (bytes([10, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF]), 1024 + rng.randrange(60000))
    server = (bytes([192, 0, 2, 25 + n % 4]), (25, 587)[n % 2])
    return Flow(client, server, session_lines(n, mech, ok, mid, rng), not mid, cut), True


def write(path: Path, sessions: int, seed: int = 12, concurrent: int = 3000, snaplen: int = 96) -> dict:
    """Write the capture; return counts of what it holds (SMTP sessions, noise flows, mid-session, snaplen-cut)."""
    rng = random.Random(seed)
    counts = {"smtp": 0, "noise": 0, "mid": 0, "cut": 0, "packets": 0}
    pack, eth = struct.pack, b"\0\0\0\0\0\0\0\0\0\0\0\0\x08\x00"
    t = 1_700_000_000_000_000          # microseconds
    active: list[tuple[Iterator, int]] = []
    n = 0
    with open(path, "wb") as out:
        out.write(pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while counts["smtp"] < sessions or active:
            while counts["smtp"] < sessions and len(active) < concurrent:
                flow, smtp = make_flow(n, rng, snaplen)
                n += 1
                counts["smtp" if smtp else "noise"] += 1
                counts["mid"] += smtp and not flow.handshake
                counts["cut"] += bool(flow.snaplen)
                active.append((flow.packets(), flow.snaplen))
                if rng.random() < 0.02:      # a DNS query over UDP, now and then
                    t += 7
                    out.write(_udp_frame(pack, eth, t, n, rng))
            i = rng.randrange(len(active))
            it, cut = active[i]
            packet = next(it, None)
            if packet is None:
                active[i] = active[-1]
                active.pop()
                continue
            t += 7
            frame = _tcp_frame(pack, eth, *packet)
            caplen = min(len(frame), cut) if cut else len(frame)
            out.write(pack("<IIII", t // 1_000_000, t % 1_000_000, caplen, len(frame)) + frame[:caplen])
            counts["packets"] += 1
    return counts


def _tcp_frame(pack, eth: bytes, src: tuple, dst: tuple, seq: int, ack: int, flags: int, payload: bytes) -> bytes:
    tcp = pack(">HHIIBBHHH", src[1], dst[1], seq, ack, 0x50, flags, 65535, 0, 0)
    ip = pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src[0], dst[0])
    return eth + ip + tcp + payload


def _udp_frame(pack, eth: bytes, t: int, n: int, rng: random.Random) -> bytes:
    query = pack(">HHHHHH", rng.getrandbits(16), 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    udp = pack(">HHHH", 1024 + n % 60000, 53, 8 + len(query), 0)
    ip = pack(">BBHHHBBH4s4s", 0x45, 0, 28 + len(query), 0, 0, 64, 17, 0, bytes([10, 9, 9, 9]), bytes([9, 9, 9, 9]))
    frame = eth + ip + udp + query
    return pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)) + frame
