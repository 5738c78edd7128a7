"""NSS key log files (as curl, Firefox, OpenSSL's SSLKEYLOGFILE and `smtp-tutor connect --keylog` write them):
`LABEL <client random, hex> <secret, hex>` lines, `#` comments. Read bounded: a file too big, binary, or
without a single key line is refused in one line (InputError); odd lines among good ones are counted.
"""

from __future__ import annotations

import os
import re

from tutor.errors import InputError
from tutor.trace.records import Bad

MAX_BYTES = 64 * 1024 * 1024        # about 300,000 TLS 1.3 sessions; a bigger log is refused, not half-read
MAX_LINE = 1024                     # the longest real line is under 250 octets
LABELS = frozenset({
    "CLIENT_RANDOM",                        # TLS 1.2: the 48-octet master secret
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
    "CLIENT_EARLY_TRAFFIC_SECRET", "EXPORTER_SECRET", "EARLY_EXPORTER_SECRET",
})
_LINE = re.compile(rb"([A-Z_0-9]{1,40}) ([0-9a-fA-F]{64}) ([0-9a-fA-F]{2,256})")


class KeyLog:
    """Secrets by client random: `secrets(client_random)` is {label: secret} ({} when the log has none)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_random: dict[bytes, dict[str, bytes]] = {}
        self.skipped = 0                     # lines that are neither a key line nor a comment

    def __len__(self) -> int:
        return len(self._by_random)

    def add(self, label: str, client_random: bytes, secret: bytes) -> None:
        self._by_random.setdefault(client_random, {})[label] = secret

    def secrets(self, client_random: bytes) -> dict[str, bytes]:
        return self._by_random.get(client_random, {})

    def merged(self, other: KeyLog) -> KeyLog:
        """A new KeyLog with the keys of both (this one's win); named after both."""
        both = KeyLog(f"{self.name} + {other.name}")
        both._by_random = {**other._by_random, **self._by_random}
        return both


def _too_big(name: str) -> InputError:
    return InputError(f"{name}: a key log larger than {MAX_BYTES // (1024 * 1024)} MiB; not read "
                      "(keep only the lines of the sessions in this capture)")


def parse(data: bytes, name: str) -> KeyLog:
    """A KeyLog from the bytes of a key log file; InputError (one line) when it is not one."""
    if len(data) > MAX_BYTES:
        raise _too_big(name)
    if b"\0" in data[:4096]:
        raise InputError(f"{name}: binary data, not an NSS key log (lines 'LABEL client_random secret')")
    log = KeyLog(name)
    for raw in data.split(b"\n"):
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        match = _LINE.fullmatch(line) if len(line) <= MAX_LINE else None
        if match is None:
            log.skipped += 1
            continue
        label = match.group(1).decode("ascii")
        if label not in LABELS:             # a well-formed line not needed here (OpenSSL's *_TRAFFIC_SECRET_N)
            continue
        log.add(label, bytes.fromhex(match.group(2).decode("ascii")), bytes.fromhex(match.group(3).decode("ascii")))
    if not len(log):
        raise InputError(f"{name}: no key lines in it; not an NSS key log (lines 'LABEL client_random secret')")
    return log


def has_cryptography() -> bool:
    """The ciphers come from the optional `cryptography` package (the tls extra)."""
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
    except ImportError:
        return False
    return True


def require_cryptography() -> None:
    """--keylog without the `cryptography` package: one line on how to install it."""
    if not has_cryptography():
        from tutor.explain import text
        raise InputError(text("trace_tls.cli.no-cryptography"))


def embedded(current: KeyLog | None, data: bytes, capture: str) -> tuple[KeyLog | None, Bad | None]:
    """Keys a pcapng carries (Decryption Secrets Block) added to --keylog's (or used alone); a Bad record (one
    line) when they cannot be used: no cryptography package, or not a key log."""
    from tutor.explain import text
    if not has_cryptography():
        return current, Bad(capture, text("trace_tls.cli.embedded-no-cryptography", capture=capture))
    try:
        keys = parse(bytes(data), f"embedded in {capture}")
    except InputError as exc:
        return current, Bad(capture, text("trace_tls.cli.embedded-unusable", capture=capture, why=str(exc)))
    return (keys if current is None else current.merged(keys)), None


def read(path: str) -> KeyLog:
    """The key log at `path`, read at most MAX_BYTES + 1 octets; InputError (one line) if it cannot be used."""
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > MAX_BYTES:     # refused before reading (a pipe: read bounded)
                raise _too_big(path)
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the key log: {exc.strerror or exc}") from None
    return parse(data, path)
