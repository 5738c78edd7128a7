"""The classroom on a real `serve` (127.0.0.1): real clients become correct rows; the one-line log, --verbose,
--record DIR (read back by the tracer) and --report, through the command line."""

import json
import os
import re
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from classroom_support import PASSWORD, ClassServer
from peers import WAIT, msmtp, need

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.interop


def wait_for(predicate, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def ended(server: ClassServer, count: int):
    return wait_for(lambda: [s for s in server.summaries() if not s.open][:count]
                    if sum(not s.open for s in server.summaries()) >= count else None, f"{count} ended sessions")


@pytest.fixture
def server():
    with ClassServer(web=False) as running:
        yield running


def test_smtplib_login_is_one_correct_row(server):
    with smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT) as client:
        client.login("tim", PASSWORD)
    (row,) = ended(server, 1)
    assert (row.user, row.client, row.mechanism, row.result, row.tls) == ("tim", "smtplib", "CRAM-MD5", 235, False)
    assert row.mistakes == []                        # CRAM-MD5 sends no password


def test_swaks_plain_and_a_wrong_password(server):
    swaks = need("swaks")
    for password in (PASSWORD, "guess"):
        subprocess.run([swaks, "-s", f"127.0.0.1:{server.port}", "-a", "PLAIN", "-au", "tim", "-ap", password,
                        "-t", "a@example.net", "-f", "tim@example.org", "--quit-after", "AUTH"],
                       capture_output=True, timeout=WAIT * 3, check=False)
    rows = {s.result: s for s in ended(server, 2)}
    assert rows[235].client == "swaks" and rows[235].mistakes == ["password-without-tls"]
    assert rows[535].user == "tim" and set(rows[535].mistakes) == {"password-without-tls", "wrong-password"}


def test_curl_and_msmtp_are_told_apart(server, tmp_path):
    curl = need("curl")
    subprocess.run([curl, "-s", f"smtp://127.0.0.1:{server.port}", "--user", f"tim:{PASSWORD}",
                    "--mail-from", "tim@example.org", "--mail-rcpt", "a@example.net", "-T", os.devnull],
                   capture_output=True, timeout=WAIT * 3, check=False)
    msmtp(server.port, tmp_path, "login")
    clients = {s.client: s for s in ended(server, 2)}
    assert set(clients) == {"curl", "msmtp"}
    assert clients["msmtp"].mechanism == "LOGIN" and clients["msmtp"].result == 235


def test_perl_net_smtp_and_gsasl_are_told_apart(server):
    perl, gsasl = need("perl"), need("gsasl")
    script = (f'use Net::SMTP; my $s = Net::SMTP->new("127.0.0.1", Port => {server.port}) or die; '
              f'$s->auth("tim", "{PASSWORD}"); $s->quit;')
    perl_run = subprocess.run([perl, "-e", script], capture_output=True, text=True, timeout=WAIT * 3, check=False)
    if "Can't locate" in perl_run.stderr:     # Net::SMTP (perl) or Authen::SASL (libauthen-sasl-perl)
        reason = f"a Perl module is missing: {perl_run.stderr.strip()[:200]}"
        pytest.fail(reason) if os.environ.get("CI") == "true" else pytest.skip(reason)
    subprocess.run([gsasl, "--smtp", "-m", "PLAIN", "-a", "tim", "-p", PASSWORD, "--no-starttls",
                    f"--connect=127.0.0.1:{server.port}"], stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=WAIT * 3, check=False)
    clients = {s.client: s for s in ended(server, 2)}
    assert set(clients) == {"perl", "gsasl"}
    assert clients["gsasl"].mechanism == "PLAIN" and clients["gsasl"].logged_in and clients["gsasl"].user == "tim"
    assert clients["perl"].logged_in and clients["perl"].user == "tim"


