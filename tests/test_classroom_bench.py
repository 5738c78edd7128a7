"""scripts/bench_serve.py --classroom runs end to end (tiny load): serve alone and serve --dashboard --web on
pseudo-terminals, an event-stream client connected, CPU per session for both, the view's cost, machine, date."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_classroom_benchmark_reports_both_servers_and_the_cost():
    pytest.importorskip("aiohttp")
    pytest.importorskip("aiosmtpd")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_serve.py"), "--classroom", "--markdown",
                           "--classroom-clients", "5", "--classroom-warmup", "0.3", "--duration", "0.3",
                           "--repeat", "1"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
            for line in done.stdout.splitlines() if line.startswith("| `serve")}
    assert set(rows) == {"`serve`", "`serve --dashboard --web`"}
    viewed = rows["`serve --dashboard --web`"]
    assert float(viewed[4]) > 0 and re.fullmatch(r"[+-]\d+\.\d %", viewed[5])      # CPU per session, cost
    assert re.fullmatch(r"[+-]\d+\.\d % \([+-]\d+\.\d\.\.[+-]\d+\.\d\)", viewed[6])   # run by run
    assert int(viewed[7]) >= 1 and viewed[8] == "0" and rows["`serve`"][8] == "0"   # events came, no errors
    per_run = [line for line in done.stdout.splitlines() if re.match(r"\| 1 \| \d+\.\d\d, \d+\.\d\d \|", line)]
    assert len(per_run) == 1 and per_run[0].count("%") == 1                       # run 1: load, CPU, cost
    assert re.search(r"^Runs from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC to .* load average", done.stdout, re.M)
    assert re.search(r"^Measured \d{4}-\d\d-\d\d on \d+ CPU\(s\)", done.stdout, re.M)
