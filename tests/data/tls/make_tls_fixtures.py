"""Make the TLS fixtures of this folder: real captures of real clients logging in to `smtp-tutor serve` over
STARTTLS and implicit TLS on 127.0.0.1, each with the NSS key log its client wrote. Run as root (tcpdump on lo):

    .venv/bin/python tests/data/tls/make_tls_fixtures.py [--only NAME]

The keys are throwaway lab keys of sessions with the built-in lab account tim / tanstaaftanstaaf.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
USER, PASSWORD = "tim", "tanstaaftanstaaf"
WAIT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def python_client(port: int, keylog: Path, *, implicit: bool, version: ssl.TLSVersion, ciphers: str | None,
                  etm: bool = True) -> None:
    """smtplib with an ssl context that logs its keys; AUTH PLAIN forced (smtplib would pick CRAM-MD5)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE     # serve's self-signed lab certificate
    context.minimum_version = context.maximum_version = version
    if ciphers:
        context.set_ciphers(ciphers)
    if not etm:
        context.options |= 0x80000      # SSL_OP_NO_ENCRYPT_THEN_MAC (OpenSSL 3): MAC-then-encrypt CBC records
    context.keylog_filename = str(keylog)
    if implicit:
        client = smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=WAIT)
    else:
        client = smtplib.SMTP("127.0.0.1", port, timeout=WAIT)
        client.ehlo("fixture.test")
        client.starttls(context=context)
    client.ehlo("fixture.test")
    client.user, client.password = USER, PASSWORD
    client.auth("PLAIN", client.auth_plain)
    client.quit()


def curl_client(port: int, keylog: Path) -> None:
    """curl over STARTTLS, TLS 1.3 with ChaCha20-Poly1305, keys to SSLKEYLOGFILE; AUTH PLAIN."""
    env = dict(os.environ, SSLKEYLOGFILE=str(keylog))
    subprocess.run(["curl", "-s", "--ssl-reqd", "-k", "--tlsv1.3", "--tls13-ciphers", "TLS_CHACHA20_POLY1305_SHA256",
                    "--login-options", "AUTH=PLAIN", "--user", f"{USER}:{PASSWORD}", "--mail-from", "tim@lab.test",
                    "--mail-rcpt", "tim@lab.test", "--upload-file", "-", f"smtp://127.0.0.1:{port}"],
                   input=b"Subject: fixture\r\n\r\nhello\r\n", env=env, check=True, timeout=WAIT)


def openssl_client(port: int, keylog: Path, version: str, lines: list[str], *extra: str) -> str:
    """openssl s_client on implicit TLS, typing `lines` half a second apart (a line "K" is s_client's own
    command: a KeyUpdate that asks the server to update too; SMTP verbs in lower case, as "Q..." would quit)."""
    proc = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", version, "-keylogfile",
                             str(keylog), *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdin is not None
    for line in lines:
        time.sleep(0.5)
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()
    time.sleep(0.5)
    out, _ = proc.communicate(timeout=WAIT)
    return out.decode(errors="replace")


PLAIN_LINE = "auth plain AHRpbQB0YW5zdGFhZnRhbnN0YWFm"


def openssl_keyupdate(port: int, keylog: Path) -> None:
    out = openssl_client(port, keylog, "-tls1_3", ["ehlo fixture.test", "K", PLAIN_LINE, "quit"])
    assert "KEYUPDATE" in out and "235 " in out, out


def openssl_resumed(port: int, keylog: Path) -> None:
    """Two TLS 1.2 connections; the second resumes the first's session (abbreviated handshake: the server
    sends ChangeCipherSpec first)."""
    with tempfile.TemporaryDirectory() as tmp:
        session = str(Path(tmp) / "session.pem")
        openssl_client(port, keylog, "-tls1_2", ["ehlo first.test", "quit"], "-sess_out", session)
        out = openssl_client(port, keylog, "-tls1_2", ["ehlo fixture.test", PLAIN_LINE, "quit"], "-sess_in", session)
    assert "Reused, TLSv1.2" in out and "235 " in out, out


