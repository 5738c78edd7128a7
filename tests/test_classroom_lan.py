"""Listening beyond loopback: the warning names what a sniffer sees, and the lab certificate made for the LAN
name and address works with STARTTLS and implicit TLS (checked on 127.0.0.1 with the LAN name as SNI and the
certificate as the only trusted one, so no packet leaves the machine)."""

import os
import smtplib
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from peers import WAIT, ServerThread

from tutor.transport import tlscert

ROOT = Path(__file__).resolve().parent.parent
LAN_IP, LAN_NAME = "192.168.50.7", "classroom-pc.lan"


@pytest.fixture(scope="module")
def lan_cert(tmp_path_factory):
    directory = tmp_path_factory.mktemp("state")
    cert, key = tlscert.lab_cert(directory, names=(LAN_IP, LAN_NAME))
    return cert, key


def verifying(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))     # trusts only the lab certificate
    return context


def test_certificate_names_the_lan_address_and_name(lan_cert):
    cert, key = lan_cert
    assert cert.name.startswith("lab-cert-") and key.stat().st_mode & 0o777 == 0o600
    decoded = ssl._ssl._test_decode_cert(str(cert))
    assert set(decoded["subjectAltName"]) >= {("DNS", "localhost"), ("IP Address", "127.0.0.1"),
                                             ("IP Address", LAN_IP), ("DNS", LAN_NAME)}
    again, _ = tlscert.lab_cert(cert.parent, names=(LAN_NAME, LAN_IP))
    assert again == cert                                        # made once per set of names


def test_starttls_and_implicit_tls_verify_against_the_lan_name(lan_cert):
    cert, key = lan_cert
    context = tlscert.server_context(cert, key)
    with ServerThread(tls=context, implicit=True) as server:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT) as client:
            client._host = LAN_NAME                             # the name the student typed: SNI and the check
            client.starttls(context=verifying(cert))
            client.login("tim", "tanstaaftanstaaf")
        with smtplib.SMTP_SSL("127.0.0.1", server.implicit_port, timeout=WAIT, context=verifying(cert)) as client:
            pass                                                # handshake without a name: IP 127.0.0.1 is in it
        raw = ssl.create_default_context(cafile=str(cert)).wrap_socket(
            __import__("socket").create_connection(("127.0.0.1", server.implicit_port), timeout=WAIT),
            server_hostname=LAN_IP)
        assert raw.recv(4) == b"220 "                            # the LAN address verifies too
        raw.close()


def test_serve_beyond_loopback_warns_and_makes_the_lan_certificate(tmp_path):
    unshare = __import__("shutil").which("unshare")
    if not unshare or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        reason = "needs unshare -n (a private network namespace) to listen on 0.0.0.0 safely"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (required under CI)")
        pytest.skip(reason)
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path))
    script = ("import subprocess,sys,time;"
              "p=subprocess.Popen([sys.executable,'-m','tutor.cli.serve','--host','0.0.0.0','--port','0','--quiet'],"
              "stdout=subprocess.PIPE,stderr=subprocess.PIPE,text=True);"
              "line=p.stdout.readline();p.terminate();out,err=p.communicate(timeout=10);print(line);print(err)")
    done = subprocess.run([unshare, "-n", sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=WAIT * 3)
    assert "listening on 0.0.0.0:" in done.stdout, done.stderr
    assert "beyond this machine" in done.stdout and "PLAIN LOGIN" in done.stdout and "sniffer" in done.stdout
    assert "TLS certificate for" in done.stdout and "lab-cert-" in done.stdout
