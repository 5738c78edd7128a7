#!/usr/bin/env python3
"""Start-up and per-keystroke benchmark of the REPL, as a user gets it (issues 4 and 15; results in
docs/PERFORMANCE.md).

1. A regular install: a fresh venv in a temporary directory, `pip install .` (not editable: pip compiles the
   byte-code), run from outside the work tree. In a pseudo-terminal, in the same run, alternating:
   * floor: a bare prompt_toolkit prompt with a pygments lexer and a word completer, until `C:` is drawn;
   * first prompt: `smtp-tutor` until its first `C:` is drawn;
   * ready (the headline): `smtp-tutor` until the simulator's greeting (220), the welcome line ("Connected
     to") and the `C:` prompt after them are all on screen: what a student waits for.
   Medians are compared with the floor's. Target: ready within 1.3x of the floor (aim 1.15x).
2. Lexing + completion + toolbar work per keystroke, in process: every prefix of typical lines. Target < 2 ms.

Usage: python scripts/bench_startup.py [--runs N] [--json] [--python VENV/bin/python]
(--python: an existing regular install to time instead of making one.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

FLOOR = r"""
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.lexers import PygmentsLexer
from pygments.lexer import RegexLexer
from pygments.token import Keyword, Text

class L(RegexLexer):
    tokens = {"root": [(r"(?i:ehlo|auth|quit)\b", Keyword), (r".", Text), (r"\n", Text)]}

words = WordCompleter(["EHLO", "AUTH", "PLAIN", "LOGIN", "CRAM-MD5", "MAIL", "RCPT", "DATA", "QUIT"], ignore_case=True)
PromptSession(lexer=PygmentsLexer(L), completer=words).prompt("C: ")
"""

LINES = ["EHLO laptop.example", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "MAIL FROM:<tim@example.org> SIZE=1000",
         "RCPT TO:<someone@example.net>", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
         ":b64 encode \\0tim\\0secret",
         ":connect sim:legacy-2002", ":auth CRAM-MD5 tim", ":help starttls", "auth login"]


def time_to(argv: list[str], patterns: list[bytes], env: dict[str, str], cwd: str) -> float:
    """Seconds from spawn until each of `patterns` has been drawn, in order."""
    import pexpect

    start = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, timeout=30, dimensions=(40, 160), cwd=cwd)
    for pattern in patterns:
        child.expect_exact(pattern)
    elapsed = time.perf_counter() - start
    child.sendcontrol("c")
    child.sendcontrol("d")
    child.close(force=True)
    return elapsed


def regular_install(where: str) -> str:
    """A fresh venv with `pip install ROOT` (not editable); returns its python."""
    subprocess.run([sys.executable, "-m", "venv", where], check=True)
    python = os.path.join(where, "bin", "python")
    subprocess.run([python, "-m", "pip", "install", "-q", ROOT], check=True, stderr=subprocess.DEVNULL)
    return python


def startup(runs: int, python: str) -> dict[str, float]:
    work = tempfile.mkdtemp(prefix="bench-startup-")   # cwd: outside the work tree, so the install is what runs
    env = dict(os.environ, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1",
               XDG_STATE_HOME=os.path.join(work, "state"), XDG_CACHE_HOME=os.path.join(work, "cache"))
    for name in ("NO_COLOR", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONPYCACHEPREFIX"):
        env.pop(name, None)
    tutor = os.path.join(os.path.dirname(python), "smtp-tutor")
    ready = [b"220", b"Connected to", b"C:"]
    programs = {"floor": ([python, "-c", FLOOR], [b"C:"]), "prompt": ([tutor], [b"C:"]), "ready": ([tutor], ready)}
    out: dict[str, float] = {"runs": runs}
    out["first_run_ms"] = time_to([tutor], ready, env, work) * 1000   # empty cache: it is built on this run
    times: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(3):   # warm the file cache
        for argv, patterns in programs.values():
            time_to(argv, patterns, env, work)
    for attempt in range(runs):
        order = list(programs) if attempt % 2 == 0 else list(reversed(programs))
        for name in order:
            argv, patterns = programs[name]
            times[name].append(time_to(argv, patterns, env, work))
    for name, values in times.items():
        out[f"{name}_ms"] = statistics.median(values) * 1000
        out[f"{name}_min_ms"] = min(values) * 1000
    out["prompt_ratio"] = out["prompt_ms"] / out["floor_ms"]
    out["ready_ratio"] = out["ready_ms"] / out["floor_ms"]
    shutil.rmtree(work, ignore_errors=True)
    return out


def keystrokes() -> dict[str, float]:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document
    from prompt_toolkit.lexers import PygmentsLexer

    from tutor.display.lexer import SmtpInputLexer
    from tutor.repl import commands, toolbar
    from tutor.repl.completer import TutorCompleter
    from tutor.repl.shell import Shell

    shell = Shell()
    shell.start()
    shell.handle("EHLO laptop.example")
    commands.ensure_loaded()
    lexer, completer = PygmentsLexer(SmtpInputLexer), TutorCompleter(shell.view)
    event = CompleteEvent(text_inserted=True)
    costs = []
    for line in LINES:
        for end in range(1, len(line) + 1):
            document = Document(line[:end])
            t0 = time.perf_counter()
            get_line = lexer.lex_document(document)
            get_line(0)
            list(completer.get_completions(document, event))
            toolbar.fragments(shell.view())
            costs.append(time.perf_counter() - t0)
    costs.sort()
    return {"keystrokes": len(costs), "mean_ms": statistics.mean(costs) * 1000,
            "p95_ms": costs[int(len(costs) * 0.95)] * 1000, "max_ms": costs[-1] * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--python", help="the python of an existing regular install (default: make one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-venv-") as venv:
        python = args.python or regular_install(venv)
        result = {"startup": startup(args.runs, python), "keystroke": keystrokes(), "cpus": os.cpu_count(),
                  "load": os.getloadavg()[0], "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    s, k = result["startup"], result["keystroke"]
    print(f"regular install (pip install ., compiled byte-code), median of {s['runs']}, {result['cpus']} CPUs, "
          f"{result['date']}, load average {result['load']:.2f} at the end:")
    print(f"  floor (prompt_toolkit + pygments lexer + word completer): {s['floor_ms']:.0f} ms "
          f"(min {s['floor_min_ms']:.0f})")
    print(f"  smtp-tutor, first prompt drawn:                            {s['prompt_ms']:.0f} ms "
          f"(min {s['prompt_min_ms']:.0f})"
          f"  -> {s['prompt_ratio']:.2f}x")
    print(f"  smtp-tutor, greeting + welcome + prompt on screen:         {s['ready_ms']:.0f} ms "
          f"(min {s['ready_min_ms']:.0f})"
          f"  -> {s['ready_ratio']:.2f}x (target <= 1.30x, aim 1.15x)")
    print(f"  the very first launch (empty cache):                       {s['first_run_ms']:.0f} ms")
    print(f"per keystroke, lexing + completion + toolbar ({k['keystrokes']} keystrokes):")
    print(f"  mean {k['mean_ms']:.3f} ms, p95 {k['p95_ms']:.3f} ms, max {k['max_ms']:.3f} ms (target < 2 ms)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    raise SystemExit(main())
