#!/usr/bin/env python3
"""Benchmark `smtp-tutor trace --summary` against tshark on a capture of many AUTH sessions.

The capture is SYNTHESISED by default (Ethernet/IPv4/TCP packets written with struct, as tcpdump would
write a loopback capture: handshake, one segment per SMTP line, an ACK for each, FIN/ACK close), mixing
PLAIN, LOGIN and CRAM-MD5 sessions with a short message each. `--capture` instead records real sessions
(smtplib against `smtp-tutor serve`) with tcpdump on loopback (needs root and tcpdump).

Both programs run on the same file in the same run, alternated `--runs` times each (so background load falls
on both alike); wall and CPU time (median and best) and peak RSS (ru_maxrss of the child) are printed, plus
the tracer's peak RSS at 1/4, 1x and 4x the sessions, to show memory does not grow with them.

`--big-sessions N` (default 30,000) then writes, seeded, a ~100 MB capture of N interleaved sessions (PLAIN,
LOGIN, CRAM-MD5, SCRAM-SHA-256, XOAUTH2; successes and failures; some mid-session, some cut to a 96-byte snap
length; noise flows between them: scripts/bench_trace_mix.py) and times both programs on it, alternating,
`--runs` times each (median and best, peak RSS), then checks that every AUTH session tshark finds (by its TCP
4-tuple) is among ours.

A last line times the reassembly worst case of issue 16 (a lost byte, then 40,000 one-byte segments held out of
order and 40,000 header-only segments whose payload the capture cut: quadratic before, past 60 s).

Usage: python scripts/bench_trace.py [--sessions 2000] [--capture] [--keep FILE] [--main-only]
                                    [--big-sessions 30000] [--big-only] [--seed 12]
       python scripts/bench_trace.py --sessions 32500 --runs 1 --main-only     # 100 MB of uniform sessions
"""

from __future__ import annotations

import argparse
import atexit
import base64
import hashlib
import hmac
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_trace_mix

ROOT = Path(__file__).resolve().parent.parent
CAPTURE_PORT = 12599
USERS = [("tim", "tanstaaftanstaaf"), ("demo", "demo"), ("alice", "wonderland")]


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def session_lines(n: int) -> list[tuple[str, bytes]]:
    """One SMTP session: greeting, EHLO, AUTH (PLAIN, LOGIN or CRAM-MD5), a message, QUIT."""
    user, password = USERS[n % 3]
    lines = [("S", b"220 mx.example.net ESMTP smtp-auth-tutor bench\r\n"), ("C", b"EHLO client%d.example\r\n" % n),
             ("S", b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n"
                   b"250-8BITMIME\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n250 SMTPUTF8\r\n")]
    mech = ("PLAIN", "LOGIN", "CRAM-MD5")[n % 3]
    ok = n % 5 != 0
    secret = password.encode() if ok else b"wrong"
    if mech == "PLAIN":
        lines.append(("C", b"AUTH PLAIN " + _b64(b"\0" + user.encode() + b"\0" + secret) + b"\r\n"))
    elif mech == "LOGIN":
        lines += [("C", b"AUTH LOGIN\r\n"), ("S", b"334 VXNlcm5hbWU6\r\n"), ("C", _b64(user.encode()) + b"\r\n"),
                  ("S", b"334 UGFzc3dvcmQ6\r\n"), ("C", _b64(secret) + b"\r\n")]
    else:
        challenge = b"<%d.%d@mx.example.net>" % (1000000 + n, 1700000000 + n)
        digest = hmac.new(secret, challenge, hashlib.md5).hexdigest().encode()
        lines += [("C", b"AUTH CRAM-MD5\r\n"), ("S", b"334 " + _b64(challenge) + b"\r\n"),
                  ("C", _b64(user.encode() + b" " + digest) + b"\r\n")]
    if not ok:
        return lines + [("S", b"535 5.7.8 Authentication credentials invalid\r\n"), ("C", b"QUIT\r\n"),
                        ("S", b"221 2.0.0 Bye\r\n")]
    return lines + [("S", b"235 2.7.0 Authentication successful\r\n"), ("C", b"MAIL FROM:<%s@example.org>\r\n" %
                                                                            user.encode()),
                    ("S", b"250 2.1.0 Ok\r\n"), ("C", b"RCPT TO:<friend@example.net>\r\n"), ("S", b"250 2.1.5 Ok\r\n"),
                    ("C", b"DATA\r\n"), ("S", b"354 End data with <CR><LF>.<CR><LF>\r\n"),
                    ("C", b"Subject: bench %d\r\n\r\nHello from session %d.\r\n.\r\n" % (n, n)),
                    ("S", b"250 2.0.0 Ok: queued\r\n"), ("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")]


