"""Batch mode: script or pipe in, plain transcript out, exit status 1 when a line could not be run."""

import argparse
import io
import json
import os
import subprocess
import sys

from tutor.cli import repl as cli_repl
from tutor.repl import batch
from tutor.repl.shell import Shell


def run_lines(lines, **shell_options):
    out = io.StringIO()
    code = batch.run(Shell(**shell_options), lines, out.write)
    return code, out.getvalue()


def args(**over):
    base = {"profile": "lab", "script": None, "batch": False, "no_color": False, "record": None}
    return argparse.Namespace(**{**base, **over})


def test_login_by_hand_prints_a_plain_transcript():
    code, text = run_lines(["EHLO laptop.example\n", "AUTH LOGIN\n", "dGlt\n", "dGFuc3RhYWZ0YW5zdGFhZg==\n"])
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("S: 220 ")
    assert "C: AUTH LOGIN" in lines and "S: 334 VXNlcm5hbWU6" in lines
    assert '   # the server asks: "Username:"' in lines
    assert lines[-2] == "S: 235 2.7.0 Authentication successful"
    assert "\x1b" not in text


def test_message_mode_in_batch():
    script = ["EHLO x", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "MAIL FROM:<tim@example.org>",
              "RCPT TO:<a@example.net>", "DATA", "Subject: hi", "", ".dot", ".", "QUIT"]
    code, text = run_lines(script)
    assert code == 0
    assert "C: ..dot" in text and "C: " in text.splitlines() and "S: 221 " in text


def test_a_failing_line_makes_the_exit_status_non_zero_but_the_rest_runs():
    code, text = run_lines([":nosuch", "EHLO x"])
    assert code == 1
    assert "> :nosuch" in text and "!  unknown command :nosuch" in text and "C: EHLO x" in text


def test_helper_error_and_missing_password_fail():
    assert run_lines([":b64 decode ====="])[0] == 1
    code, text = run_lines([":plain tim"])
    assert code == 1 and "batch mode cannot ask" in text


def test_quit_stops_the_script():
    code, text = run_lines([":quit", "EHLO never"])
    assert code == 0 and "EHLO never" not in text and "C: QUIT" in text


def test_autopilot_runs_straight_through():
    code, text = run_lines(["EHLO x", ":auth LOGIN tim tanstaaftanstaaf"])
    assert code == 0
    assert "C: dGlt" in text and "C: dGFuc3RhYWZ0YW5zdGFhZg==" in text and "S: 235 2.7.0" in text


def test_script_option_and_record(tmp_path, capsys):
    script = tmp_path / "lesson.txt"
    script.write_text("EHLO x\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n")
    record = tmp_path / "rec.jsonl"
    assert cli_repl.run(args(script=str(script), record=str(record))) == 0
    assert "S: 235" in capsys.readouterr().out
    entries = [json.loads(line) for line in record.read_text().splitlines()]
    assert entries[0]["type"] == "header" and entries[0]["redacted"]
    assert "tanstaaf" not in record.read_text()


def test_stdin_that_is_not_a_terminal_means_batch(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("EHLO x\n"))
    assert cli_repl.run(args()) == 0
    assert "C: EHLO x" in capsys.readouterr().out


def test_unknown_profile_fails():
    code, text = run_lines(["EHLO x"], profile="nosuch")
    assert code == 1 and "unknown profile nosuch" in text


def test_fast_path_only_takes_repl_options():
    assert cli_repl.fast_path(["b64", "encode", "x"]) is None
    assert cli_repl.fast_path(["--help"]) is None


