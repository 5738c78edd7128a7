#!/usr/bin/env python3
"""Regenerate tests/data/trace/: real swaks, curl, smtplib and openssl s_client output, a Postfix log excerpt
and a tcpdump pcap, made against the lab Postfix (scripts/lab-mta.sh start) and `smtp-tutor serve`.

Run as root (tcpdump) from the repository root: python scripts/make_trace_fixtures.py
`--only partial` makes the captures of partial sessions admins really hold (issue 12 §1: tcpdump -s 96, one
way only, started after the greeting, implicit TLS on an odd port, gzip-compressed) against `serve` alone (no
lab needed; see partial_fixtures). `--only extra` makes just the later additions (a Linux cooked capture of IPv4
and IPv6 sessions with `serve`, and a typed `openssl s_client -quiet` session on implicit TLS) and leaves the others
as they are.
The tests only read the files; they never need this script, the lab or the tools.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "trace"
LAB_ENV = Path(os.environ.get("LAB_MTA_ENV", "/var/tmp/smtp-tutor-lab/lab.env"))
SIM_PORT = 12525
SIM6_PORT = 12526


def lab() -> dict[str, str]:
    env = {}
    for line in LAB_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value.strip('"')
    return env


def save(name: str, command: list[str], stdin: bytes | None = None) -> None:
    """Run a tool and keep what it printed (stdout and stderr, as a user would paste it)."""
    result = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    (OUT / name).write_bytes(result.stdout)
    shown = shlex.join(command) if command[0] != sys.executable else "python smtplib script"
    print(f"{name}: {shown} -> exit {result.returncode}")


def smtplib_script(port: int, mech: str, user: str, password: str, level: int = 1) -> list[str]:
    code = f"""
import smtplib
s = smtplib.SMTP()
s.set_debuglevel({level})
s.connect('127.0.0.1', {port})
s.ehlo('client.example')
s.user, s.password = {user!r}, {password!r}
try:
    s.auth({mech!r}, getattr(s, 'auth_' + {mech!r}.lower().replace('-', '_')), initial_response_ok=False)
except smtplib.SMTPAuthenticationError as exc:
    print('failed:', exc.smtp_code)
