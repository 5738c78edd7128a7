"""Test helpers for the live transports: certificates made with the openssl CLI, and a scripted server thread
on a loopback port (127.0.0.1 or ::1, port 0). Every wait is bounded by WAIT."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from peers import WAIT, need


@dataclass(frozen=True)
class Certs:
    """A test CA and server certificates: good (localhost, 127.0.0.1, ::1), other-name, expired, self-signed."""

    ca: Path
    good: tuple[Path, Path]
    wrong_host: tuple[Path, Path]
    expired: tuple[Path, Path]
    self_signed: tuple[Path, Path]

    def server_context(self, which: str) -> ssl.SSLContext:
        cert, key = getattr(self, which)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return context


CA_CONFIG = """[ ca ]
default_ca = test_ca
[ test_ca ]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
"""
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
LOCAL_NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"


def _openssl(*args: str) -> None:
    done = subprocess.run([need("openssl"), *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def _leaf(d: Path, name: str, cn: str, names: str, *dates: str) -> tuple[Path, Path]:
    """A key and a certificate signed by the test CA; `dates` = (start, end) as YYYYMMDDHHMMSSZ, or ()."""
    key, csr, cert = d / f"{name}-key.pem", d / f"{name}.csr", d / f"{name}.pem"
    _openssl("req", "-new", *EC, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=" + cn, "-addext", names)
    validity = ["-startdate", dates[0], "-enddate", dates[1]] if dates else ["-days", "30"]
    _openssl("ca", "-batch", "-config", str(d / "ca.cnf"), "-keyfile", str(d / "ca-key.pem"), "-cert",
             str(d / "ca.pem"), "-in", str(csr), "-out", str(cert), "-notext", *validity)
    return cert, key


def make_certs(d: Path) -> Certs:
    (d / "ca.cnf").write_text(CA_CONFIG.format(dir=d))
    (d / "index.txt").write_text("")
    (d / "serial").write_text("01\n")
    _openssl("req", "-x509", *EC, "-keyout", str(d / "ca-key.pem"), "-out", str(d / "ca.pem"), "-days", "30",
             "-subj", "/CN=Tutor Test CA/O=smtp-auth-tutor tests")
    self_cert, self_key = d / "self.pem", d / "self-key.pem"
    _openssl("req", "-x509", *EC, "-keyout", str(self_key), "-out", str(self_cert), "-days", "30",
             "-subj", "/CN=localhost", "-addext", LOCAL_NAMES)
    return Certs(d / "ca.pem", _leaf(d, "good", "localhost", LOCAL_NAMES),
                 _leaf(d, "other", "other.example", "subjectAltName=DNS:other.example"),
                 _leaf(d, "expired", "localhost", LOCAL_NAMES, "20200101000000Z", "20200102000000Z"),
                 (self_cert, self_key))


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


Handler = Callable[[socket.socket, "Scripted"], None]


class Scripted:
    """A one-connection server on loopback port 0 running `handler(conn, self)` in a thread; a context manager.

    `events` lets the handler and the test step in lock-step; `error` keeps what the handler raised.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.bind((host, 0))
        self.listener.listen(1)
        self.listener.settimeout(WAIT)
        self.host, self.port = host, self.listener.getsockname()[1]
        self.handler = handler
        self.events = {name: threading.Event() for name in ("sent", "go", "done")}
        self.received = bytearray()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Scripted:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.events["go"].set()
        self._thread.join(WAIT)
        self.listener.close()

    def _run(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError as exc:
            self.error = exc
            return
        conn.settimeout(WAIT)
        try:
            self.handler(conn, self)
        except (OSError, ssl.SSLError) as exc:
            self.error = exc
        finally:
            conn.close()
            self.events["done"].set()

    def read_line(self, conn: socket.socket) -> bytes:
        """One line from the client (bytes up to CRLF), also kept in `received`."""
        line = bytearray()
        while not line.endswith(b"\r\n"):
            chunk = conn.recv(1)
            if not chunk:
                break
            line += chunk
        self.received += line
        return bytes(line)


def skip_or_fail(reason: str) -> None:
    import os

    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
