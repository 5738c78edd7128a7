"""Live: swaks, curl and smtplib against `serve` (and the lab Postfix when it runs), their output and a
tcpdump capture traced back: the tracer must name the user, mechanism, result and the PLAIN/LOGIN password."""

import os
import signal
import smtplib
import subprocess
import threading
from contextlib import redirect_stderr
from io import StringIO

import pytest
from peers import WAIT, ServerThread, need, wait_until

from tutor.trace import crack
from tutor.trace.pipeline import trace_bytes

pytestmark = pytest.mark.interop


def swaks(port: int, mechanism: str, user: str, password: str) -> bytes:
    command = [need("swaks"), "--server", f"127.0.0.1:{port}", "--quit-after", "AUTH", "--auth", mechanism,
               "--auth-user", user, "--auth-password", password, "--timeout", "10"]
    return subprocess.run(command, capture_output=True, timeout=WAIT * 3, check=False).stdout


def curl(port: int, mechanism: str, user: str, password: str) -> bytes:
    command = [need("curl"), "-v", "-s", f"smtp://127.0.0.1:{port}", "--user", f"{user}:{password}",
               "--login-options", f"AUTH={mechanism}", "--mail-from", f"{user}@example.org",
               "--mail-rcpt", "a@example.net", "-T", "-", "--max-time", "10"]
    done = subprocess.run(command, input=b"Subject: t\r\n\r\nhi\r\n", capture_output=True, timeout=WAIT * 3)
    return done.stderr


def smtplib_debug(port: int, mechanism: str, user: str, password: str) -> bytes:
    err = StringIO()
    with redirect_stderr(err):
        client = smtplib.SMTP(timeout=WAIT)
        client.set_debuglevel(1)
        client.connect("127.0.0.1", port)
        client.ehlo("laptop.example")
        client.user, client.password = user, password
        method = getattr(client, "auth_" + mechanism.lower().replace("-", "_"))
        try:
            client.auth(mechanism, method, initial_response_ok=False)
        except smtplib.SMTPAuthenticationError:
            pass
        client.quit()
    return err.getvalue().encode()


def logins(data: bytes):
    return [(a.mechanism, a.user, a.result, a.password) for r in trace_bytes(data, "live") for a in r.attempts]


TOOLS = {"swaks": swaks, "curl": curl, "smtplib": smtplib_debug}
CASES = [("PLAIN", "demo", "demo", "success"), ("LOGIN", "tim", "tanstaaftanstaaf", "success"),
         ("LOGIN", "tim", "wrong", "failure")]


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("mechanism,user,password,result", CASES)
def test_tool_against_the_simulator(tool, mechanism, user, password, result):
    with ServerThread() as server:
        output = TOOLS[tool](server.port, mechanism, user, password)
    assert logins(output) == [(mechanism, user, result, password)]


@pytest.mark.parametrize("tool", ["swaks", "smtplib"])
def test_cram_md5_against_the_simulator_verifies_offline(tool):
    with ServerThread() as server:
        output = TOOLS[tool](server.port, "CRAM-MD5", "tim", "tanstaaftanstaaf")
    (report,) = trace_bytes(output, "live")
    (attempt,) = report.attempts
    assert (attempt.user, attempt.result) == ("tim", "success")
    assert crack.verify(attempt, b"tanstaaftanstaaf")


def _lab() -> dict[str, str]:
    from lab import lab_env

    return lab_env()


@pytest.mark.labmta
@pytest.mark.parametrize("tool", TOOLS)
def test_tool_against_the_lab_postfix(tool):
    port = int(_lab()["LAB_PORT_PLAIN"].strip('"'))
    output = TOOLS[tool](port, "LOGIN", "alice", "wonderland")
    assert logins(output) == [("LOGIN", "alice", "success", "wonderland")]


def _seen(reports) -> list[tuple]:
    """(mechanism, user, result, password) of every AUTH in these reports."""
    return [(a.mechanism, a.user, a.result, a.password) for r in reports for a in r.attempts]