s.quit()
"""
    return [sys.executable, "-c", code]


def openssl_pty(port: int, cafile: str) -> bytes:
    """openssl s_client in a pseudo-terminal, so the typed lines are echoed as in a pasted session."""
    import io

    import pexpect
    seen = io.BytesIO()
    child = pexpect.spawn("openssl", ["s_client", "-connect", f"127.0.0.1:{port}", "-starttls", "smtp", "-crlf",
                                      "-ign_eof", "-CAfile", cafile], timeout=15)
    child.logfile_read = seen
    child.expect(b"Verify return code")
    child.expect(b"---\r\n")
    time.sleep(0.5)
    for line, wait in ((b"EHLO laptop.example", b"250 "), (b"AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", b"235 "),
                       (b"QUIT", b"221 ")):
        child.sendline(line)
        child.expect(wait)
        child.expect(b"\r\n")
    child.expect(pexpect.EOF)
    return seen.getvalue().replace(b"\r\n", b"\n")


def openssl_quiet_pty(port: int, cafile: str) -> bytes:
    """`openssl s_client -quiet` on implicit TLS, typed in a pseudo-terminal: no report, only the verify lines,
    and the terminal's own line endings (the server's CRLF shown as CR CR LF) kept as a paste has them."""
    import io

    import pexpect
    seen = io.BytesIO()
    child = pexpect.spawn("openssl", ["s_client", "-connect", f"127.0.0.1:{port}", "-crlf", "-quiet",
                                      "-CAfile", cafile], timeout=15)
    child.logfile_read = seen
    child.expect(b"220 ")
    child.expect(b"\n")
    for line, wait in ((b"EHLO laptop.example", b"250 "), (b"AUTH LOGIN", b"334 "), (b"dGlt", b"334 "),
                       (b"d3Jvbmc=", b"535 "), (b"QUIT", b"221 ")):
        child.sendline(line)
        child.expect(wait)
        child.expect(b"\n")
    child.expect(pexpect.EOF)
    return seen.getvalue()


def wait_port(port: int, host: str = "127.0.0.1") -> None:
    for _ in range(100):
        try:
            socket.create_connection((host, port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:] == ["--only", "partial"]:
        partial_fixtures()
        return
    env = lab()
    if sys.argv[1:] == ["--only", "extra"]:
        extra_fixtures(env)
        return
    plain, starttls, cafile = env["LAB_PORT_PLAIN"], env["LAB_PORT_STARTTLS"], env["LAB_CAFILE"]
    serve = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", str(SIM_PORT), "--seed", "7"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", str(OUT / "lab_auth.pcap"),
                             f"tcp port {plain} or tcp port {starttls}"], stderr=subprocess.DEVNULL)
    try:
        wait_port(SIM_PORT)
        time.sleep(1.5)
        lab_fixtures(plain, starttls, cafile)
        sim_fixtures()
        time.sleep(1)
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(10)
        serve.send_signal(signal.SIGINT)
        serve.wait(10)
    log = Path(env["LAB_MTA_DIR"]) / "log" / "postfix.log"
    lines = [line for line in log.read_text().splitlines() if "smtpd[" in line][-40:]
    (OUT / "postfix_lab.log").write_text("\n".join(lines) + "\n")
    extra_fixtures(env)


def extra_fixtures(env: dict[str, str]) -> None:
    """tcpdump -i any (Linux cooked capture, SLL2) of swaks and curl against `serve` on 127.0.0.1 and ::1;
    openssl s_client -quiet typed on the lab's implicit-TLS port."""
    servers = [subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--host", host, "--port", str(port),
                                 "--seed", "7"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for host, port in (("127.0.0.1", SIM_PORT), ("::1", SIM6_PORT))]
    dump = subprocess.Popen(["tcpdump", "-i", "any", "-U", "-w", str(OUT / "serve_any_ipv4_ipv6.pcap"),
                             f"tcp port {SIM_PORT} or tcp port {SIM6_PORT}"], stderr=subprocess.DEVNULL)
    try:
        wait_port(SIM_PORT)
        wait_port(SIM6_PORT, "::1")
        time.sleep(1.5)
        for server, mech, user, password in ((f"127.0.0.1:{SIM_PORT}", "PLAIN", "tim", "tanstaaftanstaaf"),
                                             (f"[::1]:{SIM6_PORT}", "LOGIN", "demo", "demo"),
                                             (f"[::1]:{SIM6_PORT}", "CRAM-MD5", "tim", "tanstaaftanstaaf")):
            subprocess.run(["swaks", "--server", server, "--quit-after", "AUTH", "--ehlo", "laptop.example",
                            "--auth", mech, "--auth-user", user, "--auth-password", password],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        time.sleep(1)
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(10)
        for server in servers:
            server.send_signal(signal.SIGINT)
            server.wait(10)
    print("serve_any_ipv4_ipv6.pcap: tcpdump -i any (Linux cooked v2), swaks on IPv4 and IPv6")
    (OUT / "openssl_quiet_tls_lab.txt").write_bytes(openssl_quiet_pty(int(env["LAB_PORT_TLS"]), env["LAB_CAFILE"]))
    print("openssl_quiet_tls_lab.txt: openssl s_client -quiet on implicit TLS, in a pty")


def lab_fixtures(plain: str, starttls: str, cafile: str) -> None:
    swaks = ["swaks", "--server", f"127.0.0.1:{plain}", "--quit-after", "AUTH", "--ehlo", "laptop.example"]
    save("swaks_plain_lab.txt", swaks + ["--auth", "PLAIN", "--auth-user", "demo", "--auth-password", "demo"])
    save("swaks_login_bad_lab.txt", swaks + ["--auth", "LOGIN", "--auth-user", "tim", "--auth-password", "wrong"])
    save("swaks_cram_lab.txt", swaks + ["--auth", "CRAM-MD5", "--auth-user", "alice", "--auth-password", "wonderland"])
    save("swaks_starttls_lab.txt", ["swaks", "--server", f"127.0.0.1:{starttls}", "-tls", "--quit-after", "AUTH",
                                    "--ehlo", "laptop.example", "--auth", "LOGIN", "--auth-user", "tim",
                                    "--auth-password", "tanstaaftanstaaf"])
    save("curl_login_lab.txt", ["curl", "-v", "-s", f"smtp://127.0.0.1:{plain}", "--user", "demo:demo",
                                "--login-options", "AUTH=LOGIN", "--mail-from", "demo@example.com",
                                "--mail-rcpt", "x@example.com", "-T", "-"], stdin=b"Subject: hi\r\n\r\nhello\r\n")
    save("smtplib_cram_lab.txt", smtplib_script(int(plain), "CRAM-MD5", "alice", "wonderland", level=2))
    save("smtplib_plain_bad_lab.txt", smtplib_script(int(plain), "PLAIN", "tim", "not-the-password"))
    (OUT / "openssl_starttls_lab.txt").write_bytes(openssl_pty(int(starttls), cafile))
    print("openssl_starttls_lab.txt: openssl s_client -starttls smtp in a pty")


def sim_fixtures() -> None:
    swaks = ["swaks", "--server", f"127.0.0.1:{SIM_PORT}", "--quit-after", "AUTH", "--ehlo", "laptop.example"]
    save("swaks_login_sim.txt", swaks + ["--auth", "LOGIN", "--auth-user", "tim", "--auth-password",
                                         "tanstaaftanstaaf"])
    save("curl_plain_sim.txt", ["curl", "-v", "-s", f"smtp://127.0.0.1:{SIM_PORT}", "--user", "demo:demo",
                                "--login-options", "AUTH=PLAIN", "--mail-from", "demo@example.com",
                                "--mail-rcpt", "x@example.com", "-T", "-"], stdin=b"Subject: hi\r\n\r\nhello\r\n")
    save("smtplib_login_sim.txt", smtplib_script(SIM_PORT, "LOGIN", "demo", "demo"))


PARTIAL_PORT, PARTIAL_TLS_PORT = 12531, 12532
SWAKS_SERVE = [("PLAIN", "tim", "tanstaaftanstaaf"), ("LOGIN", "tim", "tanstaaftanstaaf"), ("LOGIN", "demo", "wrong"),
               ("CRAM-MD5", "tim", "tanstaaftanstaaf")]


def tcpdump(path: Path, expression: str, *options: str) -> subprocess.Popen:
    """tcpdump on loopback, started and listening (it says so on stderr) before this returns."""
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", *options, "-w", str(path), expression],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert dump.stderr is not None
    while b"listening on" not in (line := dump.stderr.readline()):
        if not line:
            raise SystemExit(f"tcpdump did not start for {path.name}")
    return dump


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(10)


def swaks_all(port: int, *extra: str) -> None:
    for mech, user, password in SWAKS_SERVE:
        subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--quit-after", "AUTH", "--ehlo", "laptop.example",
                        "--auth", mech, "--auth-user", user, "--auth-password", password, *extra],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


