"""The clear-text guard against a host that really is not this machine: a private network namespace
(`unshare -n`) with 10.99.0.1 on its own `lo`, a listener there that records every line it receives.

Nothing leaves the machine. Skips (with the reason) where unshare is not permitted; fails under CI=true.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("netns_guard_child.py")
PLAIN_BLOB = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"          # \0tim\0tanstaaftanstaaf
USER_BLOB, PASSWORD_BLOB = "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the namespace test cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def netns_ok():
    """The unshare command that gives a private network namespace: `-n` as root, `-rn` (a user namespace
    too) for an ordinary user where the kernel allows it."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        _unavailable("unshare or ip is not installed")
    problems = []
    for command in (["unshare", "-n"], ["unshare", "-rn"]):
        probe = subprocess.run([*command, "ip", "link", "set", "lo", "up"], capture_output=True, text=True,
                               timeout=20)
        if probe.returncode == 0:
            return command
        problems.append(f"{' '.join(command)}: {probe.stderr.strip()}")
    _unavailable("a private network namespace is not permitted here (" + "; ".join(problems) + ")")


def run_in_netns(unshare, tmp_path, lines, *options):
    script = tmp_path / "script.smtp"
    script.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([*unshare, sys.executable, str(CHILD), str(script), *options],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_plain_blob_after_a_refused_auth_never_reaches_the_server(netns_ok, tmp_path):
    result = run_in_netns(netns_ok, tmp_path, ["EHLO laptop.example", "AUTH PLAIN", PLAIN_BLOB, "QUIT"])
    assert result["received"] == ["EHLO laptop.example"]          # neither the AUTH, nor the blob, nor QUIT
    assert result["code"] == 1
    out = result["out"]
    assert "not sent: AUTH PLAIN would put your credentials on the network in clear text to 10.99.0.1" in out
    assert "batch mode stops here" in out
    assert PLAIN_BLOB not in out and "Traceback" not in result["err"]


def test_tab_between_verb_and_mechanism_is_still_an_auth(netns_ok, tmp_path):
    result = run_in_netns(netns_ok, tmp_path, ["EHLO laptop.example", f"AUTH\tPLAIN {PLAIN_BLOB}", "QUIT"])
    assert result["received"] == ["EHLO laptop.example"]
    assert result["code"] == 1 and "AUTH PLAIN would put your credentials" in result["out"]
    assert PLAIN_BLOB not in result["out"]


def test_login_answers_are_held_back_and_the_script_stops(netns_ok, tmp_path):
    result = run_in_netns(netns_ok, tmp_path, ["EHLO laptop.example", "auth  login", USER_BLOB, PASSWORD_BLOB, "QUIT"])
    assert result["received"] == ["EHLO laptop.example"]
    assert result["code"] == 1 and "AUTH LOGIN would put your credentials" in result["out"]
    assert PASSWORD_BLOB not in result["out"]


def test_allow_cleartext_sends_it_and_says_so_first(netns_ok, tmp_path):
    result = run_in_netns(netns_ok, tmp_path, ["EHLO laptop.example", "AUTH PLAIN", PLAIN_BLOB, "QUIT"],
                          "--allow-cleartext")
    assert result["received"] == ["EHLO laptop.example", "AUTH PLAIN", PLAIN_BLOB, "QUIT"]
    assert PLAIN_BLOB not in result["out"]                         # sent, but masked on screen (live server)


def test_a_blob_behind_a_mistyped_verb_never_reaches_the_server(netns_ok, tmp_path):
    result = run_in_netns(netns_ok, tmp_path, ["EHLO laptop.example", f"AUTHPLAIN {PLAIN_BLOB}", "QUIT"])
    assert result["received"] == ["EHLO laptop.example"]
    assert result["code"] == 1 and "this line would put a credential on the network in clear text" in result["out"]