class Writer:
    """Writes a libpcap file of Ethernet/IPv4/TCP packets."""

    def __init__(self, path: Path) -> None:
        self.out = open(path, "wb")  # noqa: SIM115 - written packet by packet, closed by close()
        self.out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_700_000_000.0

    def packet(self, src: tuple, dst: tuple, seq: int, ack: int, flags: int, payload: bytes = b"",
               claimed: int = 0) -> None:
        """`claimed`: payload bytes the IP header announces beyond those written (a capture cut short)."""
        tcp = struct.pack(">HHIIBBHHH", src[1], dst[1], seq, ack, 0x50, flags, 65535, 0, 0)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload) + claimed, 0, 0x4000, 64, 6, 0, src[0], dst[0])
        frame = b"\0\0\0\0\0\0\0\0\0\0\0\0\x08\x00" + ip + tcp + payload
        self.t += 0.0001
        sec = int(self.t)
        self.out.write(struct.pack("<IIII", sec, int((self.t - sec) * 1e6), len(frame), len(frame) + claimed) + frame)

    def session(self, n: int) -> None:
        client = (bytes([127, 0, (n >> 8) & 0xFF, n & 0xFF or 1]), 20000 + n % 40000)
        server = (bytes([127, 0, 0, 1]), 25)
        seq = {"C": 1000, "S": 90000}
        ends = {"C": (client, server), "S": (server, client)}
        other = {"C": "S", "S": "C"}
        self.packet(client, server, 999, 0, 0x02)
        self.packet(server, client, 89999, 1000, 0x12)
        self.packet(client, server, 1000, 90000, 0x10)
        for side, payload in session_lines(n):
            src, dst = ends[side]
            self.packet(src, dst, seq[side], seq[other[side]], 0x18, payload)
            seq[side] += len(payload)
            self.packet(dst, src, seq[other[side]], seq[side], 0x10)            # the ACK
        self.packet(server, client, seq["S"], seq["C"], 0x11)
        self.packet(client, server, seq["C"], seq["S"] + 1, 0x11)
        self.packet(server, client, seq["S"] + 1, seq["C"] + 1, 0x10)

    def close(self) -> None:
        self.out.close()


def hostile_reassembly(path: Path, segments: int = 40_000) -> None:
    """One flow: a banner, a client byte never captured, `segments` one-byte segments after it, then as many
    header-only segments (the IP length says 1,000 bytes, the capture holds the headers only)."""
    writer = Writer(path)
    client, server = (bytes([192, 0, 2, 10]), 40000), (bytes([192, 0, 2, 25]), 25)
    writer.packet(server, client, 5000, 1000, 0x18, b"220 mx ESMTP\r\n")
    for i in range(segments):
        writer.packet(client, server, 1001 + i, 0, 0x18, b"x")
    for i in range(segments):
        writer.packet(client, server, 500_000 + i * 1000, 0, 0x18, b"", claimed=1000)
    writer.close()


def synthesise(path: Path, sessions: int) -> None:
    writer = Writer(path)
    for n in range(sessions):
        writer.session(n)
    writer.close()


