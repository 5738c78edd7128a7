"""TLS framing in one direction of a TCP stream: records (RFC 8446 §5.1, RFC 5246 §6.2.1) and the handshake
messages inside them (RFC 8446 §4), plus the few hello fields decryption needs. Bounded: a record longer than
the RFCs allow, or a handshake message past MAX_MESSAGE, is a problem, not a reason to buffer without end.
"""

from __future__ import annotations

CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23
CLIENT_HELLO, SERVER_HELLO, NEW_SESSION_TICKET, FINISHED, KEY_UPDATE = 1, 2, 4, 20, 24
MAX_RECORD = 2 ** 14 + 2048     # RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048
MAX_MESSAGE = 64 * 1024         # a hello, Finished or KeyUpdate kept whole (hellos are a few KiB)
SUPPORTED_VERSIONS, ENCRYPT_THEN_MAC, EARLY_DATA = 0x002B, 0x0016, 0x002A
# RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest
HELLO_RETRY_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")


class FramingError(ValueError):
    """The bytes are not (or no longer) TLS records; the direction cannot be read on."""


class RecordReader:
    """Bytes in, whole records out: (header of 5 octets, fragment)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[tuple[bytes, bytes]]:
        self._buffer += data
        out, at, buffer = [], 0, self._buffer
        while len(buffer) - at >= 5:
            kind, major, length = buffer[at], buffer[at + 1], int.from_bytes(buffer[at + 3:at + 5], "big")
            if kind not in (CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA) or major != 3:
                self._buffer = bytearray()
                raise FramingError(f"not a TLS record header (type {kind}, version {major}.{buffer[at + 2]})")
            if length > MAX_RECORD:
                self._buffer = bytearray()
                raise FramingError(f"a record of {length} octets, longer than TLS allows ({MAX_RECORD})")
            if len(buffer) - at < 5 + length:
                break
            out.append((bytes(buffer[at:at + 5]), bytes(buffer[at + 5:at + 5 + length])))
            at += 5 + length
        del buffer[:at]
        return out


class HandshakeReader:
    """Handshake messages (type, body) from the content of handshake records; they may span records. Only the
    types in KEPT are buffered (at most MAX_MESSAGE octets); the bodies of the others (certificates, ...) are
    skipped as they pass, so a flow holds little whatever the peer sends."""

    KEPT = frozenset({CLIENT_HELLO, SERVER_HELLO, FINISHED, KEY_UPDATE})

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._skip = 0                  # octets of an unwanted message body still to pass over

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        if self._skip:
            passed = min(self._skip, len(data))
            self._skip -= passed
            data = data[passed:]
        self._buffer += data
        out, at, buffer = [], 0, self._buffer
        while len(buffer) - at >= 4:
            kind, length = buffer[at], int.from_bytes(buffer[at + 1:at + 4], "big")
            if kind not in self.KEPT:
                available = len(buffer) - at - 4
                if available < length:                  # the rest of the body comes later: pass over it then
                    self._skip, at = length - available, len(buffer)
                    break
                at += 4 + length
                continue
            if length > MAX_MESSAGE:
                self._buffer = bytearray()
                raise FramingError(f"a handshake message of {length} octets (more than {MAX_MESSAGE} kept)")
            if len(buffer) - at < 4 + length:
                break
            out.append((kind, bytes(buffer[at + 4:at + 4 + length])))
            at += 4 + length
        del buffer[:at]
        return out


class Hello:
    """The fields of a ClientHello or ServerHello that decryption needs (RFC 8446 §4.1.2, §4.1.3)."""

    __slots__ = ("random", "suite", "version", "etm", "early")

    def __init__(self, random: bytes, suite: int = 0, version: int = 0, etm: bool = False) -> None:
        self.random, self.suite, self.version, self.etm = random, suite, version, etm
        self.early = False              # a ClientHello offering 0-RTT data (the early_data extension)


def _vector(body: bytes, at: int, size_len: int) -> tuple[bytes, int]:
    size = int.from_bytes(body[at:at + size_len], "big")
    end = at + size_len + size
    if end > len(body):
        raise FramingError("a hello message cut short")
    return body[at + size_len:end], end


def client_hello(body: bytes) -> Hello:
    """legacy_version, random (the key log is keyed by it), legacy_session_id<0..32>, cipher_suites<2..2^16-2>,
    legacy_compression_methods<1..2^8-1>, extensions: whether early_data is offered (RFC 8446 §4.1.2, §4.2.10)."""
    if len(body) < 34:
        raise FramingError("a ClientHello cut short")
    hello = Hello(body[2:34])
    _, at = _vector(body, 34, 1)
    _, at = _vector(body, at, 2)
    _, at = _vector(body, at, 1)
    if at + 2 <= len(body):
        extensions, _ = _vector(body, at, 2)
        hello.early = EARLY_DATA in _extension_types(extensions)
    return hello


def _extension_types(data: bytes) -> set[int]:
    kinds, at = set(), 0
    while at + 4 <= len(data):
        kinds.add(int.from_bytes(data[at:at + 2], "big"))
        _, at = _vector(data, at + 2, 2)
    return kinds


def server_hello(body: bytes) -> Hello:
    """legacy_version, random, legacy_session_id_echo<0..32>, cipher_suite, compression, extensions: the
    version is supported_versions' selected_version when present (RFC 8446 §4.2.1), else legacy_version."""
    if len(body) < 38:
        raise FramingError("a ServerHello cut short")
    version, random = int.from_bytes(body[:2], "big"), body[2:34]
    _, at = _vector(body, 34, 1)
    suite = int.from_bytes(body[at:at + 2], "big")
    at += 3
    hello = Hello(random, suite, version)
    if at + 2 <= len(body):
        extensions, _ = _vector(body, at, 2)
        _server_extensions(extensions, hello)
    return hello


def _server_extensions(data: bytes, hello: Hello) -> None:
    at = 0
    while at + 4 <= len(data):
        kind = int.from_bytes(data[at:at + 2], "big")
        value, at = _vector(data, at + 2, 2)
        if kind == SUPPORTED_VERSIONS and len(value) == 2:
            hello.version = int.from_bytes(value, "big")
        elif kind == ENCRYPT_THEN_MAC:
            hello.etm = True
