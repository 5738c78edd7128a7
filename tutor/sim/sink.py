"""Where the simulated server puts accepted messages: in memory, as summaries, or in a Maildir. Nothing is relayed.

`Sink` keeps whole messages (the REPL: one student, messages typed by hand). `SummarySink` keeps only each
message's envelope, headers (capped) and SHA-256, so a server open to a class holds a bounded amount of
memory whatever is sent to it; `MaildirSink` writes whole messages to disk, up to a total per run.
"""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import InputError


@dataclass(frozen=True)
class Message:
    """One accepted message: the envelope, the text as received, who was logged in, and its trace line."""

    id: str
    mail_from: str
    rcpts: tuple[str, ...]
    data: bytes                 # dot-unstuffed text as the client sent it, lines ended by CRLF
    user: str | None            # the authenticated user (None if none)
    received: bytes = b""       # the `Received:` header line the server prepends (RFC 5321 §4.4), with CRLF

    def as_stored(self) -> bytes:
        """The message as a mailbox keeps it: Return-Path, Received, then the text (RFC 5321 §4.4)."""
        return b"Return-Path: <" + self.mail_from.encode("utf-8") + b">\r\n" + self.received + self.data


class Sink:
    """Keeps accepted messages in memory (the newest `limit` of them, or all if limit is None)."""

    name = "memory"
    keeps = "whole messages in memory"

    def __init__(self, limit: int | None = None) -> None:
        self.messages: list[Message] = []
        self.limit = limit
        self._count = 0

    @property
    def label(self) -> str:
        """Where messages go, for notes."""
        return "memory"

    def next_id(self) -> str:
        """A fresh queue id, unique within this sink."""
        self._count += 1
        return f"M{self._count:06d}"

    def deliver(self, message: Message) -> None:
        """Store a message; raises OSError if it cannot be stored (the server then answers 451)."""
        self.messages.append(message)
        self._trim()

    def _trim(self) -> None:
        if self.limit is not None and len(self.messages) > self.limit:
            del self.messages[: len(self.messages) - self.limit]

    def describe(self) -> str:
        """What this sink keeps, for the server's startup line."""
        newest = f"the newest {self.limit} " if self.limit is not None else "all "
        return f"accepted mail: {newest}{self.keeps}"


HEADER_LIMIT = 8 * 1024   # bytes of a message's header block a SummarySink keeps


@dataclass(frozen=True)
class Summary:
    """What a SummarySink keeps of a message: the envelope, the user, the headers (capped), size and SHA-256."""

    id: str
    mail_from: str
    rcpts: tuple[str, ...]
    user: str | None
    headers: bytes              # the header block (up to the first empty line), at most HEADER_LIMIT bytes
    size: int                   # octets of the text as received
    sha256: str                 # hex digest of the text as received
    received: bytes = b""

    @classmethod
    def of(cls, message: Message) -> Summary:
        end = message.data.find(b"\r\n\r\n", 0, HEADER_LIMIT)
        headers = message.data[:end + 2] if end >= 0 else message.data[:HEADER_LIMIT]
        return cls(message.id, message.mail_from, message.rcpts, message.user, headers, len(message.data),
                   hashlib.sha256(message.data).hexdigest(), message.received)


class SummarySink(Sink):
    """Keeps a Summary of each of the newest `limit` messages: memory stays bounded whatever clients send."""

    name = "summary"
    keeps = "messages' headers and SHA-256 in memory (bodies are not kept)"

    def deliver(self, message: Message) -> None:
        self.messages.append(Summary.of(message))  # type: ignore[arg-type]
        self._trim()


MAILDIR_RUN_LIMIT = 1024 ** 3   # bytes a MaildirSink writes in one run before it refuses (451) further messages


class MaildirSink(SummarySink):
    """Writes each message to DIR/new as a Maildir file (tmp/ first, then renamed), up to `max_bytes` per run;
    keeps summaries of the newest `limit` in memory."""

    name = "maildir"

    def __init__(self, directory: str | Path, *, clock: Callable[[], float] = time.time, limit: int | None = 100,
                 max_bytes: int = MAILDIR_RUN_LIMIT) -> None:
        super().__init__(limit)
        self.directory = Path(directory)
        self._clock = clock
        self.max_bytes = max_bytes
        self.written = 0
        try:
            for sub in ("tmp", "new", "cur"):
                (self.directory / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot use maildir {directory}: {exc.strerror or exc}") from None

    def deliver(self, message: Message) -> None:
        stored = message.as_stored()
        if self.written + len(stored) > self.max_bytes:   # the server answers 451 and the client may retry later
            raise OSError(errno.EFBIG, f"this run has written its {_size(self.max_bytes)} to the Maildir")
        name = f"{int(self._clock())}.{message.id}P{os.getpid()}.smtp-tutor"
        tmp = self.directory / "tmp" / name
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:   # mail is private
            out.write(stored)
        os.replace(tmp, self.directory / "new" / name)
        self.written += len(stored)
        super().deliver(message)

    @property
    def label(self) -> str:
        return str(self.directory)

    def describe(self) -> str:
        return f"accepted mail: written to Maildir {self.directory} (at most {_size(self.max_bytes)} this run)"


def _size(octets: int) -> str:
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if octets >= scale and octets % scale == 0:
            return f"{octets // scale} {unit}"
    return f"{octets} bytes"
