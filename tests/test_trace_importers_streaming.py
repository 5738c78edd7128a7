"""Streaming input: a pcap arriving on standard input (as from `tcpdump -U -w - | smtp-tutor trace -`) and a
log file followed as it grows (`--follow`) are reported session by session while the input is still open.
Every wait is on a condition (a line of output) with a deadline, never a fixed sleep."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
DEADLINE = 20.0


def start(*args, stdin=subprocess.DEVNULL):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "tutor", "trace", "--summary", "--color", "never", *args],
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def reader(stream) -> "queue.Queue[str]":
    lines: queue.Queue[str] = queue.Queue()

    def pump():
        for raw in iter(stream.readline, b""):
            lines.put(raw.decode("utf-8", "replace"))
    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for(lines: "queue.Queue[str]", needle: str, seen: list[str]) -> str:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=max(0.01, end - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not printed within {DEADLINE} s; got {seen!r}")


def pcap_records(path: Path) -> tuple[bytes, list[bytes]]:
    data = path.read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1"                   # little-endian microsecond pcap
    header, records, at = data[:24], [], 24
    while at < len(data):
        length = int.from_bytes(data[at + 8:at + 12], "little")
        records.append(data[at:at + 16 + length])
        at += 16 + length
    return header, records


def test_pcap_on_stdin_is_reported_session_by_session_before_the_input_ends():
    header, records = pcap_records(DATA / "trace" / "lab_auth.pcap")
    proc = start("-", stdin=subprocess.PIPE)
    lines, seen = reader(proc.stdout), []
    try:
        proc.stdin.write(header)
        half = len(records) // 2
        for record in records[:half]:                        # the first sessions, written as tcpdump -U would
            proc.stdin.write(record)
            proc.stdin.flush()
        first = wait_for(lines, "demo", seen)                # lab_auth.pcap's first session: PLAIN demo/demo
        assert "PLAIN" in first and proc.poll() is None      # reported while standard input is still open
        for record in records[half:]:
            proc.stdin.write(record)
        proc.stdin.close()
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_follow_reads_a_growing_log_and_stops_cleanly_on_ctrl_c(tmp_path):
    log = tmp_path / "mail.log"
    lines_of = (DATA / "logs" / "postfix_lab_auth.log").read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines_of[:3]))                  # the first connection (LOGIN aborted)
    proc = start("--follow", str(log))
    out, seen = reader(proc.stdout), []
    try:
        assert "cancelled" in wait_for(out, "LOGIN", seen)
        with log.open("ab") as grow:                         # the log grows: the next connections
            grow.write(b"".join(lines_of[3:8]))
            grow.flush()
            assert "tim" in wait_for(out, "failure", seen)
        assert proc.poll() is None                           # still following
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=DEADLINE) == 0
        assert b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_follow_memory_is_bounded_by_what_is_open(tmp_path):
    """A follow over many complete connections keeps no session once it is reported."""
    import io

    from tutor.trace.importers import maillog
    from tutor.trace.pipeline import reports
    from tutor.trace.source import Source
    block = (DATA / "logs" / "postfix_lab_auth.log").read_bytes()
    src = Source("many.log", io.BytesIO(block * 2000))
    opened = []

    def records():
        for record in maillog.read(src):
            opened.append(type(record).__name__)
            yield record
    count = sum(1 for _ in reports(records(), lambda bad: None, keep_rows=False))
    assert count == 8000
    assert opened.count("Begin") == opened.count("End") == 8000


def test_follow_takes_exactly_one_file(tmp_path, capsys):
    from tutor.cli import main
    log = tmp_path / "a.log"
    log.write_bytes(b"x\n")
    assert main(["trace", "--follow", str(log), str(log)]) == 2
    assert "--follow reads one file" in capsys.readouterr().err
    assert main(["trace", "--follow", "-"]) == 2
