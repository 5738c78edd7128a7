#!/usr/bin/env python3
"""Benchmark `smtp-tutor serve` against aiosmtpd with an equivalent authenticator, in the same run.

N concurrent clients each loop: connect, EHLO, AUTH (PLAIN / LOGIN / CRAM-MD5 / SCRAM-SHA-256), QUIT.
Reported: sessions per second, p50/p99 session latency, server CPU per session (user+sys of the server
process, from /proc/PID/stat, over the sessions it completed in the run) and the serve/aiosmtpd ratios. Then
1,000 idle connections are held open and checked with NOOP. Each server runs in its own process; the load
generator is this process (asyncio).

aiosmtpd has no SCRAM: its SCRAM-SHA-256 is a handler method in bench_serve_aiosmtpd.py (`auth_SCRAM__SHA__256`,
like the CRAM-MD5 one) that keeps StoredKey/ServerKey per user, computed once, as serve does (RFC 5802 §3), and does
the same exchange: server-first as a 334, the proof checked, `v=` as a 334, then the empty answer and 235.

    python scripts/bench_serve.py                      # 50 and 200 clients, 3 x 1 s per cell, 1000 idle
    python scripts/bench_serve.py --duration 5 --concurrency 50 200 500 --idle 1000 --markdown
    python scripts/bench_serve.py --classroom --markdown   # serve alone vs serve --dashboard --web, 60 clients

--classroom compares, in the same run, `serve --quiet` with `serve --quiet --dashboard --web`, both on a
pseudo-terminal (the dashboard draws into it; one server-sent event client reads the web view): sessions/s
and the server's CPU time per session (user + system, from /proc): the view's cost is what it adds.

Needs aiosmtpd (a test dependency: pip install aiosmtpd). Results go in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "tim", "tanstaaftanstaaf"   # the lab account; bench_serve_aiosmtpd.py has the same
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# ---- starting the servers ----------------------------------------------------------------------------


def start(kind: str, state_dir: str, profile: str | None = None) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=state_dir)
    if kind == "serve":
        command = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else []), "-m", "tutor.cli.serve",
                   "--port", "0", "--quiet", "--max-clients", "5000", "--max-per-ip", "5000"]
    else:
        command = [sys.executable, str(Path(__file__).with_name("bench_serve_aiosmtpd.py"))]
    errors = open(os.path.join(state_dir, f"{kind}.stderr"), "w+")  # noqa: SIM115 - the server's stderr: a full pipe would stall it
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    line = process.stdout.readline()
    match = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not match:
        process.kill()
        errors.seek(0)
        raise SystemExit(f"bench: {kind} did not start: {line.strip()} {errors.read().strip()}")
    return process, int(match.group(1))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def measured(process: subprocess.Popen, port: int, mechanism: str, concurrency: int, duration: float) -> dict:
    """One run against one server, with the server's CPU time per completed session."""
    before = cpu_seconds(process.pid)
    cell = asyncio.run(load(port, mechanism, concurrency, duration))
    cell["cpu_ms"] = (cpu_seconds(process.pid) - before) * 1000 / max(cell["sessions"], 1)
    return cell


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


# ---- the load --------------------------------------------------------------------------------------


