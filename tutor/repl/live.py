"""What changes when the server is real: masked credentials and the live Shell.

Masking hides credentials in what is shown and saved (unless --show-secrets); LiveShell is what
`smtp-tutor connect` starts on a live server. The clear-text guard every shell uses is
tutor/repl/cleartext_guard.py; nothing here opens a socket itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from tutor import explain
from tutor.repl import commands as repl_commands
from tutor.repl.shell import Shell
from tutor.session import CLIENT, NOTE, Item
from tutor.transcript import redacted

T = explain.text
ECHO = "echo"   # a script line shown back in batch mode
EHLO_NAME = "laptop.example"   # the name `connect --starttls` gives in its EHLO (the hints use the same)
# Notes marked secret that hide the password themselves when the annotator does not reveal (live servers).
SAFE_SECRET_NOTES = {"repl.ann.plain", "repl.ann.plain-authzid", "repl.ann.login-password"}


def mask(items: Iterable[Item]) -> list[Item]:
    """Items with credentials hidden: secret client lines keep only `AUTH MECH`, secret notes say masked,
    echoed `:commands` lose their password arguments (as in history)."""
    out = []
    for item in items:
        if item.kind == ECHO and item.text.startswith(":"):
            item = replace(item, text=":" + (repl_commands.redact(item.text[1:]) or item.text[1:].split(" ")[0]))
        elif item.secret and item.kind == CLIENT:
            item = replace(item, text=redacted(item.text.encode("utf-8", "replace")))
        elif item.secret and item.kind not in (CLIENT, "S") and not _already_masked(item):
            item = replace(item, kind=item.kind or NOTE, text=T("transport.live.masked"))
        out.append(item)
    return out


def _already_masked(item: Item) -> bool:
    """The annotator and the autopilot hide the password themselves when the server is real."""
    return item.key in SAFE_SECRET_NOTES or T("repl.autopilot.hidden") in item.text


class LiveShell(Shell):
    """A Shell that starts on a live server (`:connect` alone reconnects) and masks credentials in what it
    shows and saves, unless `show_secrets`. `live` connects (tutor.cli.connect.LiveOptions)."""

    show_secrets = False
    start_before_prompt = True    # a live connect may be slow: the app does it where Ctrl-C can stop it

    def __init__(self, live: Any, **options: Any) -> None:
        super().__init__(**options)
        self.live = live
        self.show_secrets = live.show_secrets
        self.allow_cleartext = live.allow_cleartext   # the terminal app sets `confirm`; batch mode has none

    @property
    def out(self) -> Any:
        return self._out

    @out.setter
    def out(self, show: Any) -> None:
        """Whatever front end sets `out` (batch mode echoes script lines through it) gets masked items."""
        show = getattr(show, "unmasked", show)   # a front end may put back what it read: wrap it once

        def masked(items: Iterable[Item]) -> Any:
            return show(items if self.show_secrets else mask(items))

        masked.unmasked = show   # type: ignore[attr-defined]
        self._out = masked

    def start(self) -> None:
        self.starting = False
        self.reconnect, self.reconnect_target = self.open_live, str(self.live.where)
        connected = self.handle(":connect", record=False)
        self.transcript.target = self.transcript.target or str(self.live.where)
        self.begin_recording(redact=not self.show_secrets)     # a failed connect is kept too
        if not connected and not self.interactive:
            self.quit_requested = True   # batch mode: nothing after a failed connect can work

    def open_live(self) -> bool:
        self.announce(str(self.live.where), self.live.timeout)
        self.connect(self.live.connect(), timeout=self.live.timeout)
        if getattr(self.live, "auto_starttls", False):
            return self.upgrade()     # False: not upgraded; batch mode stops (its lines expect TLS)
        return True

    def upgrade(self) -> bool:
        """`connect --starttls`: EHLO, STARTTLS, its 220 and the handshake, EHLO again, each line shown and
        explained (as `openssl s_client -starttls smtp` and swaks `-tls` do it); True when TLS is up."""
        session = self.session
        self.note("shell.starttls.start")
        steps = (("ehlo", f"EHLO {EHLO_NAME}"), ("starttls", "STARTTLS"), ("ehlo-again", f"EHLO {EHLO_NAME}"))
        for step, line in steps:
            if session is None or session.closed or (step == "ehlo-again" and session.tls_info is None):
                self.error(T("shell.starttls.failed"))
                return False
            if step == "starttls" and not session.client.capabilities.supports("STARTTLS"):
                self.error(T("shell.starttls.not-offered"))
                return False
            self.note(f"shell.starttls.step-{step}")
            self.send(line, typed=False)
        self.note("shell.starttls.done")
        return True

