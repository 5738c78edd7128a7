"""Where the simulated server puts accepted messages: a list in memory, or a Maildir. Nothing is ever relayed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

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
        if self.limit is not None and len(self.messages) > self.limit:
            del self.messages[: len(self.messages) - self.limit]


class MaildirSink(Sink):
    """Writes each message to DIR/new as a Maildir file (written to tmp/ first, then renamed), and keeps it in memory."""

    name = "maildir"

    def __init__(self, directory: str | Path, *, clock: Callable[[], float] = time.time, limit: int | None = 100) -> None:
        super().__init__(limit)
        self.directory = Path(directory)
        self._clock = clock
        try:
            for sub in ("tmp", "new", "cur"):
                (self.directory / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot use maildir {directory}: {exc.strerror or exc}") from None

    def deliver(self, message: Message) -> None:
        name = f"{int(self._clock())}.{message.id}P{os.getpid()}.smtp-tutor"
        tmp = self.directory / "tmp" / name
        tmp.write_bytes(message.as_stored())
        os.replace(tmp, self.directory / "new" / name)
        super().deliver(message)

    @property
    def label(self) -> str:
        return str(self.directory)
