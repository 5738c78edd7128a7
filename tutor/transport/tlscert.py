"""TLS for `serve`: the server-side SSLContext, a self-signed lab certificate made on first use, handshake errors.

No private key ships with the package: the lab key is made on the user's machine with the `openssl`
command (or the `cryptography` package, if it happens to be installed) and kept in the XDG state directory.
"""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import ssl
import subprocess
from pathlib import Path

from tutor.errors import TransportError

CERT_NAME, KEY_NAME = "lab-cert.pem", "lab-key.pem"
SUBJECT = "/CN=localhost/O=smtp-auth-tutor lab (self-signed)"
DAYS = 825


def state_dir() -> Path:
    """$XDG_STATE_HOME/smtp-tutor, or ~/.local/state/smtp-tutor."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "smtp-tutor"


def private_dir(directory: Path) -> Path:
    """Make `directory` (and any missing parent) mode 0700, as the XDG spec asks; tighten it if it is ours.

    The state directory holds the lab key and (from other commands) history and progress: no one else's business.
    """
    missing = []
    for level in (directory, *directory.parents):
        if level.exists():
            break
        missing.append(level)
    for level in reversed(missing):
        try:
            level.mkdir(mode=0o700)
        except FileExistsError:
            pass
    info = directory.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        os.chmod(directory, 0o700)
    return directory


def lab_cert(directory: Path | None = None, names: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """The lab certificate and key, made now if they do not exist yet. TransportError if they cannot be made.

    `names` (host names and IP addresses, e.g. the LAN address serve listens on) are added to the certificate's
    subjectAltName beside localhost, in a certificate of their own (lab-cert-<digest of the names>.pem)."""
    directory = directory or state_dir()
    cert, key = directory / CERT_NAME, directory / KEY_NAME
    names = tuple(sorted(set(names) - {"localhost", "127.0.0.1", "::1"}))
    if names:
        import hashlib
        tag = hashlib.sha256(" ".join(names).encode()).hexdigest()[:10]
        cert, key = directory / f"lab-cert-{tag}.pem", directory / f"lab-key-{tag}.pem"
    if cert.is_file() and key.is_file():
        return cert, key
    try:
        private_dir(directory)
    except OSError as exc:
        raise TransportError(f"cannot make {directory} for the lab TLS certificate: {exc.strerror}") from None
    tmp_cert, tmp_key = directory / f".{CERT_NAME}.{os.getpid()}", directory / f".{KEY_NAME}.{os.getpid()}"
    try:
        _make(tmp_cert, tmp_key, names)
        os.chmod(tmp_key, 0o600)
        os.replace(tmp_key, key)
        os.replace(tmp_cert, cert)
    finally:
        for leftover in (tmp_cert, tmp_key):
            leftover.unlink(missing_ok=True)
    return cert, key


def alt_names(names: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """("DNS" | "IP", value) for the subjectAltName: localhost and loopback, then `names`."""
    import ipaddress

    out = [("DNS", "localhost"), ("IP", "127.0.0.1"), ("IP", "::1")]
    for name in names:
        try:
            out.append(("IP", str(ipaddress.ip_address(name))))
        except ValueError:
            out.append(("DNS", name))
    return out


def _make(cert: Path, key: Path, names: tuple[str, ...] = ()) -> None:
    openssl = shutil.which("openssl")
    if openssl:
        _make_with_openssl(openssl, cert, key, names)
        return
    try:
        import cryptography  # noqa: F401  (optional; never a dependency)
    except ImportError:
        raise TransportError("no TLS certificate: openssl was not found to make a lab certificate; "
                             "give --tls-cert FILE --tls-key FILE to offer STARTTLS") from None
    _make_with_cryptography(cert, key, names)


def _make_with_openssl(openssl: str, cert: Path, key: Path, names: tuple[str, ...] = ()) -> None:
    alt = "subjectAltName=" + ",".join(f"{kind}:{value}" for kind, value in alt_names(names))
    command = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", str(key), "-out", str(cert), "-days", str(DAYS), "-subj", SUBJECT, "-addext", alt]
    old = os.umask(0o077)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TransportError(f"cannot run openssl to make the lab certificate: {exc}") from None
    finally:
        os.umask(old)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise TransportError(f"openssl could not make the lab certificate: {last}")


def _make_with_cryptography(cert: Path, key: Path, names: tuple[str, ...] = ()) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    alt = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(value)) if kind == "IP"
                                       else x509.DNSName(value) for kind, value in alt_names(names)])
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now)
             .not_valid_after(now + datetime.timedelta(days=DAYS)).add_extension(alt, critical=False)
             .sign(private, hashes.SHA256()))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))


def server_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    """A server-side context with this certificate and key; TransportError (one line) if they cannot be used."""
    for what, path in (("certificate", cert), ("key", key)):
        if not Path(path).is_file():
            raise TransportError(f"TLS {what} file not found: {path}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)

    def encrypted() -> bytes:   # called only for a passphrase-protected key: never ask on the terminal
        raise TransportError(f"the TLS key {key} is encrypted with a passphrase; give an unencrypted key")

    try:
        context.load_cert_chain(str(cert), str(key), password=encrypted)
    except ssl.SSLError as exc:
        raise TransportError(f"cannot use TLS certificate {cert} with key {key}: {_ssl_reason(exc)}") from None
    except OSError as exc:
        raise TransportError(f"cannot use TLS certificate {cert} with key {key}: {exc.strerror or exc}") from None
    return context


def _ssl_reason(exc: ssl.SSLError) -> str:
    """OpenSSL's complaint in words a user can act on."""
    if exc.reason == "KEY_VALUES_MISMATCH":
        return "the key does not belong to the certificate"
    if "PEM lib" in str(exc):
        return "they are not a PEM certificate and its PEM private key"
    return str(exc)


def lan_names(host: str) -> tuple[str, ...]:
    """The names a classmate may use to reach `host`: the address itself, or for a wildcard (0.0.0.0, ::) this
    machine's name and its address on the network (found by routing a UDP socket: no packet is sent)."""
    import socket

    if host not in ("0.0.0.0", "::", ""):
        return (host,)
    names = {socket.gethostname()}
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))            # TEST-NET / documentation addresses: only a route lookup
                names.add(sock.getsockname()[0])
        except OSError:
            continue
    return tuple(sorted(n for n in names if n))


def handshake_failure(exc: BaseException) -> str:
    """Why a TLS handshake failed, in a few words for the log."""
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or exc.strerror or type(exc).__name__
        return f"TLS error: {str(reason).replace('_', ' ').lower()}"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) or "taking longer" in str(exc):
        return "timeout (no complete handshake in time)"
    if isinstance(exc, ConnectionResetError):
        return "connection reset" if exc.errno == errno.ECONNRESET else "the client closed the connection"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__