async def read_reply(reader: asyncio.StreamReader) -> bytes:
    """A whole reply; returns its last line."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("server closed")
        if line[3:4] != b"-":
            return line


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


async def expect(reader: asyncio.StreamReader, code: bytes) -> bytes:
    line = await read_reply(reader)
    if not line.startswith(code):
        raise RuntimeError(f"expected {code!r}, got {line!r}")
    return line


_CLIENT_KEYS: dict[tuple[bytes, int], bytes] = {}


# The load itself: a lean client (an asyncio.Protocol stepping a generator per session, no StreamReader, no
# task per connection), so the load generator costs less per session than either server and the servers, not
# the generator, set the pace. (The idle check uses StreamReaders: it measures holding, not speed.)

def script(mechanism: str):
    """A session as a generator: sent each complete reply's last line, yields the next bytes to send."""
    line = yield b""
    check(line, b"220")
    line = yield b"EHLO bench.example\r\n"
    check(line, b"250")
    if mechanism == "PLAIN":
        line = yield b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}".encode()) + b"\r\n"
    elif mechanism == "LOGIN":
        check((yield b"AUTH LOGIN\r\n"), b"334")
        check((yield b64(USER.encode()) + b"\r\n"), b"334")
        line = yield b64(PASSWORD.encode()) + b"\r\n"
    elif mechanism == "CRAM-MD5":
        challenge = base64.b64decode(check((yield b"AUTH CRAM-MD5\r\n"), b"334")[4:].strip())
        line = yield b64(f"{USER} {hmac.new(PASSWORD.encode(), challenge, hashlib.md5).hexdigest()}".encode()) + b"\r\n"
    else:
        scram = ScramClientSteps()
        line = yield scram.first()
        line = yield scram.final(check(line, b"334"))
        line = yield scram.verify(check(line, b"334"))
    check(line, b"235")
    check((yield b"QUIT\r\n"), b"221")


def check(line: bytes, code: bytes) -> bytes:
    if not line.startswith(code):
        raise RuntimeError(f"expected {code!r}, got {line!r}")
    return line


class ScramClientSteps:
    """SCRAM-SHA-256 as a client (RFC 5802 §3); the salted password is kept per (salt, i), as clients may."""

    def first(self) -> bytes:
        self.bare = f"n={USER},r={base64.b64encode(os.urandom(18)).decode()}"
        return b"AUTH SCRAM-SHA-256 " + b64(f"n,,{self.bare}".encode()) + b"\r\n"

    def final(self, line: bytes) -> bytes:
        server_first = base64.b64decode(line[4:].strip()).decode()
        fields = dict(part.split("=", 1) for part in server_first.split(","))
        salt, iterations = base64.b64decode(fields["s"]), int(fields["i"])
        if (salt, iterations) not in _CLIENT_KEYS:
            _CLIENT_KEYS[(salt, iterations)] = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, iterations)
        self.salted = _CLIENT_KEYS[(salt, iterations)]
        client_key = hmac.new(self.salted, b"Client Key", hashlib.sha256).digest()
        without_proof = f"c=biws,r={fields['r']}"
        self.message = f"{self.bare},{server_first},{without_proof}".encode()
        signature = hmac.new(hashlib.sha256(client_key).digest(), self.message, hashlib.sha256).digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
        return b64(f"{without_proof},p={proof}".encode()) + b"\r\n"

    def verify(self, line: bytes) -> bytes:
        server_key = hmac.new(self.salted, b"Server Key", hashlib.sha256).digest()
        signature = hmac.new(server_key, self.message, hashlib.sha256).digest()
        expected = base64.b64encode(b"v=" + base64.b64encode(signature))
        if line[4:].strip() != expected:
            raise RuntimeError("SCRAM: the server's signature v= is wrong")
        return b"\r\n"


_READ_BUFFER = memoryview(bytearray(64 * 1024))   # every LeanClient reads into it (one event loop), then copies


class LeanClient(asyncio.BufferedProtocol):
    """One session: each complete reply (its last line has a space after the code) goes to the script.

    A BufferedProtocol (asyncio reads into one shared buffer with recv_into), so that a read does not cost a fresh
    256 KiB bytes object (asyncio's recv for a plain Protocol): the load generator stays the cheaper side."""

    def __init__(self, steps, done: asyncio.Future) -> None:
        self.steps, self.done, self.buffer, self.transport = steps, done, b"", None

    def connection_made(self, transport) -> None:
        self.transport = transport
        next(self.steps)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _READ_BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(_READ_BUFFER[:nbytes]))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n")) >= 0:
            line, self.buffer = self.buffer[:end], self.buffer[end + 2:]
            if line[3:4] == b"-":
                continue
            try:
                self.transport.write(self.steps.send(line))
            except StopIteration:
                self.transport.close()
                if not self.done.done():
                    self.done.set_result(None)
                return
            except Exception as exc:
                self.transport.abort()
                if not self.done.done():
                    self.done.set_exception(exc)
                return

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_exception(exc or ConnectionError("server closed"))


