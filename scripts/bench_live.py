#!/usr/bin/env python3
"""Benchmark the tutor's live transport against Python's smtplib on the lab Postfix, in the same run.

One session = connect, EHLO, STARTTLS (certificate verified with the lab CA), EHLO, AUTH PLAIN, QUIT, on the
lab's submission port. The two clients take turns (tutor, smtplib, tutor, ...; who goes first alternates),
N sessions each after a few warm-up ones; reported: median and p90 wall time per session, and the ratio to
smtplib two ways: as usually written (`starttls()` makes a new SSL context each time, as smtplib's own default
does) and with one context made beforehand and shared (the tutor keeps its contexts: tutor/transport/tls.py).
The tutor runs two ways: the bare pump (tcp transport + Session) and the REPL's path (+ the annotator that
writes the teaching notes). Target (issue 5): the tutor within 1.2x of smtplib.

    bash scripts/lab-mta.sh start
    python scripts/bench_live.py                  # N = 50
    python scripts/bench_live.py -n 200 --markdown
"""

from __future__ import annotations

import argparse
import base64
import os
import smtplib
import ssl
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tutor.session import Session  # noqa: E402
from tutor.transport import tcp  # noqa: E402

LAB_ENV = Path(os.environ.get("LAB_MTA_ENV", "/var/tmp/smtp-tutor-lab/lab.env"))
USER, PASSWORD = "tim", "tanstaaftanstaaf"
PLAIN = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()


def lab() -> dict[str, str]:
    if not LAB_ENV.exists():
        sys.exit(f"bench_live: {LAB_ENV} is missing: start the lab first (bash scripts/lab-mta.sh start)")
    pairs = (line.partition("=") for line in LAB_ENV.read_text().splitlines())
    return {k.strip(): v.strip().strip('"') for k, sep, v in pairs if sep}


def tutor_session(host: str, port: int, cafile: str, annotate: bool) -> None:
    annotator = None
    if annotate:
        from tutor.display.annotations import Annotations
        annotator = Annotations(reveal=False)
    session = Session(tcp.connect(host, port, starttls=True, cafile=cafile, timeout=10), annotator=annotator)
    session.open()
    for line in (b"EHLO bench.example", b"STARTTLS", b"EHLO bench.example", b"AUTH PLAIN " + PLAIN.encode(), b"QUIT"):
        session.send(line)
        if line.startswith(b"AUTH") and session.last_reply.code != 235:
            raise SystemExit(f"bench_live: the tutor's login failed: {session.last_reply.code}")
    session.close()


def smtplib_session(host: str, port: int, cafile: str, context: ssl.SSLContext | None) -> None:
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.ehlo("bench.example")
        client.starttls(context=context or ssl.create_default_context(cafile=cafile))
        client.ehlo("bench.example")
        code, _ = client.docmd("AUTH", "PLAIN " + PLAIN)
        if code != 235:
            raise SystemExit(f"bench_live: smtplib's login failed: {code}")
        client.quit()


def measure(clients: dict, n: int, warmup: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in clients}
    names = list(clients)
    for i in range(warmup + n):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            started = time.perf_counter()
            clients[name]()
            if i >= warmup:
                times[name].append(time.perf_counter() - started)
    return times


def report(times: dict[str, list[float]], baselines: tuple[str, str], markdown: bool) -> None:
    """Median and p90 per client, and its ratio to each smtplib way (default idiom, shared context)."""
    bases = [statistics.median(times[name]) for name in baselines]
    rows = []
    for name, values in times.items():
        ordered = sorted(values)
        median, p90 = statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]
        rows.append((name, median * 1000, p90 * 1000, median / bases[0], median / bases[1]))
    if markdown:
        print("| client | median ms | p90 ms | ratio to smtplib (new context) | ratio to smtplib (shared context) |")
        print("|---|---|---|---|---|")
        for name, median, p90, ratio, shared in rows:
            print(f"| {name} | {median:.2f} | {p90:.2f} | {ratio:.2f} | {shared:.2f} |")
        return
    for name, median, p90, ratio, shared in rows:
        print(f"{name:34} median {median:6.2f} ms  p90 {p90:6.2f} ms  ratio {ratio:.2f} "
              f"(shared-context smtplib: {shared:.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="measured sessions per client (default 50)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    env = lab()
    host, port, cafile = env["LAB_HOST"], int(env["LAB_PORT_STARTTLS"]), env["LAB_CAFILE"]
    shared = ssl.create_default_context(cafile=cafile)
    clients = {
        "smtplib (new context per session)": lambda: smtplib_session(host, port, cafile, None),
        "smtplib (one shared context)": lambda: smtplib_session(host, port, cafile, shared),
        "tutor transport + session": lambda: tutor_session(host, port, cafile, False),
        "tutor + annotations (REPL path)": lambda: tutor_session(host, port, cafile, True),
    }
    times = measure(clients, args.n, args.warmup)
    print(f"# {args.n} sessions each, STARTTLS + AUTH PLAIN + QUIT on {host}:{port}, Python "
          f"{sys.version.split()[0]}, {ssl.OPENSSL_VERSION}")
    report(times, ("smtplib (new context per session)", "smtplib (one shared context)"), args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
