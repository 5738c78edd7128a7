#!/usr/bin/env python3
"""Start-up and per-keystroke benchmark of the REPL (issue 4; results go in docs/PERFORMANCE.md).

1. Time from launch to the first prompt in a pseudo-terminal, for `python -m tutor` and, in the same run,
   for the floor: a minimal prompt_toolkit prompt with a pygments lexer. Runs alternate; medians are compared.
   Target: the tutor within 1.3x of the floor.
2. Lexing + completion work per keystroke, in process: every prefix of typical lines is lexed with the
   input lexer and completed. Target: under 2 ms per keystroke.

Usage: python scripts/bench_startup.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

FLOOR = r"""
from prompt_toolkit import PromptSession
from prompt_toolkit.lexers import PygmentsLexer
from pygments.lexer import RegexLexer
from pygments.token import Keyword, Text

class L(RegexLexer):
    tokens = {"root": [(r"(?i:ehlo|auth|quit)\b", Keyword), (r".", Text), (r"\n", Text)]}

PromptSession(lexer=PygmentsLexer(L)).prompt("C: ")
"""

LINES = ["EHLO laptop.example", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "MAIL FROM:<tim@example.org> SIZE=1000",
         "RCPT TO:<someone@example.net>", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
         ":b64 encode \\0tim\\0secret",
         ":connect sim:legacy-2002", ":auth CRAM-MD5 tim", ":help starttls", "auth login"]


def time_to_prompt(argv: list[str], pattern: str, env: dict[str, str]) -> float:
    import pexpect

    start = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, timeout=30, dimensions=(40, 160))
    child.expect(pattern)
    elapsed = time.perf_counter() - start
    child.sendcontrol("c")
    child.sendcontrol("d")
    child.close(force=True)
    return elapsed


def startup(runs: int) -> dict[str, float]:
    state = tempfile.mkdtemp(prefix="bench-state-")
    # Byte-code as an installed package has it (pip compiles on install), kept out of the work tree.
    env = dict(os.environ, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", XDG_STATE_HOME=state,
               PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="bench-pycache-"))
    for name in ("NO_COLOR", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    commands = {"floor": [sys.executable, "-c", FLOOR], "repl": [sys.executable, "-m", "tutor.cli_repl"],
                "cli": [sys.executable, "-m", "tutor"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    greeting: list[float] = []
    for _ in range(3):   # warm the file cache (and the byte-code cache) for all
        for argv in commands.values():
            time_to_prompt(argv, "C:", env)
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(time_to_prompt(argv, "C:", env))
        greeting.append(time_to_prompt(commands["repl"], "Connected to", env))
    out: dict[str, float] = {"runs": runs}
    for name, values in times.items():
        out[f"{name}_ms"] = statistics.median(values) * 1000
        out[f"{name}_min_ms"] = min(values) * 1000
    out["greeting_ms"] = statistics.median(greeting) * 1000
    out["ratio"] = out["repl_ms"] / out["floor_ms"]
    out["cli_ratio"] = out["cli_ms"] / out["floor_ms"]
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
    args = parser.parse_args()
    result = {"startup": startup(args.runs), "keystroke": keystrokes(), "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    s, k = result["startup"], result["keystroke"]
    print(f"start-up to first prompt (median of {s['runs']}, {result['cpus']} CPUs):")
    print(f"  floor (prompt_toolkit + pygments lexer):  {s['floor_ms']:.0f} ms (min {s['floor_min_ms']:.0f})")
    print(f"  REPL (python -m tutor.cli_repl):          {s['repl_ms']:.0f} ms (min {s['repl_min_ms']:.0f})"
          f"  -> {s['ratio']:.2f}x (target <= 1.30x)")
    print(f"  greeting + welcome shown (same command):  {s['greeting_ms']:.0f} ms")
    print(f"  full CLI (python -m tutor):               {s['cli_ms']:.0f} ms (min {s['cli_min_ms']:.0f})"
          f"  -> {s['cli_ratio']:.2f}x")
    print(f"per keystroke, lexing + completion + toolbar ({k['keystrokes']} keystrokes):")
    print(f"  mean {k['mean_ms']:.3f} ms, p95 {k['p95_ms']:.3f} ms, max {k['max_ms']:.3f} ms (target < 2 ms)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    raise SystemExit(main())
