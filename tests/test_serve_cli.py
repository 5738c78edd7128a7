"""`smtp-tutor serve` as a user runs it: profiles list, one-line errors with exit 2, a real run stopped by Ctrl-C."""

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from peers import WAIT, need

from tutor.cli.serve import main

ROOT = Path(__file__).resolve().parent.parent


def serve(*args: str, env_home: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if env_home is not None:
        env["XDG_STATE_HOME"] = str(env_home)
    return subprocess.Popen([sys.executable, "-m", "tutor", "serve", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def listening_port(process: subprocess.Popen) -> int:
    line = process.stdout.readline()   # the one "listening on" line comes first
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    assert match, line
    return int(match.group(1))


def test_list_profiles(capsys):
    assert main(["--list-profiles"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["lab", "strict", "legacy-2002", "glitchy-cram", "fixed-challenge", "draft-login", "oauth-tls",
                     "fixed-scram", "impostor", "temp-failure", "too-weak", "encryption-required",
                     "password-transition", "small-auth-buffer", "error-codes", "historic"]


@pytest.mark.parametrize("args,message", [
    (["--user", "nocolon"], "--user (no ':' in it): expected NAME:PASSWORD"),
    (["--users", "/nonexistent/users"], "cannot read users file /nonexistent/users: No such file or directory"),
    (["--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"], "TLS certificate file not found"),
    (["--tls-cert", "/nonexistent/c.pem"], "--tls-cert and --tls-key go together"),
    (["--max-clients", "0"], "--max-clients must be at least 1"),
    (["--hostname", "bad host"], "--hostname 'bad host': use letters, digits, dots and hyphens only"),
    (["--user", ":pw"], "the user name must be non-empty"),
    (["--user", "tim:"], "the password must not be empty"),
    (["--user", "\udcff:secret"], "a --user value is not valid UTF-8 (0xff)"),     # what a shell's $'\xff' becomes
    (["--users", "/"], "cannot read users file /: Is a directory"),
    (["--fixed-challenge", "<a\\q@b>"], "--fixed-challenge: unknown escape \\q"),
    (["--fixed-challenge", "<a@b\udcff>"], "--fixed-challenge: the text is not valid UTF-8 (0xff)"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(args + ["--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_input_never_shows_a_password(capsys):
    assert main(["--user", "\udcff:hunter2", "--port", "0"]) == 2
    assert main(["--user", " x:hunter2", "--port", "0"]) == 2
    assert "hunter2" not in capsys.readouterr().err


def test_a_non_utf8_users_file_is_one_line(tmp_path, capsys):
    users = tmp_path / "users"
    users.write_bytes(b"tim:ok\n\xff:pw\n")
    assert main(["--users", str(users), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not UTF-8 text (byte 0xff at offset 7)" in err


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "argument --port: '70000' is not a port: use 0-65535"),
    (["--port", "-1"], "argument --port: '-1' is not a port"),
    (["--port", "abc"], "argument --port: 'abc' is not a port"),
    (["--implicit-tls-port", "65536"], "argument --implicit-tls-port: '65536' is not a port"),
    (["--profile", "nope"], "argument --profile: invalid choice: 'nope'"),
])
def test_usage_errors_are_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and message in err and "(see smtp-tutor serve --help)" in err


def test_tls_files_that_are_not_a_certificate_and_key(tmp_path, capsys):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    assert main(["--tls-cert", str(junk), "--tls-key", str(junk), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "they are not a PEM certificate and its PEM private key" in err


def test_an_encrypted_key_is_refused_without_asking_for_its_passphrase(tmp_path):
    openssl = need("openssl")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-passout", "pass:secret", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=x"],
                   capture_output=True, check=True, timeout=WAIT * 3)
    process = serve("--port", "0", "--tls-cert", str(cert), "--tls-key", str(key), env_home=tmp_path)
    _out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 2 and "Traceback" not in err and "pass phrase" not in err
    assert err.strip() == f"smtp-tutor: the TLS key {key} is encrypted with a passphrase; give an unencrypted key"


def test_an_address_that_cannot_be_resolved_is_one_line(tmp_path):
    process = serve("--host", "999.1.1.1", "--port", "0", env_home=tmp_path)
    _out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 2 and "Traceback" not in err and err.strip().count("\n") == 0
    assert err.startswith("smtp-tutor: cannot listen on 999.1.1.1:0: ") and "Unknown error" not in err


def test_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve("--port", str(port), env_home=tmp_path)
        _out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 2
    assert err.strip().endswith(f"cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "Traceback" not in err and err.strip().count("\n") == 0


def test_a_real_run_with_users_file_and_maildir_then_ctrl_c(tmp_path):
    users = tmp_path / "users"
    users.write_text("alice:wonderland\n", encoding="utf-8")
    process = serve("--port", "0", "--users", str(users), "--maildir", str(tmp_path / "mail"), "--seed", "1",
                    env_home=tmp_path / "state")
    try:
        port = listening_port(process)
        with smtplib.SMTP("127.0.0.1", port, timeout=WAIT) as client:
            client.login("alice", "wonderland")
            client.sendmail("alice@example.org", ["bob@example.net"], "Subject: hi\r\n\r\nhello\r\n")
        assert (tmp_path / "state" / "smtp-tutor" / "lab-cert.pem").is_file()   # made on first use
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 0 and "stopped" in err and "Traceback" not in err
    assert "C: AUTH CRAM-MD5" in out and "wonderland" not in out   # smtplib prefers CRAM-MD5
    (stored,) = list((tmp_path / "mail" / "new").iterdir())
    assert stored.read_bytes().endswith(b"Subject: hi\r\n\r\nhello\r\n")


def test_sigterm_stops_cleanly_too(tmp_path):
    process = serve("--port", "0", "--quiet", env_home=tmp_path)
    try:
        listening_port(process)     # printed after the SIGTERM handler is installed (cli_serve._serve)
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 0 and "Traceback" not in err


def test_no_private_key_ships_with_the_package():
    """The lab certificate is made on the user's machine (issue 3): nothing key-like in tutor/ or lessons/."""
    shipped = [p for d in ("tutor", "lessons") for p in (ROOT / d).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts]
    assert shipped
    assert not [p for p in shipped if p.suffix in (".pem", ".key", ".crt", ".p12")]
    assert not [p for p in shipped if b"PRIVATE KEY-----" in p.read_bytes()]


def test_the_lab_key_is_made_on_first_use_readable_only_by_its_owner(tmp_path):
    from tutor.transport import tlscert

    cert, key = tlscert.lab_cert(tmp_path / "state")
    assert cert.is_file() and (key.stat().st_mode & 0o777) == 0o600
    made = key.read_bytes()
    assert tlscert.lab_cert(tmp_path / "state") == (cert, key) and key.read_bytes() == made   # made once, reused


@pytest.mark.parametrize("host, shown", [("127.0.0.1\x00", "127.0.0.1\\x00"), ("h\u00f6st", "h\\xc3\\xb6st"),
                                         ("\udcff", "\\xff"), ("", "")])
def test_a_host_with_a_bad_byte_is_one_line_and_exit_2(host, shown, capsys):
    assert main(["--host", host, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err == f"smtp-tutor serve: --host '{shown}': use a host name or an IP address (letters, digits, . : -)\n"


@pytest.mark.parametrize("option", [["--users"], ["--tls-cert", "/dev/zero", "--tls-key"]])
def test_files_serve_reads_are_capped(option, capsys):
    assert main([*option, "/dev/zero", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/dev/zero: not a regular file" in err


def test_a_huge_users_file_is_refused_before_it_is_read(tmp_path, capsys):
    users = tmp_path / "users"
    with users.open("wb") as out:
        out.truncate(64 * 1024 ** 2)   # sparse: costs no disk
    assert main(["--users", str(users), "--port", "0"]) == 2
    assert capsys.readouterr().err == (f"smtp-tutor serve: users file {users} is too big ({64 * 1024 ** 2} bytes; "
                                       f"at most {1024 ** 2})\n")


@pytest.mark.parametrize("args, message", [
    (["--max-per-ip", "0"], "--max-per-ip must be at least 1"),
    (["--max-session-time", "0"], "--max-session-time must be more than 0 seconds"),
])
def test_bad_limits_are_one_line(args, message, capsys):
    assert main(args + ["--port", "0"]) == 2
    assert capsys.readouterr().err == f"smtp-tutor serve: {message}\n"


def test_a_negative_delay_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["--auth-failure-delay", "-1"])
    assert "'-1' is not a number of seconds from 0 to 86400" in capsys.readouterr().err


def test_the_startup_line_says_what_is_kept_of_accepted_mail(tmp_path):
    process = serve("--port", "0", "--quiet", env_home=tmp_path)
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=WAIT * 3)
    assert "accepted mail: the newest 1000 messages' headers and SHA-256 in memory (bodies are not kept)" in line
    process = serve("--port", "0", "--quiet", "--maildir", str(tmp_path / "mail"), env_home=tmp_path)
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=WAIT * 3)
    assert f"accepted mail: written to Maildir {tmp_path / 'mail'} (at most 1 GiB this run)" in line


def _low_open_files(limit: int):
    import resource

    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return set_limit


def test_max_clients_above_the_open_files_limit_is_capped_and_said(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", "0", "--quiet",
                                "--max-clients", "5000"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=_low_open_files(200))  # noqa: PLW1509 - only setrlimit, async-signal-safe
    try:
        listening_port(process)
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=WAIT * 3)
    assert ("smtp-tutor serve: --max-clients 5000 does not fit the open-files limit (200, see ulimit -n): "
            "serving at most 136 clients") in err


def test_the_soft_open_files_limit_is_raised_when_the_hard_one_allows(tmp_path):
    script = ("import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (100, min(2000, resource.getrlimit("
              "resource.RLIMIT_NOFILE)[1]))); from tutor.transport.fdlimit import fit_open_files; "
              "print(fit_open_files(1000), *resource.getrlimit(resource.RLIMIT_NOFILE))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=WAIT * 3)
    hard = int(done.stdout.split()[-1])
    if hard >= 1064:   # 1000 clients and 64 spare files fit under the hard limit: the soft one is raised
        assert done.stdout.split(")")[1].split() == ["1064", str(hard)] and "(1000, None)" in done.stdout
    else:              # a machine with a low hard limit: capped, and said
        assert f"serving at most {hard - 64} clients" in done.stdout


EMFILE_SERVER = """
import asyncio, resource, sys
from tutor.sim import SimServer
from tutor.transport.asyncio_server import ServeConfig, SimService
resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))
async def main():
    service = SimService(lambda tls: SimServer("lab"), ServeConfig("127.0.0.1", 0, max_clients=1000,
                         max_per_ip=1000, log=lambda line: print(line, flush=True)))
    (_host, port, _kind), = await service.start()
    print("port", port, flush=True)
    await service.serve_forever()
asyncio.run(main())
"""


def test_running_out_of_open_files_is_logged_once_not_as_a_traceback_flood(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", EMFILE_SERVER], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    clients = []
    try:
        port = int(process.stdout.readline().split()[1])
        for _ in range(80):   # more than the 48 files the server may open
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=WAIT))
        lines = []
        while not any("out of system resource" in line for line in lines):
            lines.append(process.stdout.readline())
        for client in clients:
            client.close()
        other = socket.create_connection(("127.0.0.1", port), timeout=WAIT)   # served again once files are free
        assert other.recv(4) == b"220 "
        other.close()
    finally:
        for client in clients:
            client.close()
        process.terminate()
        out, err = process.communicate(timeout=WAIT * 3)
    log = "".join(lines) + out
    assert log.count("out of system resource") == 1 and "Too many open files" in log
    assert "Traceback" not in log + err


def test_the_state_directory_is_made_0700_and_an_open_one_is_tightened(tmp_path):
    from tutor.transport import tlscert

    state = tmp_path / "xdg" / "state" / "smtp-tutor"
    tlscert.lab_cert(state)
    assert (state.stat().st_mode & 0o777) == 0o700 and (state.parent.stat().st_mode & 0o777) == 0o700
    other = tmp_path / "other"
    other.mkdir(mode=0o755)
    os.chmod(other, 0o755)
    tlscert.lab_cert(other)
    assert (other.stat().st_mode & 0o777) == 0o700


def test_serve_makes_its_state_directory_0700_under_a_wide_umask(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"))
    process = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", "0", "--quiet"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: os.umask(0o022))  # noqa: PLW1509 - only umask, async-signal-safe
    try:
        listening_port(process)
    finally:
        process.terminate()
        process.communicate(timeout=WAIT * 3)
    assert ((tmp_path / "state" / "smtp-tutor").stat().st_mode & 0o777) == 0o700


def test_the_security_note_states_the_limits_serve_enforces():
    from tutor.transport import serve_config as limits

    note = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in note.splitlines()
            if line.startswith("| ") and not line.startswith("| Limit")}
    assert rows["Clients at once"].startswith(f"{limits.MAX_CLIENTS} ")
    assert rows["Clients at once from one address"].startswith(f"{limits.MAX_PER_IP} ")
    assert rows["Idle time before 421"].startswith(f"{limits.IDLE_TIMEOUT:g} s")
    assert rows["Session length, however busy"] == f"{limits.SESSION_LIFETIME:g} s"
    assert rows["TLS handshake (STARTTLS or implicit TLS)"] == f"{limits.HANDSHAKE_TIMEOUT:g} s"
    assert rows["Delay before each failed-AUTH reply (535)"].startswith(f"{limits.AUTH_FAILURE_DELAY:g} s")
    assert rows["Unsent replies before `serve` stops reading a client"].startswith(
        f"{limits.WRITE_HIGH_WATER // 1024} KiB (resumes below {limits.WRITE_LOW_WATER // 1024} KiB)")
    assert rows["Time for a closed session's last replies to drain"].startswith(f"{limits.CLOSE_GRACE:g} s")
    assert "## Other inputs" in note and "TODO" not in note


def test_the_security_note_states_the_classroom_views_bounds():
    from tutor.classroom import feed, memo, model
    from tutor.sim import output
    from tutor.transport import serve_session

    note = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in note.splitlines()
            if line.startswith("| ")}
    kept = rows["The classroom view's rows (`--dashboard`, `--web`, `--report`)"]
    assert kept.startswith(f"the {model.MAX_SESSIONS} sessions that started last")
    assert f"the last {model.KEEP_DETAIL} ended" in kept and f"{model.MAX_STUDENTS:,} accounts" in kept
    queued = rows["Sessions queued for the classroom view to read"]
    assert queued.startswith(f"the {model.MAX_SESSIONS} newest and {feed.PASS_EVERY} more")
    assert f"{serve_session.VIEW_STEPS} at most" in queued
    assert (f"{memo.MAX_REMEMBERED:,} states and steps, {memo.MAX_AFTER} steps and {memo.MAX_RUNS} runs of at most "
            f"{memo.RUN_STEPS} steps from one state, none over {memo.MAX_KEY_TEXT:,} characters") in queued
    assert f"one client line shared: {output.SHARED_LINES:,} lines of at most {output.SHARED_LINE_SIZE:,}" in queued


def test_serve_leaves_its_start_up_out_of_collections_and_collects_the_young_less_often():
    import gc

    from tutor.cli import serve as cli_serve

    before = gc.get_threshold()
    try:
        cli_serve._freeze_garbage_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (cli_serve.YOUNG_COLLECTION, before[1], before[2])
        assert before[0] < cli_serve.YOUNG_COLLECTION
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