async def load(port: int, mechanism: str, concurrency: int, duration: float) -> dict:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + duration

    async def one() -> None:
        done = loop.create_future()
        transport, _ = await loop.create_connection(lambda: LeanClient(script(mechanism), done), "127.0.0.1", port)
        try:
            await done
        finally:
            transport.close()

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await asyncio.wait_for(one(), 30)
            except Exception as exc:
                errors.append(type(exc).__name__)
                continue
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    last = len(latencies) - 1
    pick = (lambda q: latencies[min(last, int(q * len(latencies)))] * 1000) if latencies else (lambda q: 0.0)
    return {"rate": len(latencies) / elapsed, "p50": pick(0.50), "p99": pick(0.99), "errors": len(errors),
            "sessions": len(latencies)}


async def idle(port: int, count: int, hold: float) -> dict:
    """Open `count` connections, hold them `hold` seconds, then check each with NOOP and QUIT."""
    opened, errors = [], 0
    for start in range(0, count, 100):   # connect in batches so the listen backlog is not the test
        end = min(count, start + 100)
        batch = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(start, end)),
                                     return_exceptions=True)
        for item in batch:
            if isinstance(item, Exception):
                errors += 1
            else:
                opened.append(item)
    greeted = await asyncio.gather(*(expect(r, b"220") for r, _w in opened), return_exceptions=True)
    errors += sum(isinstance(g, Exception) for g in greeted)
    await asyncio.sleep(hold)

    async def check(reader, writer) -> None:
        writer.write(b"NOOP\r\n")
        await expect(reader, b"250")
        writer.write(b"QUIT\r\n")
        await expect(reader, b"221")
        writer.close()

    checked = await asyncio.gather(*(asyncio.wait_for(check(r, w), 30) for r, w in opened), return_exceptions=True)
    errors += sum(isinstance(c, Exception) for c in checked)
    return {"held": len(opened) - sum(isinstance(c, Exception) for c in checked), "errors": errors}


# ---- the run -----------------------------------------------------------------------------------------


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard) if hard != resource.RLIM_INFINITY else need, hard))


# ---- the classroom view's cost (--classroom) --------------------------------------------------------------


