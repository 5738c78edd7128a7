"""The batch-mode client against the lab Postfix + Dovecot (scripts/lab-mta.sh start), a real MTA nobody here wrote:
PLAIN, LOGIN and CRAM-MD5 over clear text, STARTTLS and implicit TLS; a message that arrives in the sink;
535 for a wrong password; the certificate verified with --cafile and rejected without it.

Skipped when the lab is not running, except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lab import lab_env
from live_client import (
    MECHANISMS,
    MODES,
    assert_logged_in_and_sent,
    login_lines,
    message_lines,
    run_client,
    tls_flags,
    unique,
    wait_for,
)

pytestmark = pytest.mark.labmta

PORTS = {"plain": "LAB_PORT_PLAIN", "starttls": "LAB_PORT_STARTTLS", "tls": "LAB_PORT_TLS"}
USER, PASSWORD = "tim", "tanstaaftanstaaf"


@pytest.fixture(scope="module")
def lab() -> dict[str, str]:
    env = lab_env()
    assert f"{USER}:{PASSWORD}" in env["LAB_USERS"].split()
    return env


def target(lab, mode: str) -> str:
    return f"{lab['LAB_HOST']}:{lab[PORTS[mode]]}"


def delivered(lab, rcpt: str, token: str) -> list[Path]:
    sink = Path(lab["LAB_SINK"])
    return [p for p in sink.glob(f"*{rcpt}*.eml") if token in p.read_text(encoding="utf-8", errors="replace")]


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("mode", MODES)
def test_login_and_send_arrives_in_the_sink(lab, mode, mechanism):
    rcpt, token = unique(mode, mechanism)
    lines = login_lines(mode, mechanism, USER, PASSWORD) + message_lines(USER, rcpt, token)
    done = run_client(target(lab, mode), tls_flags(mode, lab["LAB_CAFILE"]), lines)
    assert_logged_in_and_sent(done, PASSWORD)
    assert "ESMTP smtp-auth-tutor lab (Postfix)" in done.stdout
    if mode != "plain":
        assert "certificate verified" in done.stdout and "subject " in done.stdout and "expires " in done.stdout
    assert wait_for(lambda: delivered(lab, rcpt, token)), f"{rcpt} did not arrive in {lab['LAB_SINK']}"


# One failure per mode, each mechanism once: Dovecot delays every further attempt from 127.0.0.1 after a
# failure (its auth penalty, 2 s doubling to 15 s), so all nine would make the run slow for nothing.
@pytest.mark.parametrize("mode, mechanism", list(zip(MODES, MECHANISMS, strict=True)))
def test_wrong_password_gets_535(lab, mode, mechanism):
    done = run_client(target(lab, mode), tls_flags(mode, lab["LAB_CAFILE"]),
                      login_lines(mode, mechanism, USER, "not-the-password") + ["QUIT"])
    assert done.returncode == 0, done.stdout + done.stderr   # a 535 is an answer, not a failure to run a line
    assert "S: 535 5.7.8 Error: authentication failed" in done.stdout
    assert "S: 235" not in done.stdout and "not-the-password" not in done.stdout


def test_starttls_is_required_before_auth_on_the_submission_port(lab):
    done = run_client(target(lab, "starttls"), ["--cafile", lab["LAB_CAFILE"]],
                      ["EHLO laptop.example", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "QUIT"])
    assert "S: 250-STARTTLS" in done.stdout and "AUTH PLAIN" not in done.stdout.split("C: EHLO")[1].split("C:")[0]
    assert "S: 235" not in done.stdout


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_the_lab_certificate_is_rejected_without_cafile(lab, mode):
    done = run_client(target(lab, mode), tls_flags(mode, None),
                      login_lines(mode, "PLAIN", USER, PASSWORD) + ["QUIT"])
    errors = [line for line in done.stdout.splitlines() if line.startswith("!  ")]
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "comes from a CA this computer does not trust" in errors[0] and "--cafile" in errors[0]
    assert "S: 235" not in done.stdout and PASSWORD not in done.stdout


def test_a_name_the_lab_certificate_does_not_list_is_rejected(lab):
    from tutor.errors import TransportError
    from tutor.transport import tcp

    with pytest.raises(TransportError) as info:
        tcp.connect(lab["LAB_HOST"], int(lab["LAB_PORT_TLS"]), tls=True, cafile=lab["LAB_CAFILE"],
                    server_hostname="mail.example.org", timeout=10)
    assert "the certificate is not valid for the name mail.example.org" in str(info.value)


def test_insecure_connects_and_says_not_verified(lab):
    done = run_client(target(lab, "tls"), ["--tls", "--insecure"], ["EHLO laptop.example", "QUIT"])
    assert done.returncode == 0 and "certificate NOT verified (--insecure)" in done.stdout
