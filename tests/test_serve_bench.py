"""scripts/bench_serve.py runs end to end (tiny load): both servers, the ratio, idle connections, machine and date."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_and_reports_ratio_idle_and_machine():
    pytest.importorskip("aiosmtpd")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_serve.py"), "--markdown", "--concurrency", "5",
         "--duration", "0.2", "--repeat", "1", "--idle", "20", "--hold", "0.1"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 5 |")]
    assert [row.split("|")[2].strip() for row in rows] == ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert float(cells[4]) > 0 and cells[10] == "0 / 0"         # a ratio, and no failed session on either side
        assert float(cells[5]) >= 0 and float(cells[6]) >= 0        # CPU per session of each server (10 ms ticks)
    assert "serve: 20 of 20 idle connections held" in done.stdout
    assert "aiosmtpd: 20 of 20 idle connections held" in done.stdout
    assert re.search(r"^Measured \d{4}-\d\d-\d\d on \d+ CPU\(s\), .*Python 3\.\d+", done.stdout, re.M)