def hostile_client(port: int, keylog: Path) -> None:
    """smtplib over implicit TLS 1.3 sending terminal escape sequences inside TLS: an EHLO name with an OSC
    title change and a PLAIN authcid with a clear-screen (the server refuses the login: 535)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.keylog_filename = str(keylog)
    client = smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=WAIT)
    client.ehlo("\x1b]0;PWNED\x07evil.example")
    client.user, client.password = "tim\x1b[2J", "x\x1b[31mred"
    try:
        client.auth("PLAIN", client.auth_plain)
    except smtplib.SMTPAuthenticationError:
        pass
    client.quit()


TLS12, TLS13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
CASES = {   # name: (implicit TLS?, client)
    "starttls_tls13_aes256gcm": (False, lambda p, k: python_client(p, k, implicit=False, version=TLS13, ciphers=None)),
    "implicit_tls13_aes256gcm": (True, lambda p, k: python_client(p, k, implicit=True, version=TLS13, ciphers=None)),
    "starttls_tls12_aes128gcm": (False, lambda p, k: python_client(p, k, implicit=False, version=TLS12,
                                                                  ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")),
    "implicit_tls12_chacha20": (True, lambda p, k: python_client(p, k, implicit=True, version=TLS12,
                                                                ciphers="ECDHE-ECDSA-CHACHA20-POLY1305")),
    "starttls_tls12_aes256cbc_sha384_etm": (False, lambda p, k: python_client(p, k, implicit=False, version=TLS12,
                                                                      ciphers="ECDHE-ECDSA-AES256-SHA384")),
    "implicit_tls12_aes128cbc_sha256_mte": (True, lambda p, k: python_client(p, k, implicit=True, version=TLS12,
                                                                     ciphers="ECDHE-ECDSA-AES128-SHA256", etm=False)),
    "starttls_tls13_chacha20_curl": (False, curl_client),
    "implicit_tls13_keyupdate_openssl": (True, openssl_keyupdate),
    "implicit_tls12_resumed_openssl": (True, openssl_resumed),
    "implicit_tls13_hostile_escapes": (True, hostile_client),
}


def make(name: str, serve_ports: tuple[int, int], work: Path) -> None:
    implicit, client = CASES[name]
    port = serve_ports[1] if implicit else serve_ports[0]
    pcap, keylog = HERE / f"{name}.pcap", HERE / f"{name}.keys"
    keylog.unlink(missing_ok=True)
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-s", "0", "-w", str(pcap),
                             f"tcp port {port}"],
                            stderr=subprocess.PIPE)
    try:
        assert dump.stderr is not None
        while b"listening on" not in (line := dump.stderr.readline()):
            if not line:
                raise SystemExit(f"tcpdump did not start for {pcap.name}")
        time.sleep(1.0)                         # tcpdump says "listening" a moment before packets are kept
        client(port, keylog)
        time.sleep(1.0)                         # let the last FIN/ACK be captured and written
    finally:
        dump.terminate()
        _, err = dump.communicate(timeout=WAIT)
        print(err.decode(errors="replace").strip().replace("\n", "; "))
    print(f"{pcap.name}: {pcap.stat().st_size} bytes, {keylog.name}: {len(keylog.read_text().splitlines())} lines")


def embed(name: str) -> None:
    """The keys put inside a pcapng copy of a capture, as Wireshark's editcap does (Decryption Secrets Block)."""
    out = HERE / f"{name}_embedded.pcapng"
    subprocess.run(["editcap", "--inject-secrets", f"tls,{HERE / (name + '.keys')}", str(HERE / f"{name}.pcap"),
                    str(out)], check=True, timeout=WAIT)
    print(f"{out.name}: {out.stat().st_size} bytes (editcap --inject-secrets)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CASES))
    args = parser.parse_args()
    plain, implicit = free_port(), free_port()
    exe = shutil.which("smtp-tutor", path=str(ROOT / ".venv" / "bin")) or "smtp-tutor"
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen([exe, "serve", "--port", str(plain), "--implicit-tls-port", str(implicit),
                                   "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: port_open(plain) and port_open(implicit), "smtp-tutor serve")
            for name in [args.only] if args.only else CASES:
                make(name, (plain, implicit), Path(tmp))
            if args.only in (None, "starttls_tls13_aes256gcm"):
                embed("starttls_tls13_aes256gcm")
        finally:
            server.terminate()
            server.wait(timeout=WAIT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
