"""Test helpers for the simulator and `serve`: an in-memory talker, a server on a loopback port in a thread,
and `need()` and `msmtp()` for real peer programs (skip on a laptop, fail under CI=true)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tutor.sim import Accounts, SimServer, Sink
from tutor.transport.asyncio_server import ServeConfig, SimService

CRLF = b"\r\n"
WAIT = 10.0   # upper bound for any single wait in these tests, in seconds


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    """Poll `condition` until it holds (instead of a fixed sleep); fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def need(program: str) -> str:
    """The path of a peer program; pytest.skip without it, or pytest.fail when CI=true (it must be installed)."""
    path = shutil.which(program)
    if path:
        return path
    reason = f"{program} is not installed (scripts/ci-install-peers.sh installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def msmtp(port: int, tmp_path: Path, auth: str, *, password: str = "tanstaaftanstaaf",
          tls_lines: str = "tls off\n", subject: str = "interop msmtp",
          body: str = "hello from msmtp") -> subprocess.CompletedProcess:
    """Send one message as tim through msmtp (a real client) to 127.0.0.1:port with `auth`."""
    config = tmp_path / "msmtprc"
    config.write_text(f"account lab\nhost 127.0.0.1\nport {port}\nfrom tim@example.org\n{tls_lines}"
                      f"auth {auth}\nuser tim\npassword {password}\ntimeout 10\n", encoding="utf-8")
    os.chmod(config, 0o600)   # msmtp refuses a config file with a password that others can read
    message = f"From: tim@example.org\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()
    command = [need("msmtp"), "-C", str(config), "-a", "lab", "--debug", "a@example.net"]
    return subprocess.run(command, input=message, capture_output=True, timeout=WAIT * 3, check=False)


class Talk:
    """A client typing lines at a SimServer in memory; each call returns the reply lines as text."""

    def __init__(self, profile: str = "lab", **options) -> None:
        self.server = SimServer(profile, **options)
        self.greeting = self.server.connect()
        self.last = self.greeting

    def raw(self, data: bytes):
        self.last = self.server.receive(data)
        return self.last

    def send(self, *lines: str | bytes) -> list[str]:
        """Send the lines in one chunk (pipelined); all reply lines that came back, without CRLF."""
        data = b"".join((line.encode() if isinstance(line, str) else line) + CRLF for line in lines)
        return self.raw(data).data.decode("utf-8", "replace").split("\r\n")[:-1]

    def __call__(self, line: str | bytes) -> str:
        """One line sent; the reply lines joined by newlines."""
        return "\n".join(self.send(line))

    def notes(self) -> list[str]:
        return [note.key for note in self.last.notes]


def lab_tls(directory: Path):
    """A server SSLContext with a lab certificate made in `directory`, and the certificate's path."""
    from tutor.transport import tlscert

    cert, key = tlscert.lab_cert(directory)
    return tlscert.server_context(cert, key), cert


class ServerThread:
    """`serve` on 127.0.0.1 port 0 in a background event loop; a context manager; every wait is bounded."""

    def __init__(self, profile: str = "lab", *, tls=None, implicit: bool = False, accounts: Accounts | None = None,
                 show_secrets: bool = False, max_clients: int = 100, idle_timeout: float = 300.0,
                 record=None, serve_options: dict | None = None, **sim_options) -> None:
        self.sink = Sink()
        self.log: list[str] = []
        self._factory = lambda tls_ok: SimServer(profile, accounts, sink=self.sink, starttls=tls_ok, **sim_options)
        self._config = ServeConfig("127.0.0.1", 0, 0 if implicit else None, tls, max_clients, idle_timeout,
                                   show_secrets=show_secrets, log=self.log.append, record=record,
                                   **{"auth_failure_delay": 0.0, **(serve_options or {})})
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.service: SimService | None = None
        self.port = self.implicit_port = 0

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self.service = SimService(self._factory, self._config)
        addresses = asyncio.run_coroutine_threadsafe(self.service.start(), self._loop).result(WAIT)
        for _host, port, kind in addresses:
            if kind == "plain":
                self.port = port
            else:
                self.implicit_port = port
        return self

    def __exit__(self, *exc) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.service.stop(), self._loop).result(WAIT)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(WAIT)
            self._loop.close()

    def call(self, fn, *args):
        """Run fn(*args) on the server's loop and return its result."""
        async def wrapper():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(WAIT)