def capture(path: Path, sessions: int) -> None:
    """Real sessions: smtplib against `smtp-tutor serve` on loopback, recorded by tcpdump."""
    import signal
    port = CAPTURE_PORT
    serve = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", str(port), "--quiet"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", str(path), f"tcp port {port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    try:
        for n in range(sessions):
            _one_session(port, n)
    finally:
        time.sleep(1)
        dump.send_signal(signal.SIGINT)
        dump.wait(10)
        serve.send_signal(signal.SIGINT)
        serve.wait(10)


def _one_session(port: int, n: int) -> None:
    """One smtplib session: PLAIN, LOGIN or CRAM-MD5, every fifth with a wrong password."""
    import smtplib
    mechanism = ("PLAIN", "LOGIN", "CRAM-MD5")[n % 3]
    client = smtplib.SMTP("127.0.0.1", port)
    client.ehlo("bench.example")
    client.user, client.password = ("tim", "tanstaaftanstaaf" if n % 5 else "wrong")
    try:
        client.auth(mechanism, getattr(client, "auth_" + mechanism.lower().replace("-", "_")))
        client.sendmail("tim@example.org", ["friend@example.net"], f"Subject: {n}\r\n\r\nhi\r\n")
    except smtplib.SMTPException:
        pass
    try:
        client.quit()
    except smtplib.SMTPException:
        client.close()


# Byte-code as an installed package has it (pip compiles on install): the dev environment may set
# PYTHONDONTWRITEBYTECODE, which would make every tracer run compile its modules from source again.
_PYCACHE = tempfile.mkdtemp(prefix="bench-trace-pycache-")
atexit.register(shutil.rmtree, _PYCACHE, ignore_errors=True)
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": _PYCACHE}


def compile_tracer() -> None:
    """Byte-code for every module before the first timed run, as `pip install` compiles a package."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tutor")], env=_ENV, check=True,
                   stdout=subprocess.DEVNULL)


def measure(command: list[str]) -> tuple[float, int, bytes, float]:
    """Wall seconds, peak RSS in KiB (this child only), its standard output and its CPU seconds (user+sys)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT, env=_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} failed with exit {proc.returncode}")
    return elapsed, usage.ru_maxrss, data, usage.ru_utime + usage.ru_stime


def tracer(path: Path) -> list[str]:
    return [sys.executable, "-m", "tutor", "trace", "--summary", "--color", "never", str(path)]


def tshark(path: Path, port: int | None = None) -> list[str]:
    """tshark finds SMTP by port only: a capture on another port needs `-d` (decode as)."""
    decode = ["-d", f"tcp.port=={port},smtp"] if port else []
    return ["tshark", "-r", str(path), *decode, "-Y", 'smtp.req.command == "AUTH"', "-T", "fields", "-e", "tcp.stream",
            "-e", "smtp.req.parameter"]


def _times(name: str, runs: list[tuple[float, int, bytes, float]], what: str) -> None:
    print(f"{name:27s}: wall {' '.join(f'{r[0]:.2f}' for r in runs)} s (best {min(r[0] for r in runs):.2f}, median "
          f"{statistics.median(r[0] for r in runs):.2f}), CPU {' '.join(f'{r[3]:.2f}' for r in runs)} s (best "
          f"{min(r[3] for r in runs):.2f}, median {statistics.median(r[3] for r in runs):.2f}), peak RSS "
          f"{max(r[1] for r in runs) / 1024:.1f} MiB, {len(runs[0][2].splitlines())} {what}")


