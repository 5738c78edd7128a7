"""The tutor's own client logs in to the lab Postfix + Dovecot (scripts/lab-mta.sh start) with SCRAM-SHA-1 and
SCRAM-SHA-256, over clear text and STARTTLS: Dovecot's salt, nonce and v= are nobody's here, and the client
checks v= (RFC 5802 §5). A wrong password gets 535.

Skipped when the lab is not running, except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from lab import lab_env
from live_client import ROOT, RUN_WAIT, login_lines, run_client, tls_flags

pytestmark = pytest.mark.labmta

PORTS = {"plain": "LAB_PORT_PLAIN", "starttls": "LAB_PORT_STARTTLS"}
USER, PASSWORD = "tim", "tanstaaftanstaaf"
MECHANISMS = ("SCRAM-SHA-1", "SCRAM-SHA-256")


@pytest.fixture(scope="module")
def lab() -> dict[str, str]:
    env = lab_env()
    for mechanism in MECHANISMS:
        assert mechanism in env.get("LAB_MECHS", "").split(), "the lab does not offer " + mechanism
    return env


def login(lab, mode: str, mechanism: str, password: str = PASSWORD):
    target = f"{lab['LAB_HOST']}:{lab[PORTS[mode]]}"
    return run_client(target, tls_flags(mode, lab["LAB_CAFILE"]), login_lines(mode, mechanism, USER, password) +
                      ["QUIT"])


@pytest.mark.parametrize("mode", list(PORTS))
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_tutor_client_logs_in_to_postfix_dovecot_with_scram(lab, mode, mechanism):
    done = login(lab, mode, mechanism)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert f"C: AUTH {mechanism} " in out                        # client-first as the initial response
    assert "S: 235 2.7.0 Authentication successful" in out
    assert "the server knows this password's keys" in out        # v= checked: mutual authentication
    assert PASSWORD not in out and "Traceback" not in done.stderr


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_wrong_password_gets_535_from_dovecot(lab, mechanism):
    done = login(lab, "plain", mechanism, password="not-the-password")
    out = done.stdout
    assert "S: 535 5.7.8" in out, out
    assert "S: 235" not in out


def test_the_scram_lesson_runs_to_the_end_on_postfix_dovecot(lab, tmp_path):
    """Lesson 11's checks are semantic: Dovecot's own salt, nonce and v= pass them as the RFC's do."""
    target = f"{lab['LAB_HOST']}:{lab['LAB_PORT_PLAIN']}"
    env = {**os.environ, "NO_COLOR": "1", "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "tutor", "lesson", "11", "--connect", target, "--user", USER,
                           "--demo", "--no-pause"], input=PASSWORD + "\n", capture_output=True, text=True,
                          timeout=RUN_WAIT, cwd=ROOT, env=env, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "every step passed" in done.stdout.splitlines()[-1]
    assert PASSWORD not in done.stdout
