"""The live transport: a TCP connection to a real SMTP server (IPv4 or IPv6), upgraded by STARTTLS or TLS from the
start.

Every wait is bounded: connecting, the TLS handshake and sending use `timeout`; `receive(t)` waits at most
`t` seconds and raises ReadTimeout, so a silent or slow server never holds the prompt. Failures are
TransportError with one line a learner can act on.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from functools import lru_cache

from tutor import explain
from tutor.errors import InputError, TransportError
from tutor.transport import address as addr
from tutor.transport import tls as tls_mod
from tutor.transport.base import ReadTimeout, TlsInfo

T = explain.text
CHUNK = 65536


class TcpTransport:
    """A Transport over a connected socket; `start_tls()` wraps the same socket (RFC 3207)."""

    is_simulator = False

    def __init__(self, sock: socket.socket, where: addr.Address, *, context: ssl.SSLContext,
                 server_hostname: str, timeout: float, insecure: bool, implicit: bool = False) -> None:
        self._sock = sock
        self.address = where
        self.timeout = timeout
        self.insecure = insecure
        self.implicit = implicit
        self.tls_info: TlsInfo | None = None
        self._context = context
        self._server_hostname = server_hostname
        self._eof = self._closed = False
        self.peer = _peer_ip(sock)
        self.loopback = addr.is_loopback(self.peer or where.host)
        self.description = f"{'smtps' if implicit else 'smtp'}://{where}"

    # ---- what the REPL may ask ---------------------------------------------------------------------
    @property
    def tls(self) -> bool:
        return self.tls_info is not None

    @property
    def cleartext_exposed(self) -> bool:
        """True while whatever we send can be read by anyone on the path: no TLS, and not loopback."""
        return not self.tls and not self.loopback

    def notes(self) -> list:
        return []   # a real server does not tell us what it thinks

    # ---- bytes -------------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if self._closed:
            raise TransportError(T("transport.error.closed"))
        try:
            self._wait(self.timeout)
            self._sock.sendall(data)
        except TimeoutError:
            raise TransportError(T("transport.error.send-timeout", seconds=f"{self.timeout:g}")) from None
        except OSError as exc:
            raise TransportError(_io_error(exc)) from None

    def receive(self, timeout: float = 0.0) -> bytes:
        """What arrived within `timeout` s (0: only what is already here); b"" once the server closed."""
        if self._closed or self._eof:
            return b""
        try:
            self._wait(timeout if timeout > 0 else 0.0)
            data = self._sock.recv(CHUNK)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, TimeoutError):
            raise ReadTimeout(_read_timeout(timeout)) from None
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            data = b""
        except OSError as exc:
            raise TransportError(_io_error(exc)) from None
        if not data:
            self._eof = True
        return data

    def _wait(self, seconds: float) -> None:
        """settimeout only when it changes (the pump alternates a wait with a look at what is left)."""
        if self._sock.gettimeout() != seconds:
            self._sock.settimeout(seconds)

    # ---- TLS ---------------------------------------------------------------------------------------
    def start_tls(self) -> TlsInfo:
        """The STARTTLS handshake, after the server's 220 (RFC 3207 §4).

        Clear text already waiting in the socket is read and thrown away first (RFC 3207 §4.2: nothing
        the server sent before the handshake may be used; STARTTLS injection), and counted in the TlsInfo.
        """
        if self.tls_info is not None:
            raise TransportError(T("transport.error.tls-twice"))
        if self._closed or self._eof:
            raise TransportError(T("transport.error.closed"))
        return self._handshake(discarded=self._drain())

    def _handshake(self, discarded: int = 0) -> TlsInfo:
        try:
            self._sock = tls_mod.handshake(self._sock, self._context, self._server_hostname, self.timeout)
        except BaseException:
            self._closed = True   # tls.handshake closed the socket: nothing half-done stays usable
            raise
        self.tls_info = tls_mod.describe(self._sock, verified=not self.insecure, discarded=discarded)
        return self.tls_info

    def _drain(self) -> int:
        total = 0
        self._sock.settimeout(0.0)
        while True:
            try:
                chunk = self._sock.recv(CHUNK)
            except OSError:   # BlockingIOError: nothing more is waiting
                return total
            if not chunk:
                return total
            total += len(chunk)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass


def connect(host: str, port: int, *, starttls: bool = False, tls: bool = False, insecure: bool = False,
            cafile: str | None = None, timeout: float = 10.0, server_hostname: str | None = None,
            keylog: str | None = None) -> TcpTransport:
    """Connect to host:port; with `tls` do the handshake before the greeting (implicit TLS, RFC 8314 §3.3).

    `starttls` only says the learner means to send STARTTLS (any plain connection can do it).
    InputError for bad arguments, TransportError (one line) when the network or TLS says no.
    """
    if starttls and tls:
        raise InputError(T("transport.error.both-tls"))
    if not 0 < port < 65536:
        raise InputError(T("transport.error.bad-port", port=port))
    if not timeout > 0:
        raise InputError(T("transport.error.bad-timeout", seconds=timeout))
    host = host.strip().strip("[]")
    context = tls_mod.client_context(insecure=insecure, cafile=cafile, keylog=keylog)   # keylog: --keylog FILE
    where = addr.Address(host, port)
    sock = _open(where, timeout)
    try:
        transport = TcpTransport(sock, where, context=context, server_hostname=server_hostname or host,
                                 timeout=timeout, insecure=insecure, implicit=tls)
        if tls:
            try:
                transport._handshake()
            except TransportError as exc:
                raise TransportError(T("transport.error.tls-connect", where=str(where), error=str(exc))) from None
    except BaseException:
        sock.close()
        raise
    return transport


def _resolve(where: addr.Address, timeout: float) -> list:
    """getaddrinfo has no timeout of its own: ask in a helper thread and stop waiting after `timeout`."""
    result: list = []
    failure: list[BaseException] = []

    def lookup() -> None:
        try:
            result.extend(socket.getaddrinfo(where.host, where.port, type=socket.SOCK_STREAM))
        except BaseException as exc:   # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=lookup, name="dns-lookup", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise socket.gaierror(0, f"no answer from DNS within {timeout:g} s")
    if failure:
        raise failure[0]
    return result


def _open(where: addr.Address, timeout: float) -> socket.socket:
    """A connected socket, trying each address DNS gives (IPv6 and IPv4) until `timeout` runs out."""
    deadline = time.monotonic() + timeout
    try:
        infos = _resolve(where, timeout)
    except socket.gaierror as exc:
        raise TransportError(T("transport.error.dns", host=where.host, reason=exc.strerror or exc)) from None
    except UnicodeError:
        raise InputError(T("transport.error.dns", host=where.host, reason="not a valid host name")) from None
    last: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            sock.connect(sockaddr)
            # No TCP_NODELAY: with it, our EHLO right after the STARTTLS handshake can overtake the server's
            # TLS 1.3 session tickets, and a server that keeps Nagle on (Postfix) then holds its reply for
            # our delayed ACK: 40 ms stalls (docs/PERFORMANCE.md, "Live servers").
            return sock
        except OSError as exc:
            sock.close()
            last = exc
        except BaseException:   # Ctrl-C while connecting: leave nothing open
            sock.close()
            raise
    raise TransportError(_connect_error(last, where, timeout))


def _connect_error(exc: OSError | None, where: addr.Address, timeout: float) -> str:
    if exc is None or isinstance(exc, (socket.timeout, TimeoutError)):
        return T("transport.error.connect-timeout", where=str(where), seconds=f"{timeout:g}")
    if isinstance(exc, ConnectionRefusedError):
        return T("transport.error.refused", where=str(where))
    return T("transport.error.unreachable", where=str(where), reason=exc.strerror or exc)


def _io_error(exc: OSError) -> str:
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, ssl.SSLEOFError)):
        return T("transport.error.reset")
    return T("transport.error.io", reason=exc.strerror or getattr(exc, "reason", None) or exc)


@lru_cache(maxsize=16)
def _read_timeout(seconds: float) -> str:
    return T("transport.error.read-timeout", seconds=f"{seconds:g}")


def _peer_ip(sock: socket.socket) -> str:
    try:
        return str(sock.getpeername()[0])
    except (OSError, IndexError):
        return ""