def main_case(path: Path, args: argparse.Namespace) -> None:
    """The main comparison: the two programs alternated (background load falls on both alike), `--runs` each."""
    port = CAPTURE_PORT if args.capture else None
    has_tshark = shutil.which("tshark") is not None
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(measure(tracer(path)))
        if has_tshark:
            theirs.append(measure(tshark(path, port)))
    _times("smtp-tutor trace --summary", ours, "sessions")
    if not has_tshark:
        print("tshark not installed: no comparison (apt-get install tshark)")
        return
    _times("tshark -Y AUTH", theirs, "AUTH lines")
    ratios = {f"{how} {kind}": pick(r[i] for r in ours) / pick(r[i] for r in theirs)
              for how, pick in (("median", statistics.median), ("best", min)) for kind, i in (("wall", 0), ("CPU", 3))}
    print("ratio tracer/tshark        : " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()) +
          f" (below 1 = faster than tshark); load average now {os.getloadavg()[0]:.2f}")


def tshark_auth_tuples(path: Path) -> list[str]:
    """tshark's AUTH requests on the big capture, as client→server 4-tuples (one field set per AUTH line)."""
    return ["tshark", "-r", str(path), "-Y", 'smtp.req.command == "AUTH"', "-T", "fields", "-e", "ip.src",
            "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tcp.stream"]


def _tshark_sessions(out: bytes) -> set[tuple[str, str]]:
    found = set()
    for line in out.decode().splitlines():
        fields = line.split("\t")
        if len(fields) >= 4:
            found.add((f"{fields[0]}:{fields[1]}", f"{fields[2]}:{fields[3]}"))
    return found


def _our_sessions(out: bytes) -> dict[tuple[str, str], str]:
    """`FILE: A:p → B:p  MECH user result ...` summary lines, keyed by (client, server); the rest of the line."""
    found = {}
    for line in out.decode(errors="replace").splitlines():
        head, sep, rest = line.partition(" → ")
        if sep:
            client, server = head.rsplit(" ", 1)[-1], rest.split(" ", 1)[0]
            found[(client, server)] = rest
    return found


def big_case(work: Path, args: argparse.Namespace) -> None:
    """The ~100 MB mixed capture: time, memory and the sessions each program finds."""
    path = Path(args.keep_big) if args.keep_big else work / "mix.pcap"
    made = time.perf_counter()
    counts = bench_trace_mix.write(path, args.big_sessions, seed=args.seed, concurrent=args.concurrent,
                                   snaplen=args.snaplen)
    print(f"\nbig capture: {path.stat().st_size / 1e6:.1f} MB, {counts['packets']:,} TCP packets, "
          f"{counts['smtp']:,} SMTP sessions ({counts['mid']:,} mid-session, {counts['cut']:,} cut to snaplen "
          f"{args.snaplen}) + {counts['noise']:,} noise flows, {args.concurrent:,} open at once, seed {args.seed}; "
          f"made in {time.perf_counter() - made:.1f} s; load average at start {os.getloadavg()[0]:.2f}")
    ours, theirs = [], []
    for _ in range(args.runs):          # alternate, so background load falls on both alike
        ours.append(measure(tracer(path)))
        theirs.append(measure(tshark_auth_tuples(path)))
    for name, runs in (("smtp-tutor trace --summary", ours), ("tshark -Y AUTH (4-tuple)", theirs)):
        print(f"{name:27s}: wall {' '.join(f'{r[0]:.2f}' for r in runs)} s (median "
              f"{statistics.median(r[0] for r in runs):.2f}), CPU {' '.join(f'{r[3]:.2f}' for r in runs)} s (median "
              f"{statistics.median(r[3] for r in runs):.2f}), peak RSS {max(r[1] for r in runs) / 1024:.1f} MiB")
    t_med, s_med = statistics.median(r[0] for r in ours), statistics.median(r[0] for r in theirs)
    t_cpu, s_cpu = statistics.median(r[3] for r in ours), statistics.median(r[3] for r in theirs)
    t_rss, s_rss = max(r[1] for r in ours), max(r[1] for r in theirs)
    print(f"ratio tracer/tshark        : wall {t_med / s_med:.2f}, CPU {t_cpu / s_cpu:.2f} (medians; target <= 1.0), "
          f"memory {t_rss / s_rss:.2f} (target <= 0.25); load average now {os.getloadavg()[0]:.2f}")
    _compare(_our_sessions(ours[0][2]), _tshark_sessions(theirs[0][2]))
    if not args.keep_big:
        path.unlink()


