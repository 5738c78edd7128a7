"""Hostile inputs to the shell's own files: every file the REPL and `connect` read is bounded, and a bad one is
one error line (issue 16, "Every input bounded"). Each run is capped in memory (RLIMIT_AS) and time."""

import os
import resource
import subprocess
import sys

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tutor.repl import batch, history
from tutor.repl.app import ReplApp
from tutor.repl.shell import Shell

MEMORY_CAP = 1536 * 1024 * 1024     # far above what the tutor needs, far below reading /dev/zero for 20 s


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def tutor(*argv, stdin=subprocess.DEVNULL):
    return subprocess.run([sys.executable, "-m", "tutor", *argv], stdin=stdin, capture_output=True, text=True,
                          timeout=60, preexec_fn=_cap_memory, env={**os.environ, "NO_COLOR": "1"})


def error_lines(text):
    return [line for line in text.splitlines() if line.startswith("!")]


def test_script_from_dev_zero_is_one_error_line():
    done = tutor("--script", "/dev/zero")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert error_lines(done.stdout) == ["!  /dev/zero, line 1: longer than 64 KB, so not a line typed at the "
                                        "prompt; stopping here"]


def test_standard_input_from_dev_zero_is_one_error_line():
    with open("/dev/zero", "rb") as zero:
        done = tutor("--batch", stdin=zero)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert error_lines(done.stdout) == ["!  standard input, line 1: longer than 64 KB, so not a line typed at the "
                                        "prompt; stopping here"]


def test_connect_reads_its_script_before_the_network_and_bounded():
    done = tutor("connect", "127.0.0.1:1", "--script", "/nonexistent/script")
    assert done.returncode == 2 and done.stderr.startswith("smtp-tutor: cannot read /nonexistent/script")
    assert "connection refused" not in done.stdout + done.stderr      # nothing was tried


def test_a_script_line_that_is_not_utf8_stops_after_the_lines_before_it(tmp_path):
    script = tmp_path / "s.smtp"
    script.write_bytes(b"EHLO x\n\xff\xfe\nNOOP\n")
    done = tutor("--script", str(script))
    assert done.returncode == 1 and "S: 250-sim.smtp-tutor.test Hello x" in done.stdout
    assert error_lines(done.stdout) == [f"!  {script}, line 2: not UTF-8 text; stopping here"]
    assert "C: NOOP" not in done.stdout


def test_script_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "MAX_SCRIPT", 64)
    script = tmp_path / "big.smtp"
    script.write_text("NOOP\n" * 100)
    out = []
    with open(script, "rb") as handle:
        code = batch.run(Shell(), batch.script_lines(handle, "big.smtp", batch.MAX_SCRIPT), out.append)
    assert code == 1
    assert "".join(out).count("C: NOOP") == 12          # 12 lines of 5 octets fit in 64, the 13th does not
    assert "!  big.smtp: larger than 64 octets, so not a script of typed lines; stopping here" in "".join(out)


def test_cafile_that_is_not_a_regular_file_is_refused_before_reading():
    done = tutor("connect", "127.0.0.1:1", "--starttls", "--cafile", "/dev/zero")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "smtp-tutor: " + done.stderr.strip().removeprefix("smtp-tutor: ")
    assert "/dev/zero" in done.stderr and "not a regular file" in done.stderr


def run_app_with_history(path, keys):
    printed = []
    with create_pipe_input() as pipe:
        app = ReplApp(Shell(), input=pipe, output=DummyOutput(), color=False, history_file=str(path))
        show = app.print_items
        app.print_items = lambda items: (printed.extend(items), show(items))
        pipe.send_text(keys)
        assert app.run() == 0
    return app, printed


@pytest.mark.parametrize("path", ["/dev/full", "/dev/zero"])
def test_a_history_file_that_is_a_device_is_not_read(path):
    app, printed = run_app_with_history(path, "EHLO x\r\x04")
    assert printed[0].text == f"History is kept for this session only: cannot use {path}: not a regular file."
    assert list(app.history.get_strings()) == ["EHLO x"]
    assert any(i.kind == "S" and i.text.startswith("250") for i in printed)


def test_a_huge_history_file_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "MAX_HISTORY", 1000)
    path = tmp_path / "history"
    path.write_text("\n# old\n+EHLO old\n" * 100)
    before = path.read_bytes()
    app, printed = run_app_with_history(path, "EHLO new\r\x04")
    assert "larger than" in printed[0].text and "move it away" in printed[0].text
    assert list(app.history.get_strings()) == ["EHLO new"]
    assert path.read_bytes() == before                     # neither read nor rewritten


def test_a_password_from_dev_zero_is_one_error_line():
    with open("/dev/zero", "rb") as zero:
        done = tutor("plain", "tim", stdin=zero)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "smtp-tutor: the password read from standard input is longer than 16384 characters, " \
                          "so it is not a password\n"