def run_serve(tmp_path, *extra, clients=()):
    """`serve` as a subprocess on a free port; each client(port) runs, then SIGTERM; (stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"))
    command = [sys.executable, "-m", "tutor.cli.serve", "--port", "0", *extra]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
        for client in clients:
            client(port)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=WAIT)
    return line + out, err


def login_with_smtplib(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=WAIT) as client:
        client.ehlo()
        client.docmd("AUTH", "PLAIN " + "AHRpbQB0YW5zdGFhZnRhbnN0YWFm")


def wrong_string_with_smtplib(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=WAIT) as client:
        client.ehlo()
        client.docmd("AUTH", "PLAIN dGltOnRhbnN0YWFmdGFuc3RhYWY=")     # base64 of tim:tanstaaftanstaaf


def test_record_dir_gives_one_file_per_session_that_the_tracer_reads(tmp_path):
    record = tmp_path / "rec"
    record.mkdir()
    run_serve(tmp_path, "--quiet", "--record", str(record), clients=[login_with_smtplib, wrong_string_with_smtplib])
    files = sorted(record.iterdir())
    assert len(files) == 2 and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert all(PASSWORD not in f.read_text() for f in files)
    traced = subprocess.run([sys.executable, "-m", "tutor", "trace", "--summary", *map(str, files)], cwd=ROOT,
                            capture_output=True, text=True, timeout=WAIT * 3,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert traced.returncode == 0, traced.stderr
    lines = traced.stdout.strip().splitlines()
    assert len(lines) == 2 and "PLAIN" in lines[0] and "success" in lines[0] and "failure" in lines[1]


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_report_per_student(tmp_path, fmt):
    out_file = tmp_path / f"class.{fmt}"
    _out, err = run_serve(tmp_path, "--quiet", "--report", str(out_file),
                          clients=[login_with_smtplib, wrong_string_with_smtplib])
    assert f"class report written to {out_file}" in err
    text = out_file.read_text(encoding="utf-8")
    assert PASSWORD not in text and "dGltOnRh" not in text
    if fmt == "json":
        students = {s["user"]: s for s in json.loads(text)["students"]}
        assert students["tim"]["worked"] == ["PLAIN"] and students["tim"]["logins"] == 1
        assert {m["key"] for m in students[""]["mistakes"]} == {"wrong-string", "password-without-tls"}
    else:
        assert "tim: 1 session(s), 1 login(s)" in text
        assert "base64 of the wrong string" in text


def test_verbose_and_pipes_keep_the_step_log(tmp_path):
    out, _err = run_serve(tmp_path, "--verbose", clients=[login_with_smtplib])
    assert "[session 1] C: ehlo" in out and "AUTH PLAIN *** (masked" in out


def test_on_a_terminal_one_coloured_line_per_session(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color")
    child = pexpect.spawn(sys.executable, ["-m", "tutor.cli.serve", "--port", "0"], cwd=str(tmp_path), env=env,
                          encoding="utf-8", timeout=WAIT)
    try:
        child.expect(r"127\.0\.0\.1:(\d+)")
        port = int(child.match.group(1))
        child.expect("Ctrl-C stops")
        wrong_string_with_smtplib(port)
        child.expect(r"\n(.*base64 of the wrong string.*)\r")
        line = child.match.group(1)
        assert "\x1b[" in line                                     # coloured
        plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
        assert "Python smtplib" in plain and "535 refused" in plain and PASSWORD not in plain
        child.sendintr()
        child.expect(pexpect.EOF)
        assert "[session 1]" not in child.before                   # no step log on a terminal
    finally:
        child.close(force=True)


def test_listening_beyond_loopback_warns_about_sniffers():
    from tutor.cli.classroom import beyond_loopback_warning
    from tutor.sim.profiles import PROFILES

    assert beyond_loopback_warning("127.0.0.1", PROFILES["lab"]) is None
    assert beyond_loopback_warning("::1", PROFILES["lab"]) is None
    lab = beyond_loopback_warning("0.0.0.0", PROFILES["lab"])
    assert "PLAIN LOGIN" in lab and "sniffer" in lab
    strict = beyond_loopback_warning("192.168.1.20", PROFILES["strict"])
    assert "only inside TLS" in strict


def serve_error(tmp_path, *args, prelude: str = ""):
    """Run serve with `args` expecting a refusal: (exit code, standard error)."""
    code = (f"{prelude}\nimport sys\nfrom tutor.cli.serve import main\n"
            f"raise SystemExit(main({['--port', '0', *args]!r}))")
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=WAIT * 3, stdin=subprocess.DEVNULL)
    return done.returncode, done.stderr


@pytest.mark.parametrize("args,prelude,words", [
    (["--web", "127.0.0.1:0"], "import sys; sys.modules['aiohttp'] = None", "--web needs aiohttp"),
    (["--web", "nowhere"], "", "--web 'nowhere': give HOST:PORT"),
    (["--dashboard"], "", "--dashboard needs a terminal"),
    (["--report", "/no/such/dir/r.md"], "", "--report /no/such/dir/r.md: cannot write a file there"),
])
def test_classroom_options_refuse_in_one_line(tmp_path, args, prelude, words):
    code, err = serve_error(tmp_path, *args, prelude=prelude)
    assert code == 2 and "Traceback" not in err and err.strip().count("\n") == 0
    assert words in err


def test_a_busy_web_port_is_one_line(tmp_path):
    import socket
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        code, err = serve_error(tmp_path, "--web", f"127.0.0.1:{holder.getsockname()[1]}")
    finally:
        holder.close()
    assert code == 2 and "Traceback" not in err
    assert "--web: cannot listen on 127.0.0.1:" in err and "Address already in use" in err


def test_a_class_csv_gives_the_report_its_absentees(tmp_path):
    (tmp_path / "class.csv").write_text("name,password\ntim,tanstaaftanstaaf\nann,apple\nbob,berry\n",
                                        encoding="utf-8")
    report_file = tmp_path / "class.json"
    run_serve(tmp_path, "--quiet", "--users", "class.csv", "--report", str(report_file), clients=[login_with_smtplib])
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["absent"] == ["ann", "bob"]
    assert report["totals"]["lines"][0] == "1 sessions (0 open) · 1 of 3 students seen · 1 logged in"
    assert "apple" not in report_file.read_text() and "berry" not in report_file.read_text()