def partial_fixtures() -> None:
    """Against `smtp-tutor serve --seed 7` (users tim/tanstaaftanstaaf and demo/demo), each with swaks doing
    PLAIN tim (ok), LOGIN tim (ok), LOGIN demo/wrong (535), CRAM-MD5 tim (ok):
      snaplen96_serve.pcap     tcpdump -s 96 (every packet cut to 96 bytes: 30 bytes of TCP payload on lo)
      oneway_serve.pcap        tcpdump 'tcp dst port P': the client's half only
      oneway_serve.pcap.gz     the same, gzip -9
      tls_odd_port_serve.pcap  swaks --tls-on-connect to serve's --implicit-tls-port 12532 (not 465)
      midsession_serve.pcap    smtplib: connect and EHLO, then tcpdump starts, then login('demo', 'demo') (smtplib
                               picks CRAM-MD5, its first choice), a message, QUIT: the capture starts after the
                               greeting and EHLO"""
    import gzip
    import smtplib
    serve = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", str(PARTIAL_PORT), "--seed", "7",
                              "--implicit-tls-port", str(PARTIAL_TLS_PORT), "--quiet"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(PARTIAL_PORT)
        wait_port(PARTIAL_TLS_PORT)
        for name, expression, options in (("snaplen96_serve.pcap", f"tcp port {PARTIAL_PORT}", ("-s", "96")),
                                          ("oneway_serve.pcap", f"tcp dst port {PARTIAL_PORT}", ())):
            dump = tcpdump(OUT / name, expression, *options)
            swaks_all(PARTIAL_PORT)
            time.sleep(1)                   # let tcpdump -U write the last packets (not a test: a tool run)
            stop(dump)
            print(f"{name}: tcpdump {' '.join(options)} '{expression}', swaks x{len(SWAKS_SERVE)}")
        (OUT / "oneway_serve.pcap.gz").write_bytes(gzip.compress((OUT / "oneway_serve.pcap").read_bytes(), 9))
        dump = tcpdump(OUT / "tls_odd_port_serve.pcap", f"tcp port {PARTIAL_TLS_PORT}")
        subprocess.run(["swaks", "--server", f"127.0.0.1:{PARTIAL_TLS_PORT}", "--tls-on-connect", "--quit-after",
                        "AUTH", "--auth", "PLAIN", "--auth-user", "tim", "--auth-password", "tanstaaftanstaaf"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        time.sleep(1)
        stop(dump)
        print("tls_odd_port_serve.pcap: swaks --tls-on-connect to serve's implicit-TLS port")
        client = smtplib.SMTP("127.0.0.1", PARTIAL_PORT)
        client.ehlo("late.example")
        dump = tcpdump(OUT / "midsession_serve.pcap", f"tcp port {PARTIAL_PORT}")
        client.login("demo", "demo")        # smtplib picks CRAM-MD5 first when offered
        client.sendmail("demo@example.org", ["x@example.net"], "Subject: late\r\n\r\nhi\r\n")
        client.quit()
        time.sleep(1)
        stop(dump)
        print("midsession_serve.pcap: tcpdump started after smtplib's connect and EHLO")
    finally:
        stop(serve)


if __name__ == "__main__":
    main()