def test_the_real_program_in_a_pipe(tmp_path):
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path))
    env.pop("NO_COLOR", None)
    done = subprocess.run([sys.executable, "-m", "tutor"], input="EHLO x\n:explain 535\n:bogus\n", text=True,
                          capture_output=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stdout.startswith("S: 220 ") and "C: EHLO x" in done.stdout and "\x1b" not in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_helper_words_keep_backslash_escapes():
    # RFC 4616 §4 inputs: \0tim\0tanstaaftanstaaf -> AHRpbQB0YW5zdGFhZnRhbnN0YWFm, quoted or not
    code, text = run_lines([":b64 encode \\0tim\\0tanstaaftanstaaf\n", ':b64 encode "\\0tim\\0tanstaaftanstaaf"\n'])
    assert code == 0
    assert text.count("=> AHRpbQB0YW5zdGFhZnRhbnN0YWFm") == 2


def test_quit_inside_auth_cancels_before_quitting():
    code, text = run_lines(["EHLO x\n", "AUTH LOGIN\n", ":quit\n"])
    sent = [line for line in text.splitlines() if line.startswith("C: ")]
    assert sent[-2:] == ["C: *", "C: QUIT"]            # RFC 4954 §4: "*" cancels, then QUIT is a command
    assert "S: 501" in text and "S: 221" in text


def test_after_the_connection_is_gone_one_line_then_only_offline_lines_run():
    script = ["EHLO x", "QUIT", "NOOP", "EHLO again", ":auth PLAIN tim tanstaaftanstaaf", ":b64 encode tim",
              "MAIL FROM:<a@b.c>", "", ":connect sim", "NOOP", "QUIT", "NOOP"]
    code, text = run_lines(script)
    assert code == 1                                             # lines could not be run
    skipped = [line for line in text.splitlines() if line.startswith("!  Not connected")]
    assert skipped == ["!  Not connected, so this line and the next ones for the server are skipped "
                       "(tutor commands still run): NOOP"] * 2   # once per lost connection, not once per line
    assert "=> dGlt" in text                                     # the helper still ran
    assert "C: EHLO again" not in text and "> :auth" not in text and "C: MAIL" not in text
    assert text.count("S: 220 ") == 2 and text.count("C: NOOP") == 1


def test_a_blank_line_after_quit_is_no_failure():
    code, text = run_lines(["EHLO x", "QUIT", "", ""])
    assert code == 0 and "Not connected" not in text


class Mute:
    """A live server that greets, then never answers (read timeouts)."""

    description, is_simulator = "smtp://mute.example:25", False

    def __init__(self):
        self.inbox = [b"220 mute.example ESMTP\r\n"]

    def send(self, data):
        pass

    def receive(self, timeout):
        if self.inbox:
            return self.inbox.pop()
        from tutor.transport.base import ReadTimeout
        raise ReadTimeout("nothing")

    def start_tls(self):
        return None

    def close(self):
        pass

    def notes(self):
        return []


def test_a_reply_that_never_comes_makes_the_exit_status_non_zero():
    shell = Shell()
    shell.start = lambda: shell.connect(Mute(), timeout=0.05)
    out = io.StringIO()
    assert batch.run(shell, ["NOOP", ":b64 encode x"], out.write) == 1
    assert "No reply within 0.05 s" in out.getvalue() and "=> eA==" in out.getvalue()


def test_unknown_profile_is_a_usage_error():
    done = subprocess.run([sys.executable, "-m", "tutor", "--profile", "nope"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 2 and done.stdout == ""
    assert "unknown profile nope" in done.stderr and "lab" in done.stderr and "Traceback" not in done.stderr


def test_exit_status_follows_what_the_readme_and_help_say():
    assert run_lines(["EHLO x", "AUTH PLAIN AHRpbQB4AHg=", "FOO"])[0] == 0        # 535 and 500 are answers
    assert run_lines([":b64 decode !!", "NOOP"])[0] == 1                            # a failed : command
    assert run_lines([":nonsense"])[0] == 1
    assert run_lines([":cram tim tanstaaftanstaaf"])[0] == 1
    done = subprocess.run([sys.executable, "-m", "tutor", "--help"], capture_output=True, text=True, timeout=60)
    assert "exits 0 when every line ran, whatever the server replied; 1 when a line could not be run" in \
        " ".join(done.stdout.split())