def _compare(ours: dict, theirs: set) -> None:
    reversed_ = {t for t in theirs if t not in ours and (t[1], t[0]) in ours}
    missing = sorted(theirs - set(ours) - reversed_)
    print(f"sessions: tshark finds {len(theirs):,} with AUTH; ours lists {len(ours):,} sessions; "
          f"missing from ours: {len(missing)}; found with the ends swapped: {len(reversed_)}")
    for client, server in missing[:20]:
        print(f"  MISSING {client} → {server}")
    kinds: dict[str, int] = {}
    for rest in ours.values():
        words = rest.split()
        kinds[words[1] if len(words) > 1 else "?"] = kinds.get(words[1] if len(words) > 1 else "?", 0) + 1
    print("ours by mechanism: " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--capture", action="store_true", help="record real sessions with tcpdump instead")
    parser.add_argument("--runs", type=int, default=3, help="runs of each program, alternated (median and best)")
    parser.add_argument("--keep", metavar="FILE", help="keep the main capture here")
    parser.add_argument("--main-only", action="store_true",
                        help="only the main comparison (no memory checks, worst case or big mixed capture)")
    parser.add_argument("--big-sessions", type=int, default=30_000, help="sessions in the big mixed capture (0: skip)")
    parser.add_argument("--big-only", action="store_true", help="run the big mixed capture only")
    parser.add_argument("--seed", type=int, default=12, help="seed of the big capture")
    parser.add_argument("--concurrent", type=int, default=3000, help="flows open at once in the big capture")
    parser.add_argument("--snaplen", type=int, default=96, help="snap length of the cut sessions")
    parser.add_argument("--keep-big", metavar="FILE", help="write the big capture here and keep it")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-trace-"))
    compile_tracer()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at start: {load}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if args.big_only:
        big_case(work, args)
        shutil.rmtree(work, ignore_errors=True)
        return
    main_pcap = Path(args.keep) if args.keep else work / f"auth-{args.sessions}.pcap"
    made = time.perf_counter()
    (capture if args.capture else synthesise)(main_pcap, args.sessions)
    made = time.perf_counter() - made
    size = main_pcap.stat().st_size
    print(f"capture: {main_pcap} ({'tcpdump on loopback' if args.capture else 'synthesised'}), "
          f"{args.sessions} sessions, {size / 1e6:.2f} MB, made in {made:.2f} s; {os.cpu_count()} CPUs")
    main_case(main_pcap, args)
    if args.main_only:
        shutil.rmtree(work, ignore_errors=True)
        return
    if not args.capture:
        for factor in (4, 16):
            n = max(1, args.sessions // factor) if factor == 4 else args.sessions * 4
            extra = work / f"auth-{n}.pcap"
            synthesise(extra, n)
            e_time, e_rss, e_out, _ = measure(tracer(extra))
            print(f"  memory check: {n:6d} sessions, {extra.stat().st_size / 1e6:6.2f} MB: {e_time:6.2f} s, "
                  f"peak RSS {e_rss / 1024:6.1f} MiB, {len(e_out.splitlines())} sessions")
    hostile = work / "reassembly.pcap"
    hostile_reassembly(hostile)
    h_time, h_rss, _, _ = measure(tracer(hostile))
    print(f"reassembly worst case ({hostile.stat().st_size / 1e6:.2f} MB, 80,000 held segments): {h_time:6.2f} s, "
          f"peak RSS {h_rss / 1024:6.1f} MiB")
    if args.big_sessions and not args.capture:
        big_case(work, args)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
