"""A learner captures their own TLS session and reads it back: `smtp-tutor connect --keylog` (and the shell's
`:connect` with SSLKEYLOGFILE) against `serve`'s implicit TLS on 127.0.0.1, tcpdump on loopback, then
`trace --keylog`. Also the key log file itself: mode 0600, never truncated, never a symlink or a device."""

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from peers import WAIT, ServerThread, lab_tls, need

from tutor.errors import InputError
from tutor.transport import keylog

ROOT = Path(__file__).resolve().parent.parent
PLAIN_B64 = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"        # base64 of "\0tim\0tanstaaftanstaaf" (RFC 4616 §2 message)
SCRIPT = f"EHLO laptop.example\nAUTH PLAIN {PLAIN_B64}\nQUIT\n"


def _need_cryptography() -> None:
    """The tls extra (in the test extra): skipped on a laptop without it, a failure under CI=true."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("cryptography is not installed (pip install -e '.[test]' installs it)")
        pytest.skip("cryptography is not installed: pip install 'smtp-auth-tutor[tls]'")


# ---- the key log file ----------------------------------------------------------------------------------------
def test_a_new_key_log_is_created_0600_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "keys.log"
        assert keylog.prepare(str(path)) is None
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b""


def test_an_existing_key_log_is_kept_and_a_readable_one_is_said(tmp_path):
    path = tmp_path / "keys.log"
    path.write_bytes(b"# earlier keys\n")
    path.chmod(0o644)
    warning = keylog.prepare(str(path))
    assert path.read_bytes() == b"# earlier keys\n"
    assert warning == f"{path} can be read by other users (mode 0644); a key log is a secret: chmod 600 {path}"


@pytest.mark.parametrize("kind", ["symlink", "directory", "device"])
def test_what_cannot_be_a_key_log_is_one_line(tmp_path, kind):
    path = tmp_path / "keys.log"
    if kind == "symlink":
        path.symlink_to(tmp_path / "elsewhere")
    elif kind == "directory":
        path.mkdir()
    else:
        path = Path("/dev/null")
    with pytest.raises(InputError) as caught:
        keylog.prepare(str(path))
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert not (tmp_path / "elsewhere").exists()


def test_sslkeylogfile_is_honoured_and_an_explicit_file_wins(monkeypatch):
    monkeypatch.setenv("SSLKEYLOGFILE", "/tmp/from-env.keys")
    assert keylog.resolve(None) == "/tmp/from-env.keys"
    assert keylog.resolve("mine.keys") == "mine.keys"
    monkeypatch.delenv("SSLKEYLOGFILE")
    assert keylog.resolve(None) is None


# ---- capture, then read back -----------------------------------------------------------------------------------
@pytest.fixture
def capture(tmp_path):
    """tcpdump on loopback for one port (root only); yields a function that starts it and the pcap path."""
    binary = need("tcpdump")
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("capturing with tcpdump needs root (CI runs as root)")
        pytest.skip("capturing with tcpdump needs root")
    path = tmp_path / "own.pcap"
    procs = []

    def start(port: int) -> None:
        proc = subprocess.Popen([binary, "-i", "lo", "-U", "--immediate-mode", "-w", str(path), f"tcp port {port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(proc)
        while b"listening on" not in (line := proc.stderr.readline()):
            assert line, "tcpdump did not start"
        _wait_for(path.exists, "the capture file")
        time.sleep(0.5)     # "listening" is said a moment before the filter is attached (not an assertion wait)

    yield start, path
    for proc in procs:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=WAIT)


def _wait_for(predicate, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _read_back(pcap: Path, keys: Path):
    """Trace the growing capture with the key log until the session's QUIT reply has been decrypted."""
    from tutor.trace import pcap as pcap_reader
    from tutor.trace import tls_keys
    from tutor.trace.pipeline import reports
    from tutor.trace.source import open_source

    def done():
        src = open_source(str(pcap))
        try:
            out = list(reports(pcap_reader.read(src, keylog=tls_keys.read(str(keys))), lambda bad: None))
        finally:
            src.close()
        return out if any(row.text.startswith("221") for report in out for row in report.rows) else None

    return _wait_for(done, "the decrypted 221 in the capture")


