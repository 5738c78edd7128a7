"""TLS inside one captured TCP flow, read with a key log: records per direction, the handshake followed for the
client random, the version and the cipher suite, keys switched where the RFCs switch them, and the SMTP lines
inside handed on as Wire records marked `tls` (so the AUTH exchange is decoded as in a clear session).

TLS 1.3 (RFC 8446): after the ServerHello both directions use the handshake traffic secrets; each direction
moves to its application traffic secret after its own Finished (§4.4.4: "Any records following a Finished
message MUST be encrypted under the appropriate application traffic key"; sequence numbers restart at 0, §5.3),
and KeyUpdate (§4.6.3) moves it on. TLS 1.2 (RFC 5246): the keys from CLIENT_RANDOM's master secret take effect
in a direction after its ChangeCipherSpec (§7.1). A session the key log has no key for is only counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.protocol.framing import AUTH_LINE_LIMIT
from tutor.trace import sniff
from tutor.trace import tls_records as tr
from tutor.trace.records import Mark, Record, Wire
from tutor.trace.tls_keys import KeyLog

if TYPE_CHECKING:                   # tls_decrypt needs cryptography, so it is imported only where keys are used
    from tutor.trace.tls_decrypt import Suite, Tls12Reader, Tls13Reader

LINE_LIMIT = AUTH_LINE_LIMIT * 8
SIDE = {"C": "client", "S": "server"}
_VERSION = {0x0304: "TLS 1.3", 0x0303: "TLS 1.2", 0x0302: "TLS 1.1", 0x0301: "TLS 1.0"}
_MARK = "trace_tls.mark."


class TlsFlow:
    """The TLS part of one flow; `feed()` for each chunk ("C" or "S"), `finish()` at the end."""

    def __init__(self, keylog: KeyLog, sid: str, smtp_known: bool = False) -> None:
        self.keylog, self.sid = keylog, sid
        self.smtp = smtp_known              # STARTTLS: SMTP inside; implicit TLS: the first plaintext decides
        self.framing = {"C": tr.RecordReader(), "S": tr.RecordReader()}
        self.messages = {"C": tr.HandshakeReader(), "S": tr.HandshakeReader()}
        self.readers: dict[str, Tls13Reader | Tls12Reader | None] = {"C": None, "S": None}
        self.next_secret: dict[str, bytes | None] = {"C": None, "S": None}   # TLS 1.3: after this side's Finished
        self.waiting: dict[str, Tls12Reader | None] = {"C": None, "S": None}       # TLS 1.2: until ChangeCipherSpec
        self.lines = {"C": bytearray(), "S": bytearray()}
        self.dead: set[str] = set()
        self.failed = {"C": 0, "S": 0}
        self.client_random: bytes | None = None
        self.early = False                  # the ClientHello offered TLS 1.3 early data (0-RTT)
        self.suite: Suite | None = None
        self.version, self.status = 0, "hello"   # then decrypting, no-key, unsupported, failed,
        # or not-smtp (decrypted, but another protocol inside)
        self.records = self.decrypted = 0
        self.out: list[Record] = []
        self.where, self.t = "", 0.0

    # ---- input ------------------------------------------------------------------------------------------
    def feed(self, direction: str, chunk: bytes | None, where: str, t: float) -> list[Record]:
        """Records made from one chunk of ciphertext (None: bytes missing from the capture)."""
        self.where, self.t, self.out = where, t, []
        if direction in self.dead or self.status == "not-smtp":
            return self.out
        if chunk is None:
            self._stop(direction, "gap")
            return self.out
        try:
            records = self.framing[direction].feed(chunk)
        except tr.FramingError as exc:
            self._stop(direction, "framing", why=str(exc))
            return self.out
        for header, fragment in records:
            self.records += 1
            try:
                self._record(direction, header, fragment)
            except tr.FramingError as exc:
                self._stop(direction, "framing", why=str(exc))
                break
        return self.out

    def finish(self, where: str, octets: int) -> list[Record]:
        """What is left at the end of the flow: a partial line, and one line on what was (not) decrypted."""
        self.where, self.out = where, []
        for direction, buffer in self.lines.items():
            if buffer:
                self.out.append(Wire(self.sid, direction, bytes(buffer), where, self.t, tls=True, cut=True))
                buffer.clear()
        params = {"octets": octets, "file": self.keylog.name, "records": self.decrypted}
        if self.status in ("decrypting", "not-smtp"):
            self._mark("decrypted-bytes", **params)
        elif self.status in ("no-key", "hello") and self.client_random is None:
            self._mark("no-client-hello", **params)
        elif self.status == "hello" and self.keylog.secrets(self.client_random or b""):   # (None: said above)
            self._mark("no-server-hello", **params)
        elif self.status in ("no-key", "hello"):
            self._mark("no-key", random=(self.client_random or b"").hex()[:16] or "?", **params)
        elif self.status == "unsupported" and octets:
            self.out.append(Mark(self.sid, "trace.mark.encrypted-bytes", where, {"octets": octets}))
        return self.out

    # ---- records -----------------------------------------------------------------------------------------
    def _record(self, direction: str, header: bytes, fragment: bytes) -> None:
        kind = header[0]
        if kind == tr.CHANGE_CIPHER_SPEC:           # TLS 1.2: this side's keys start with its next record
            if self.waiting[direction] is not None:
                self.readers[direction], self.waiting[direction] = self.waiting[direction], None
            return                                  # TLS 1.3: a compatibility record, ignored (RFC 8446 §5)
        reader = self.readers[direction]
        if reader is None:
            if kind == tr.HANDSHAKE and self.status in ("hello", "decrypting"):
                self._handshake(direction, fragment)
            elif self.status == "hello":
                self._before_keys(direction, kind, fragment)
            return
        try:
            kind, content = self._decrypt(direction, reader, header, fragment)
        except ValueError as exc:
            self.failed[direction] += 1
            if self.failed[direction] == 1:
                self._mark("bad-record", side=SIDE[direction], why=str(exc))
            return
        self.decrypted += 1
        if kind == tr.HANDSHAKE:
            self._handshake(direction, content)
        elif kind == tr.APPLICATION_DATA:
            self._plaintext(direction, content)

    def _decrypt(self, direction: str, reader, header: bytes, fragment: bytes) -> tuple[int, bytes]:
        """One record; a record that fails still used a sequence number. TLS 1.3: if the Finished was damaged,
        the records after it are under the application key already, so that key is tried too."""
        try:
            return reader.decrypt(header, fragment)
        except ValueError:
            reader.seq += 1
            pending = self.next_secret[direction]
            if pending is None:
                raise
        from tutor.trace.tls_decrypt import Tls13Reader
        candidate = Tls13Reader(self._known_suite, pending)
        result = candidate.decrypt(header, fragment)           # raises DecryptError when it is not that key either
        self.readers[direction], self.next_secret[direction] = candidate, None
        return result

    def _before_keys(self, direction: str, kind: int, fragment: bytes) -> None:
        """Before the ServerHello: an alert ends the handshake; client data is TLS 1.3 early data (0-RTT)."""
        if kind == tr.ALERT and len(fragment) == 2:     # a plaintext alert: level, description (RFC 5246 §7.2)
            self.status = "failed"
            self._mark("handshake-failed", side=SIDE[direction], alert=fragment[1])
        elif kind == tr.APPLICATION_DATA and direction == "C" and self.early:
            self.early = False                      # said once
            self._mark("early-data")

    def _handshake(self, direction: str, data: bytes) -> None:
        for kind, body in self.messages[direction].feed(data):
            if kind == tr.CLIENT_HELLO and direction == "C" and self.client_random is None:
                hello = tr.client_hello(body)
                self.client_random, self.early = hello.random, hello.early
            elif kind == tr.SERVER_HELLO and direction == "S" and self.status == "hello":
                hello = tr.server_hello(body)
                if hello.random != tr.HELLO_RETRY_RANDOM:       # RFC 8446 §4.1.4: a second ClientHello follows
                    self._start(hello)
            elif kind == tr.FINISHED and (secret := self.next_secret[direction]) is not None:
                self._tls13_reader(direction).rekey(secret)
                self.next_secret[direction] = None
            elif kind == tr.KEY_UPDATE and self.version == 0x0304 and self.readers[direction] is not None:
                from tutor.trace.tls_decrypt import next_traffic_secret
                reader = self._tls13_reader(direction)
                reader.rekey(next_traffic_secret(reader.secret, reader.suite))

    def _tls13_reader(self, direction: str) -> Tls13Reader:
        """This side's reader, which TLS 1.3's Finished and KeyUpdate move to the next key."""
        from tutor.trace.tls_decrypt import Tls13Reader
        reader = self.readers[direction]
        assert isinstance(reader, Tls13Reader), "only TLS 1.3 has these messages"
        return reader

    # ---- keys --------------------------------------------------------------------------------------------
    @property
    def _known_suite(self) -> Suite:
        """The negotiated suite, once _start found it in the tables."""
        assert self.suite is not None, "keys are made only for a known suite"
        return self.suite

    def _start(self, hello: tr.Hello) -> None:
        from tutor.trace import tls_decrypt as td
        self.version = hello.version
        version = _VERSION.get(hello.version, f"version 0x{hello.version:04x}")
        table = td.TLS13_SUITES if hello.version == 0x0304 else td.TLS12_SUITES if hello.version == 0x0303 else {}
        self.suite = table.get(hello.suite)
        if self.client_random is None:              # said at the end, with the octets
            self.status = "no-key"
            return
        secrets = self.keylog.secrets(self.client_random)
        if self.suite is None:
            self.status = "unsupported"
            self._mark("unsupported", version=version, suite=f"0x{hello.suite:04X}")
            return
        started = self._tls13(secrets) if hello.version == 0x0304 else self._tls12(secrets, hello)
        self.status = "decrypting" if started else "no-key"
        if started:
            self._mark("decrypting", version=version, suite=self.suite.name, file=self.keylog.name)

    def _tls13(self, secrets: dict[str, bytes]) -> bool:
        from tutor.trace.tls_decrypt import Tls13Reader
        names = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                 "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0")
        if not all(name in secrets for name in names):
            return False
        self.readers["C"] = Tls13Reader(self._known_suite, secrets[names[0]])
        self.readers["S"] = Tls13Reader(self._known_suite, secrets[names[1]])
        self.next_secret = {"C": secrets[names[2]], "S": secrets[names[3]]}
        return True

    def _tls12(self, secrets: dict[str, bytes], hello: tr.Hello) -> bool:
        from tutor.trace.tls_decrypt import Tls12Reader, tls12_key_block
        master = secrets.get("CLIENT_RANDOM")
        if master is None or len(master) != 48:          # RFC 5246 §8.1: the master secret is 48 octets
            return False
        assert self.client_random is not None, "_start returns early without a ClientHello"
        block = tls12_key_block(master, hello.random, self.client_random, self._known_suite)
        for side, prefix in (("C", "c_"), ("S", "s_")):
            self.waiting[side] = Tls12Reader(self._known_suite, block[prefix + "key"], block[prefix + "iv"],
                                             block[prefix + "mac"], etm=hello.etm)
        return True

    # ---- output ------------------------------------------------------------------------------------------
    def _plaintext(self, direction: str, data: bytes) -> None:
        if not self.smtp:                   # TLS on any port may carry HTTP (a browser's key log): SMTP only
            if self.status == "not-smtp" or not data:
                return
            if sniff.smtp_side(data) is None:
                self.status = "not-smtp"
                self._mark("not-smtp")
                return
            self.smtp = True
        buffer = self.lines[direction]
        buffer += data
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start:end - 1 if end > start and buffer[end - 1] == 13 else end])
            start = end + 1
            self.out.append(Wire(self.sid, direction, line, self.where, self.t, tls=True))
        del buffer[:start]
        if len(buffer) > LINE_LIMIT:
            self.out.append(Mark(self.sid, "trace.mark.long-line", self.where,
                                 {"length": len(buffer), "side": direction}))
            buffer.clear()

    def _stop(self, direction: str, why_key: str, **params) -> None:
        self.dead.add(direction)
        if self.status in ("hello", "decrypting"):
            self._mark(why_key, side=SIDE[direction], **params)

    def _mark(self, key: str, **params) -> None:
        self.out.append(Mark(self.sid, _MARK + key, self.where, params))