def _attempts(path) -> list[tuple]:
    """_seen() of the capture so far."""
    return _seen(trace_bytes(path.read_bytes(), "live.pcap"))


@pytest.fixture
def tcpdump(tmp_path):
    """Start tcpdump on loopback; yields (port filter setter, pcap path)."""
    binary = need("tcpdump")
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("capturing with tcpdump needs root (CI runs as root)")
        pytest.skip("capturing with tcpdump needs root")
    path = tmp_path / "live.pcap"
    procs = []

    def start(port: int, interface: str = "lo", more: str = "") -> None:
        proc = subprocess.Popen([binary, "-i", interface, "-U", "-w", str(path), f"tcp port {port}{more}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(proc)
        listening = threading.Event()

        def read_stderr() -> None:           # drained to the end, so tcpdump never blocks on a full pipe
            for line in proc.stderr:
                if b"listening on" in line:  # said once the capture is open and filtered (tcpdump.c)
                    listening.set()

        threading.Thread(target=read_stderr, daemon=True).start()
        assert listening.wait(WAIT), "tcpdump did not start listening"

    yield start, path
    for proc in procs:
        proc.send_signal(signal.SIGINT)
        proc.wait(WAIT)


@pytest.mark.parametrize("interface", ["lo", "any"], ids=["ethernet", "linux-cooked"])
def test_tcpdump_capture_of_the_simulator(tcpdump, interface):
    start, path = tcpdump
    with ServerThread() as server:
        start(server.port, interface)
        smtplib_debug(server.port, "PLAIN", "demo", "demo")
        smtplib_debug(server.port, "LOGIN", "tim", "wrong")
        smtplib_debug(server.port, "CRAM-MD5", "tim", "tanstaaftanstaaf")
    expected = [("PLAIN", "demo", "success", "demo"), ("LOGIN", "tim", "failure", "wrong"),
                ("CRAM-MD5", "tim", "success", None)]
    wait_until(lambda: _attempts(path) == expected, "tcpdump to write the three sessions")
    assert _attempts(path) == expected


@pytest.mark.labmta
def test_tcpdump_capture_of_the_lab_postfix(tcpdump):
    """swaks against the lab Postfix, in clear and with STARTTLS: the clear logins are read, the STARTTLS one is
    reported as encrypted after the 220. Other programs may use the lab meanwhile: our sessions say EHLO <tag>."""
    lab = _lab()
    plain, starttls = int(lab["LAB_PORT_PLAIN"].strip('"')), int(lab["LAB_PORT_STARTTLS"].strip('"'))
    tag = f"trace-test-{os.getpid()}.example"
    start, path = tcpdump
    start(plain, more=f" or tcp port {starttls}")
    for port, options in ((plain, ["--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "wonderland"]),
                          (plain, ["--auth", "CRAM-MD5", "--auth-user", "tim", "--auth-password", "tanstaaftanstaaf"]),
                          (starttls, ["-tls", "--auth", "LOGIN", "--auth-user", "tim", "--auth-password", "x"])):
        subprocess.run([need("swaks"), "--server", f"127.0.0.1:{port}", "--ehlo", tag, "--quit-after", "AUTH",
                        "--timeout", "10", *options], capture_output=True, timeout=WAIT * 3, check=False)

    expected = [("PLAIN", "alice", "success", "wonderland"), ("CRAM-MD5", "tim", "success", None)]

    def ours() -> list:
        return [r for r in trace_bytes(path.read_bytes(), "lab.pcap")
                if any(row.text == f"EHLO {tag}" for row in r.rows)]

    def written() -> bool:
        reports = ours()
        return _seen(reports) == expected and any(r.encrypted and r.starttls for r in reports)

    wait_until(written, "tcpdump to write the three sessions")
    reports = ours()
    assert _seen(reports) == expected
    (encrypted,) = [r for r in reports if r.encrypted]
    assert encrypted.starttls and not encrypted.attempts and f":{starttls}" in encrypted.label
    assert crack.verify(reports[1].attempts[0], b"tanstaaftanstaaf")