def start_on_terminal(state_dir: str, name: str, view: bool | str,
                      profile: str | None = None) -> tuple[subprocess.Popen, int, int | None, int]:
    """serve --quiet on a pseudo-terminal, with `--dashboard --web` when `view` is True, or with that one view when
    it is "--dashboard" or "--web" (the dashboard draws into the terminal, a `cat` drains it); every server of
    the comparison runs this way, so only the view differs. Returns (process, SMTP port, web port or None,
    (pty master fd, the process that drains it)). `profile`: run it under cProfile, stats to that file."""
    import pty

    master, slave = pty.openpty()
    errors_file = os.path.join(state_dir, f"{name}.stderr")
    os.set_blocking(master, True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=state_dir, TERM="xterm-256color",
               COLUMNS="160", LINES="50", PYTHONHASHSEED="0")   # the same dict layouts in every server
    command = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else []),
               "-m", "tutor.cli.serve", "--port", "0", "--quiet", "--max-clients", "5000",
               "--max-per-ip", "5000", *_view_options(view)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=slave, stdout=slave,
                               stderr=open(errors_file, "w"), start_new_session=True)  # noqa: SIM115 - its stderr
    os.close(slave)
    listening, live = rb"listening on 127\.0\.0\.1:(\d+)", rb"live view on http://127\.0\.0\.1:(\d+)"
    view = "--web" if view is True else view          # (the dashboard prints nothing to wait for)
    seen = b""
    while not (re.search(listening, seen) and (view != "--web" or re.search(live, seen))):
        try:
            chunk = os.read(master, 65536)
        except OSError:                       # EIO: the server exited and closed the terminal
            chunk = b""
        if not chunk:
            process.kill()
            with open(errors_file, encoding="utf-8", errors="replace") as errors:
                raise SystemExit(f"bench: {name} did not start: {seen[-500:]!r} {errors.read()[-500:]}")
        seen += chunk
    smtp = int(re.search(listening, seen).group(1))
    web = int(re.search(live, seen).group(1)) if view == "--web" else None

    # What the dashboard draws goes nowhere, but must be read at once or the server would block on its terminal:
    # a `cat` of its own does it (a thread here would wait for this process's GIL, busy with the load).
    drainer = subprocess.Popen(["cat"], stdin=master, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, smtp, web, (master, drainer)


def _view_options(view: bool | str) -> list[str]:
    web = ["--web", "127.0.0.1:0"]
    return ["--dashboard", *web] if view is True else web if view == "--web" else ["--dashboard"] if view else []


async def watched_load(port: int, web_port: int | None, concurrency: int, duration: float) -> dict:
    """The usual load, with (when web_port is given) a server-sent event client reading the live view."""
    received = {"bytes": 0, "events": 0}

    async def watch() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", web_port)
        writer.write(b"GET /events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        try:
            while chunk := await reader.read(65536):
                received["bytes"] += len(chunk)
                received["events"] += chunk.count(b"\nevent: ") + chunk.startswith(b"event: ")
        finally:
            writer.close()

    watcher = asyncio.create_task(watch()) if web_port else None
    await asyncio.sleep(0.1 if watcher else 0)
    result = await load(port, "PLAIN", concurrency, duration)
    if watcher:
        watcher.cancel()
        try:
            await watcher
        except (asyncio.CancelledError, OSError):
            pass
    return {**result, **received}


CLASSROOM_VIEWS = {"serve": False, "serve --dashboard --web": True}
SPLIT_VIEWS = {"serve --dashboard": "--dashboard", "serve --web": "--web"}
CONTROL = "serve (control: a second one, no view)"   # what two identical servers differ by: the noise floor


def run_classroom(args, state: str) -> dict:
    """serve alone and serve with the live view (and, with --classroom-split, with each view alone), alternating
    runs in the same session. Each run's CPU per session and the load average around it are kept, so the view's
    cost can be read run by run (each viewed run against the plain run next to it), not only as one total."""
    kinds: dict[str, bool | str] = dict(CLASSROOM_VIEWS)
    if args.classroom_split:
        kinds.update(SPLIT_VIEWS)
    if args.classroom_control:
        kinds[CONTROL] = False
    started = {kind: start_on_terminal(state, f"serve{index}", view, args.profile if view is True else None)
               for index, (kind, view) in enumerate(kinds.items())}
    servers = {kind: (process, port, web) for kind, (process, port, web, _master) in started.items()}
    began, load_before = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), os.getloadavg()[0]
    try:
        pin({kind: (process, port) for kind, (process, port, _web) in servers.items()})
        if hasattr(os, "sched_setaffinity"):       # the drainers run where the load does, not on the servers' CPU
            for _process, _port, _web, (_master, drainer) in started.values():
                os.sched_setaffinity(drainer.pid, os.sched_getaffinity(0))
        for _kind, (_process, port, web) in servers.items():
            # Warm up every server at the full load first: a class runs for an hour or more, so the figure is the
            # steady state (the viewed server's 1,000 kept rows full and evicting, its remembered readings made),
            # not its first seconds, which are dearer for the view.
            asyncio.run(watched_load(port, web, args.classroom_clients, args.classroom_warmup))
        runs: dict[str, list[dict]] = {kind: [] for kind in servers}
        for attempt in range(args.repeat):
            if args.classroom_together:
                cells = classroom_round_together(servers, args)
            else:
                order = list(servers) if attempt % 2 == 0 else list(reversed(servers))
                cells = {kind: classroom_run(servers[kind], args) for kind in order}
            for kind, cell in cells.items():
                runs[kind].append(cell)
                print(f"{kind:24} {cell['rate']:7.0f} sessions/s  {cell['cpu_ms']:.3f} ms CPU/session  "
                      f"events {cell.get('events', 0)}  errors {cell['errors']}  load {cell['load'][0]:.2f}",
                      file=sys.stderr, flush=True)
    finally:
        for process, _port, _web, (master, drainer) in started.values():
            stop(process)
            try:
                drainer.wait(timeout=5)              # the terminal closed with the server: cat has read it all
            except subprocess.TimeoutExpired:
                drainer.kill()
                drainer.wait()
            os.close(master)
    cells = [{"kind": kind, **sorted(cells, key=lambda c: c["rate"])[len(cells) // 2],
              "cpu_all": sum(c["cpu_ms"] * c["sessions"] for c in cells) / max(sum(c["sessions"] for c in cells), 1),
              "events": sum(c.get("events", 0) for c in cells), "errors": sum(c["errors"] for c in cells)}
             for kind, cells in runs.items()]
    return {"cells": cells, "runs": runs, "began": began,
            "load": (load_before, os.getloadavg()[0]), "ended": time.strftime("%H:%M:%S UTC", time.gmtime())}


def classroom_run(server: tuple, args) -> dict:
    """One run against one server: the load, its CPU per session, the load average around it."""
    process, port, web = server
    load, before = os.getloadavg()[0], cpu_seconds(process.pid)
    cell = asyncio.run(watched_load(port, web, args.classroom_clients, args.duration))
    cell["cpu_ms"] = (cpu_seconds(process.pid) - before) * 1000 / max(cell["sessions"], 1)
    cell["load"] = (load, os.getloadavg()[0])
    return cell


def classroom_round_together(servers: dict, args) -> dict[str, dict]:
    """One round with every server loaded at once (each its own clients), all on the same CPU: whatever else
    runs on the machine then falls on all of them alike, and each one's CPU per session is over the same seconds."""
    load, before = os.getloadavg()[0], {kind: cpu_seconds(process.pid) for kind, (process, _p, _w) in servers.items()}

    async def together() -> list[dict]:
        return await asyncio.gather(*(watched_load(port, web, args.classroom_clients, args.duration)
                                      for _process, port, web in servers.values()))

    cells = dict(zip(servers, asyncio.run(together()), strict=True))
    for kind, cell in cells.items():
        cell["cpu_ms"] = (cpu_seconds(servers[kind][0].pid) - before[kind]) * 1000 / max(cell["sessions"], 1)
        cell["load"] = (load, os.getloadavg()[0])
    return cells


def paired_costs(runs: dict[str, list[dict]], kind: str) -> list[float]:
    """The view's cost run by run: each run of `kind` against the plain run of the same round (in %)."""
    return [(viewed["cpu_ms"] / plain["cpu_ms"] - 1) * 100
            for viewed, plain in zip(runs[kind], runs["serve"], strict=True) if plain["cpu_ms"]]


def report_classroom(result: dict, args) -> None:
    results, runs = result["cells"], result["runs"]
    base = results[0]
    header = ("server", "clients", "sessions/s (median run)", "p50 / p99 ms", "CPU ms per session (all runs)",
              "CPU cost of the view", "median cost run by run (min..max)", "events received", "errors")
    rows = []
    for cell in results:
        cost = (cell["cpu_all"] / base["cpu_all"] - 1) * 100 if base["cpu_all"] else 0.0
        paired = sorted(paired_costs(runs, cell["kind"])) if cell is not base else []
        rows.append((f"`{cell['kind']}`", str(args.classroom_clients), f"{cell['rate']:.0f}",
                     f"{cell['p50']:.1f} / {cell['p99']:.1f}", f"{cell['cpu_all']:.3f}",
                     "-" if cell is base else f"{cost:+.1f} %",
                     f"{paired[len(paired) // 2]:+.1f} % ({paired[0]:+.1f}..{paired[-1]:+.1f})" if paired else "-",
                     str(cell.get("events", 0)) if cell is not base else "-", str(cell["errors"])))
    lines = _table(header, rows, args.markdown)
    per_run = [(str(index + 1), f"{cell['load'][0]:.2f}, {cell['load'][1]:.2f}",
                *(f"{runs[kind][index]['cpu_ms']:.3f}" for kind in runs),
                *(f"{(runs[kind][index]['cpu_ms'] / cell['cpu_ms'] - 1) * 100:+.1f} %" for kind in list(runs)[1:]))
               for index, cell in enumerate(runs["serve"])]
    lines += ["", *_table(("run", "load average (start, end)", *(f"`{kind}` CPU ms/session" for kind in runs),
                           *(f"cost of `{kind}`" for kind in list(runs)[1:])), per_run, args.markdown)]
    if args.repeat < 5:
        lines.append(f"(only {args.repeat} run(s) per server: runs on a shared machine differ by more than the "
                     "target; take --repeat 6 or more)")
    how = "every server loaded at once" if args.classroom_together else "runs alternating"
    lines.append(f"Runs from {result['began']} to {result['ended']}, load average {result['load'][0]:.2f} at the "
                 f"start, {result['load'][1]:.2f} at the end, {args.duration:g} s per run, {how}.")
    lines.append(machine())
    print("\n".join(lines))


def _table(header: tuple, rows: list[tuple], markdown: bool) -> list[str]:
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(row) + " |"
                                                                              for row in rows)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--mechanisms", nargs="+", default=list(MECHANISMS), choices=MECHANISMS)
    parser.add_argument("--duration", type=float, default=1.0, help="seconds per run (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per server and cell, alternating (median kept)")
    parser.add_argument("--idle", type=int, default=1000, help="idle connections to hold (0 = skip)")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds to hold them")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for docs/PERFORMANCE.md")
    parser.add_argument("--profile", metavar="FILE",
                        help="run serve (with --classroom: the viewed one) under cProfile, write its stats to FILE")
    parser.add_argument("--classroom", action="store_true",
                        help="compare serve alone with serve --dashboard --web (an event-stream client connected)")
    parser.add_argument("--classroom-clients", type=int, default=60, help="clients for --classroom (default 60)")
    parser.add_argument("--classroom-warmup", type=float, default=2.0,
                        help="--classroom: seconds of full load on each server before the measured runs (default 2)")
    parser.add_argument("--classroom-together", action="store_true",
                        help="--classroom: load every server at once (same seconds, same CPU) instead of in turn")
    parser.add_argument("--classroom-control", action="store_true",
                        help="--classroom: also a second plain serve, whose 'cost' is the benchmark's noise floor")
    parser.add_argument("--classroom-split", action="store_true",
                        help="--classroom: also serve --dashboard alone and serve --web alone (what each view costs)")
    parser.add_argument("--classroom-inprocess", action="store_true",
                        help="the view's cost in process: serve's sessions with a fake transport, quiet / summarising "
                             "for a do-nothing view / the real classroom model (scripts/bench_classroom_inprocess.py)")
    args = parser.parse_args()
    if args.classroom_inprocess:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_classroom_inprocess
        print(bench_classroom_inprocess.report(bench_classroom_inprocess.run()))
        return 0
    if args.classroom:
        raise_fd_limit(4 * args.classroom_clients + 256)
        with tempfile.TemporaryDirectory() as state:
            report_classroom(run_classroom(args, state), args)
        return 0
    raise_fd_limit(2 * args.idle + 4 * max(args.concurrency) + 256)   # children inherit the raised limit
    try:
        import aiosmtpd  # noqa: F401  (only checking it is there)
    except ImportError:
        raise SystemExit("bench: aiosmtpd is needed (pip install aiosmtpd)") from None
    with tempfile.TemporaryDirectory() as state:
        results = run_all(args, state)
    report(results, args)
    return 0