def _server(tmp_path):
    context, _ = lab_tls(tmp_path)
    return ServerThread(tls=context, implicit=True)


def test_connect_keylog_then_trace_keylog_reads_the_own_login(tmp_path, capture):
    _need_cryptography()
    start, pcap = capture
    keys = tmp_path / "own.keys"
    with _server(tmp_path) as server:
        start(server.implicit_port)
        done = subprocess.run([sys.executable, "-m", "tutor", "connect", f"127.0.0.1:{server.implicit_port}",
                               "--tls", "--insecure", "--keylog", str(keys), "--batch"], input=SCRIPT.encode(),
                              capture_output=True, timeout=WAIT * 3, cwd=ROOT, check=False,
                              env={k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"})
        assert done.returncode == 0, done.stderr.decode()
        found = _read_back(pcap, keys)
    assert b"Anyone who has this file and a capture of the session can decrypt all of it" in done.stderr
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert b"CLIENT_TRAFFIC_SECRET_0 " in keys.read_bytes()
    [attempt] = [a for report in found for a in report.attempts]
    assert (attempt.mechanism, attempt.user, attempt.password, attempt.result, attempt.keylog) == \
        ("PLAIN", "tim", "tanstaaftanstaaf", "success", True)


def test_the_shells_connect_honours_sslkeylogfile(tmp_path, capture):
    _need_cryptography()
    start, pcap = capture
    keys = tmp_path / "env.keys"
    with _server(tmp_path) as server:
        start(server.implicit_port)
        script = tmp_path / "lesson.txt"
        script.write_text(f":connect 127.0.0.1:{server.implicit_port} --tls --insecure\n" + SCRIPT)
        done = subprocess.run([sys.executable, "-m", "tutor", "--script", str(script)], capture_output=True,
                              timeout=WAIT * 3, cwd=ROOT, check=False, env=dict(os.environ, SSLKEYLOGFILE=str(keys)))
        assert done.returncode == 0, done.stderr.decode()
        found = _read_back(pcap, keys)
    assert f"TLS session keys go to {keys}".encode() in done.stdout
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert [(a.user, a.password) for report in found for a in report.attempts] == [("tim", "tanstaaftanstaaf")]


def test_starttls_typed_in_the_shell_is_logged_and_read_back(tmp_path, capture):
    """`:connect HOST --keylog FILE` on the plain port, STARTTLS typed by hand (RFC 3207), then AUTH inside TLS."""
    _need_cryptography()
    start, pcap = capture
    keys = tmp_path / "starttls.keys"
    with _server(tmp_path) as server:
        start(server.port)
        script = tmp_path / "starttls.txt"
        script.write_text(f":connect 127.0.0.1:{server.port} --insecure --keylog {keys}\n"
                          f"EHLO laptop.example\nSTARTTLS\n" + SCRIPT)
        done = subprocess.run([sys.executable, "-m", "tutor", "--script", str(script)], capture_output=True,
                              timeout=WAIT * 3, cwd=ROOT, check=False,
                              env={k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"})
        assert done.returncode == 0, done.stderr.decode()
        assert b"S: 220 2.0.0 Ready to start TLS" in done.stdout
        found = _read_back(pcap, keys)
    [report] = found
    [attempt] = report.attempts
    assert report.starttls and (attempt.user, attempt.password, attempt.result, attempt.keylog) == \
        ("tim", "tanstaaftanstaaf", "success", True)


def test_connect_with_an_unusable_key_log_stops_before_the_network(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tutor", "connect", "192.0.2.1:465", "--tls", "--keylog",
                           str(tmp_path), "--batch"], input=b"", capture_output=True, timeout=WAIT * 3, cwd=ROOT,
                          check=False, env={k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"})
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0] and "Traceback" not in lines[0]
