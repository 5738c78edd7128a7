"""The REPL's state and line handler, shared by the terminal app and batch mode (no prompt_toolkit here).

A front end sets `out` (show items), `ask_password` (ask without echo) and `pause` (wait for Enter),
then calls `start()`, `handle(line)` per line, `interrupted()` on Ctrl-C and `finish()` at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from tutor import explain
from tutor.errors import InputError, TutorError
from tutor.explain import Note
from tutor.protocol.client import AUTH_RESPONSE
from tutor.protocol.states import State
from tutor.repl import commands, history
from tutor.repl.view import OFFLINE, ReplView
from tutor.session import DETAIL, ERROR, NOTE, SIM, Interrupted, Item, Session
from tutor.transcript import Transcript

HIDDEN_KINDS: dict[str, str] = {SIM: "show_server", DETAIL: "verbose"}
# Notes that mean a line did not get its answer: batch mode exits non-zero after any of them.
FAILURE_KEYS = {"repl.note.timeout", "repl.note.transport-error", "repl.note.tls-failed", "repl.note.tls-stopped",
                "repl.note.not-connected"}


def _no_password(prompt: str) -> str:
    raise InputError(explain.text("repl.batch-no-password"))


class Shell:
    """One learner's REPL: the connection, the settings, the secrets seen, what was typed.

    `lesson` is an optional lesson control (tutor.repl.lesson_commands): the shell calls its hooks
    `before_send`/`after_send` around every line sent, `after_helper` after a helper command, and shows
    its `status()` in the toolbar and `prompt_tag()` in the prompt.
    """

    show_secrets = False          # True: passwords typed at a no-echo prompt are shown in helper tables
    start_before_prompt = False   # True: the terminal app connects before its first prompt (live servers)

    def __init__(self, *, profile: str = "lab", interactive: bool = False, record: str | None = None,
                 out: Callable[[list[Item]], object] | None = None) -> None:
        self.profile = profile
        self.interactive = interactive
        self.record = record
        self.out: Callable[[list[Item]], object] = out or (lambda items: None)
        self.ask_password: Callable[[str], str] = _no_password
        self.confirm: Callable[[str], bool] | None = None   # yes/no; None (batch): clear-text credentials refused
        self.allow_cleartext = False                         # --allow-cleartext: never ask (tutor.repl.cleartext_guard)
        self.pause: Callable[[str], None] = lambda text: None
        self.session: Session | None = None   # set once connected
        self.transcript = Transcript()
        self.show_server = False
        self.verbose = False
        self.secrets: set[str] = set()
        self.typed: list[str] = []
        self.failed = False
        self.quit_requested = False
        self.reconnect: Callable[[], Any] | None = None
        self.reconnect_target = ""  # what `reconnect` connects to, in words
        self.starting = False      # True while the start-up connection is still to be made
        self.on_secret: Callable[[set[str]], Any] | None = None   # the app scrubs its history file
        self.lesson: Any = None
        self.sim_options: dict[str, Any] = {}   # extra SimServer options for :connect sim (--max-auth-failures)
        self.refused_auth: tuple[Any, str] | None = None   # (session, mechanism) the clear-text guard refused
        self.hidden_result: Any = None   # the last helper table shown with a typed password hidden (`:show`)
        self.typed_secrets: set[str] = set()   # passwords typed at a no-echo prompt: hidden in what is shown

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Connect to the simulator with the chosen profile and show its greeting (what `:connect sim:PROFILE`
        does, without loading the command registry and argparse: that waits until after the greeting)."""
        from tutor.repl import sim_connect

        self.starting = False
        self._run(lambda: sim_connect.connect(self, f"sim:{self.profile}"))
        self.begin_recording()

    def begin_recording(self, redact: bool = True) -> None:
        """With --record, stream the transcript to its file from now on, so a crash or Ctrl-C loses nothing."""
        if self.record and self.transcript.recorder is None:
            try:
                self.transcript.record_to(self.record, redact=redact)
            except TutorError as exc:
                self.error(str(exc))

    def ensure_started(self) -> None:
        """The terminal app shows its first prompt before connecting; a line typed meanwhile waits for it."""
        if self.starting:
            self.start()

    def finish(self) -> None:
        """The end of the shell: the connection (if still open) and the recording are closed."""
        if self.session is not None and not self.session.closed:
            self.session.close()     # quietly: the learner left, nothing more to say about it
        if self.transcript.recorder is not None:
            self.transcript.recorder.close()
            self.transcript.recorder = None

    def connect(self, transport: Any, timeout: float | None = None) -> None:
        """Use a new transport: close the old session, read the greeting (waiting at most `timeout` s)."""
        from tutor.display.annotations import Annotations
        from tutor.session import Session

        if self.session is not None:
            self.emit(self.session.close())
        self.transcript.target = self.transcript.target or transport.description
        self.session = Session(transport, self.transcript, Annotations(reveal=transport.is_simulator),
                               timeout=timeout or float(os.environ.get("SMTP_TUTOR_TIMEOUT", "10")))
        try:
            self.emit(self.session.open())
        except KeyboardInterrupt as stop:   # Ctrl-C before the greeting: no half-open connection stays
            self.emit(getattr(stop, "items", [])[:-1])
            self.session.close()
            raise

    def announce(self, target: str, timeout: float) -> None:
        """At a terminal, say where a live connection goes before the wait (Ctrl-C stops it)."""
        if self.interactive:
            self.note("repl.note.connecting", target=target, seconds=f"{timeout:g}")

    # ---- lines -----------------------------------------------------------------------------------
    def handle(self, line: str, *, record: bool = True) -> bool:
        """Run one typed line; False (and `failed` set) when it could not be run. Never raises TutorError."""
        self.ensure_started()
        if record:
            safe = self.history_form(line)
            if safe:
                self.typed.append(safe)
        if line.startswith(":") and not line.startswith("::"):
            return self._run(lambda: commands.dispatch(self, line[1:]))
        return self._run(lambda: self.send(line[1:] if line.startswith("::") else line))

    def _run(self, action: Callable[[], bool]) -> bool:
        """Run a line's action; a problem is one error line (and `failed` set), never a traceback."""
        try:
            ok = action()
        except TutorError as exc:
            ok = self.error(str(exc))
        except (KeyboardInterrupt, EOFError):
            raise
        except Exception as exc:  # never a traceback in front of a learner
            if os.environ.get("SMTP_TUTOR_DEBUG"):
                raise
            ok = self.error(explain.text("repl.internal-error", error=f"{type(exc).__name__}: {exc}"))
        if not ok:
            self.failed = True
        return ok

    def send(self, line: str, *, typed: bool = True) -> bool:
        """A line for the server, sent as typed (with CRLF); an empty line only where it means something."""
        if self.lesson is not None and self.lesson.intercept(self, line):   # a bare `next` meant `:lesson next`
            return True
        session = self.session
        if session is None or session.closed:
            return not line or self.error(explain.text("repl.note.not-connected"))   # Enter alone: nothing to do
        kind = session.client.line_kind()
        if not line and kind == "command":
            return True
        from tutor.display.annotations import revealed_secret
        from tutor.repl.cleartext_guard import guard_cleartext

        guard_cleartext(self, session, line)   # PLAIN/LOGIN in clear text to another host: warn, ask (InputError)

        data = line.encode("utf-8")
        password = revealed_secret(data, kind, session.auth)
        lesson = self.lesson
        before = lesson.before_send(self) if lesson is not None else None
        try:
            self.emit(session.send(data, typed=typed))
        except Interrupted as stop:   # Ctrl-C while waiting for the reply: show what came, then stop
            self.emit(stop.items)
            if password:
                self.remember_secret(password)
            raise
        if password:
            self.remember_secret(password)
        if lesson is not None:
            lesson.after_send(self, line, before)
        return True

    def interrupted(self) -> None:
        """Ctrl-C at the prompt: in an AUTH exchange cancel it with `*`, in message mode abandon the message,
        else just a fresh line."""
        session = self.session
        if session is None or session.closed:
            return
        if session.state is State.AUTH:
            self.note("shell.note.auth-cancelling")
            self.send("*", typed=False)     # RFC 4954 §4: "*" cancels; the server answers 501
        elif session.state is State.DATA:
            self.emit(session.close("repl.note.message-aborted"))

    def leave(self) -> None:
        """`:quit` or Ctrl-D: cancel an AUTH exchange, say QUIT and show the 221, then stop the loop."""
        self.quit_requested = True
        session = self.session
        if session is None or session.closed:
            return
        if session.state is State.AUTH:
            self.send("*", typed=False)       # RFC 4954 §4: cancel the exchange first, or QUIT would be its answer
        if not session.closed and session.state not in (State.DATA, State.CLOSED):
            self.send("QUIT", typed=False)

    # ---- output ----------------------------------------------------------------------------------
    def emit(self, items: Iterable[Item], *, unmasked: bool = False) -> None:
        """Show items; a password typed at a no-echo prompt is hidden in them unless show_secrets or `unmasked`."""
        items = list(items)
        if any(i.key in FAILURE_KEYS for i in items):
            self.failed = True
        shown = [i for i in items if i.kind not in HIDDEN_KINDS or getattr(self, HIDDEN_KINDS[i.kind])]
        if self.typed_secrets and not (unmasked or self.show_secrets):
            shown = [self._hide_typed(i) for i in shown]
        if shown:
            self.out(shown)

    def _hide_typed(self, item: Item) -> Item:
        """Wire lines stay as sent (a typed line is never printed back); tutor text loses the typed password."""
        if item.kind in ("C", "S") or item.typed:
            return item
        from dataclasses import replace

        from tutor.helpers.render import hide

        text = hide(item.text, self.typed_secrets)
        return item if text == item.text else replace(item, text=text)

    def note(self, key: str, kind: str = NOTE, **params: Any) -> None:
        self.emit([Item(kind, Note(key, params).text(), key=key)])

    def info(self, text: str, kind: str = "info") -> None:
        self.emit([Item(kind, text)])

    def error(self, text: str) -> bool:
        self.emit([Item(ERROR, text)])
        return False

    def show_lines(self, lines: list[tuple[str, str]], *, unmasked: bool = False) -> None:
        """A helper's rendered lines (heading, label, step, note, warning, result)."""
        kinds = {"label": "step", "note": "step"}
        self.emit([Item(kinds.get(kind, kind), text) for kind, text in lines], unmasked=unmasked)

    # ---- secrets and history ---------------------------------------------------------------------
    def remember_secret(self, value: object) -> None:
        """Keep a password (and its base64) out of history, including lines already stored."""
        if not isinstance(value, str) or not value.strip() or value in self.secrets:
            return
        from tutor.protocol import b64

        new = {value, b64.encode(value.encode("utf-8"))}
        self.secrets |= new
        self.typed = [t for t in self.typed if not history.contains_secret(t, new)]
        if self.on_secret is not None:
            self.on_secret(self.secrets)

    def ask_secret(self, prompt: str) -> str:
        """Ask for a password through the front end, and remember it so history never stores it."""
        value = self.ask_password(prompt)
        self.remember_secret(value)
        if isinstance(value, str) and value:
            self.typed_secrets.add(value)     # typed without echo: not printed back in full either
        return value

    def history_form(self, line: str) -> str | None:
        """What history may keep of a typed line; a credential found in it becomes a known secret, so lines
        already stored that hold the same password go too."""
        for value in history.credentials_in(line) or ():
            self.remember_secret(value)
        in_auth = self.session is not None and (self.session.client.line_kind() == AUTH_RESPONSE
                                                or self._answers_refused_auth(line) or self._late_answer(line))
        return history.safe_form(line, in_auth=in_auth, secrets=self.secrets, redact_command=commands.redact)

    def _late_answer(self, line: str) -> bool:
        """A line shaped like an answer to a 334, typed just after the AUTH exchange ended (a password's base64
        pasted one step late): kept out of history by its role, as an answer would be."""
        if self.session is None or not self.session.client.auth_ended:
            return False
        return self.session.client.sequence_problem(line.strip().encode("utf-8", "replace")) == "sequence.after-auth"

    def _answers_refused_auth(self, line: str) -> bool:
        """A line typed after a refused AUTH that would have answered it: kept out of history like one."""
        if self.refused_auth is None or self.session is None:
            return False
        from tutor.repl.cleartext_guard import answers_refused_auth
        return answers_refused_auth(self, self.session, line)

    # ---- what the narrow parts see ---------------------------------------------------------------
    @property
    def last_challenge(self) -> bytes | None:
        return self.session.auth.last_challenge if self.session is not None else None

    def view(self) -> ReplView:
        s = self.session
        if s is None or s.closed:
            return ReplView(target=s.target if s else "")
        client, reply = s.client, s.last_reply
        last = f"{reply.code} {reply.enhanced or ''}".strip() if reply else ""
        kind = client.line_kind()
        done = client.authenticated and kind != AUTH_RESPONSE
        mechanism = (s.logged_in_with if done else None) or s.auth.mechanism or ""
        return ReplView(s.target, True, client.state, kind,
                        s.tls_info.version if (client.tls and s.tls_info) else "",
                        client.authenticated, mechanism, last, client.capabilities.auth_mechanisms,
                        self.lesson.status() if self.lesson is not None else "",
                        insecure=bool(getattr(s.transport, "insecure", False)))

    def prompt_tag(self) -> str:
        """A lesson's short tag for the prompt (`L5 2/6`), or ""."""
        return self.lesson.prompt_tag() if self.lesson is not None else ""

    def prompt_kind(self) -> str:
        if self.session is None:
            return "command" if self.starting else OFFLINE
        return self.view().line_kind