def run_all(args, state: str) -> dict:
    """Both servers up at once; each cell runs them alternately `repeat` times and keeps the median run."""
    results: dict = {"load": {}, "idle": {}}
    servers = {kind: start(kind, state, args.profile if kind == "serve" else None) for kind in ("serve", "aiosmtpd")}
    try:
        pin(servers)
        for _kind, (_process, port) in servers.items():
            asyncio.run(load(port, "PLAIN", 10, 0.3))   # warm up
        for concurrency in args.concurrency:
            for mechanism in args.mechanisms:
                runs: dict[str, list[dict]] = {kind: [] for kind in servers}
                for attempt in range(args.repeat):
                    order = list(servers) if attempt % 2 == 0 else list(reversed(servers))
                    for kind in order:
                        runs[kind].append(measured(*servers[kind], mechanism, concurrency, args.duration))
                for kind, cells in runs.items():
                    cell = sorted(cells, key=lambda c: c["rate"])[len(cells) // 2]
                    cell["errors"] = sum(c["errors"] for c in cells)
                    cell["cpu_ms"] = sorted(c["cpu_ms"] for c in cells)[len(cells) // 2]
                    results["load"][(kind, concurrency, mechanism)] = cell
                    print(f"{kind:9} c={concurrency:<4} {mechanism:8} {cell['rate']:8.0f} sessions/s  "
                          f"p50 {cell['p50']:6.1f} ms  p99 {cell['p99']:6.1f} ms  CPU {cell['cpu_ms']:.3f} ms/session  "
                          f"errors {cell['errors']}",
                          file=sys.stderr, flush=True)
        if args.idle:
            for kind, (_process, port) in servers.items():
                results["idle"][kind] = asyncio.run(idle(port, args.idle, args.hold))
                print(f"{kind:9} idle {results['idle'][kind]}", file=sys.stderr, flush=True)
    finally:
        for process, _port in servers.values():
            stop(process)
    return results


def pin(servers: dict) -> None:
    """With 2+ CPUs: the servers share the last CPU, this load generator gets the others (less noise)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2:
        return
    for process, _port in servers.values():
        os.sched_setaffinity(process.pid, {cpus[-1]})
    os.sched_setaffinity(0, set(cpus[:-1]))


def machine() -> str:
    """Where and when this ran, for docs/PERFORMANCE.md: date, CPUs, OS, Python, aiosmtpd."""
    import platform
    from importlib.metadata import version

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    except OSError:
        pass
    return (f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU(s), {model}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, aiosmtpd {version('aiosmtpd')}, "
            f"load average {os.getloadavg()[0]:.2f} at the end; ratio = serve / aiosmtpd; CPU = user+sys of the "
            f"server process per completed session (clock tick {1000 / CLK_TCK:g} ms)")


def report(results: dict, args) -> None:
    header = ("clients", "mechanism", "serve sessions/s", "aiosmtpd sessions/s", "ratio", "serve CPU ms/session",
              "aiosmtpd CPU ms/session", "CPU ratio", "p50 / p99 ms serve", "p50 / p99 ms aiosmtpd",
              "errors (serve / aiosmtpd)")
    rows = []
    for concurrency in args.concurrency:
        for mechanism in args.mechanisms:
            s = results["load"][("serve", concurrency, mechanism)]
            a = results["load"][("aiosmtpd", concurrency, mechanism)]
            ratio = s["rate"] / a["rate"] if a["rate"] else float("inf")
            cpu_ratio = s["cpu_ms"] / a["cpu_ms"] if a["cpu_ms"] else float("inf")
            rows.append((str(concurrency), mechanism, f"{s['rate']:.0f}", f"{a['rate']:.0f}", f"{ratio:.2f}",
                         f"{s['cpu_ms']:.3f}", f"{a['cpu_ms']:.3f}", f"{cpu_ratio:.2f}",
                         f"{s['p50']:.1f} / {s['p99']:.1f}", f"{a['p50']:.1f} / {a['p99']:.1f}",
                         f"{s['errors']} / {a['errors']}"))
    if args.markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                 for row in [header, *rows]]
    for kind, cell in results["idle"].items():
        lines.append(f"{kind}: {cell['held']} of {args.idle} idle connections held {args.hold:g} s, then answered "
                     f"NOOP and QUIT; errors {cell['errors']}")
    lines.append(machine())
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
