"""The terminal front end: a prompt_toolkit prompt loop over the Shell, with lexer, completion, toolbar."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.styles import style_from_pygments_cls

from tutor import explain
from tutor.display.format import classname, formatted_lines, plain_lines
from tutor.display.lexer import SmtpInputLexer
from tutor.display.style import PREFIX, TutorStyle
from tutor.errors import TutorError
from tutor.repl import keys, toolbar
from tutor.repl.completer import TutorCompleter
from tutor.repl.history import SafeHistory, history_path
from tutor.repl.shell import Shell
from tutor.session import Interrupted

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

    from tutor.session import Item

T = explain.text


class _NoEcho(Processor):
    """Shows nothing of what is typed (a password prompt, like getpass)."""

    def apply_transformation(self, transformation_input: TransformationInput) -> Transformation:
        return Transformation([], source_to_display=lambda i: 0, display_to_source=lambda i: 0)


class ReplApp:
    """The interactive REPL; `input`/`output` let tests drive it headless (create_pipe_input, DummyOutput)."""

    def __init__(self, shell: Shell, *, color: bool = True, input: Any = None, output: Any = None,
                 history_file: str | None = None) -> None:
        self.shell = shell
        self.color = color
        self.output = output
        self.style = style_from_pygments_cls(TutorStyle)
        depth = None if color else ColorDepth.MONOCHROME
        common = {"input": input, "output": output, "style": self.style, "include_default_pygments_style": False,
                      "color_depth": depth}
        self.history = SafeHistory(history_file or history_path(), shell.history_form)
        shell.on_secret = self.history.scrub
        self.prompt: PromptSession[str] = PromptSession(
            history=self.history,
            lexer=PygmentsLexer(SmtpInputLexer), completer=TutorCompleter(shell.view),
            complete_while_typing=True, auto_suggest=AutoSuggestFromHistory(),
            bottom_toolbar=lambda: cast("StyleAndTextTuples", toolbar.fragments(shell.view())),
            key_bindings=keys.bindings(), **common)
        self._common = common
        self._secret_prompt: PromptSession | None = None   # made on first use: start-up time matters
        self._pause_prompt: PromptSession | None = None

    # ---- what the shell calls --------------------------------------------------------------------
    def print_items(self, items: list) -> None:
        items = [i for i in items if not i.typed]   # the terminal already shows what was typed
        if not items:
            return
        if self.color:
            text: Any = FormattedText(formatted_lines(items))
        else:
            text = plain_lines(items)
        print_formatted_text(text, end="", style=self.style, output=self.output,
                             include_default_pygments_style=False)

    def ask_password(self, prompt: str) -> str:
        if self._secret_prompt is None:
            self._secret_prompt = PromptSession(input_processors=[_NoEcho()], **self._common)
        return self._secret_prompt.prompt(_spaced(prompt))

    def pause(self, prompt: str) -> None:
        if self._pause_prompt is None:
            self._pause_prompt = PromptSession(**self._common)
        self._pause_prompt.prompt(_spaced(prompt))

    def confirm(self, prompt: str) -> bool:
        """A yes/no question (sending credentials in clear text); only y or yes says yes."""
        if self._pause_prompt is None:
            self._pause_prompt = PromptSession(**self._common)
        return self._pause_prompt.prompt(_spaced(prompt)).strip().lower() in ("y", "yes")

    def message(self) -> FormattedText:
        tag = self.shell.prompt_tag()
        prompt = [(classname(PREFIX.Client), _spaced(T(f"repl.prompt.{self.shell.prompt_kind()}")))]
        return FormattedText(([(classname(PREFIX.Note), f"[{tag}] ")] if tag else []) + prompt)

    # ---- start-up --------------------------------------------------------------------------------
    def _start_later(self) -> None:
        """pre_run of the first prompt: connect once the prompt is drawn, print the greeting above it.

        The prompt takes input at once (keys typed meanwhile wait); loading the simulator, the mechanisms
        and the code tables happens after the first frame, as a live server's greeting would arrive.
        """
        from prompt_toolkit.application import get_app

        get_app().create_background_task(self._start_task())

    async def _start_task(self) -> None:
        from prompt_toolkit.application import run_in_terminal

        shell, items = self.shell, cast("list[Item]", [])
        out, shell.out = shell.out, items.extend
        try:
            self._start_and_welcome()
        finally:
            shell.out = out
        await run_in_terminal(lambda: self.print_items(items))
        await asyncio.sleep(0)   # one turn of the loop: the prompt under the greeting reaches the screen first
        _warm_up()

    def _start_now(self) -> None:
        """A live server: connect before the first prompt, in the terminal's normal mode, so that Ctrl-C
        stops a slow connect or greeting (one line; the REPL then starts offline, `:connect` tries again)."""
        try:
            self._start_and_welcome()
        except KeyboardInterrupt:
            self.shell.starting = False
            self.shell.info(T("repl.cancelled"), "note")

    def _start_and_welcome(self) -> None:
        """Start the shell and say how to begin; a start that fails is one error line, and the REPL goes on."""
        shell = self.shell
        try:
            shell.ensure_started()
        except TutorError as exc:
            shell.starting = False
            shell.error(str(exc))
            return
        session = shell.session
        if session is not None and not session.closed and session.transport.is_simulator:
            from tutor.repl.welcome import sim_welcome
            shell.info(sim_welcome(session))
        elif session is not None and not session.closed:
            implicit = getattr(session.transport, "implicit", False)
            welcome = "transport.cli.welcome" if session.tls_info is None else \
                "transport.cli.welcome-tls" if implicit else "shell.starttls.welcome"
            shell.info(T(welcome, target=session.target))

    # ---- the loop --------------------------------------------------------------------------------
    def run(self) -> int:
        shell = self.shell
        shell.out, shell.ask_password, shell.pause = self.print_items, self.ask_password, self.pause
        shell.confirm = self.confirm
        shell.starting = True
        first = True
        if self.history.problem:
            shell.info(T("repl.history-off", problem=self.history.problem), "note")
        if getattr(shell, "start_before_prompt", False):
            self._start_now()
        while not shell.quit_requested:
            try:
                pre_run = self._start_later if first and shell.starting else None
                first = False
                line = self.prompt.prompt(self.message, pre_run=pre_run)
            except KeyboardInterrupt:
                self._safely(shell.interrupted)
                continue
            except EOFError:
                self._safely(shell.leave)    # Ctrl-D: QUIT first, so the learner sees the 221
                break
            try:
                shell.handle(line)
            except Interrupted:
                pass      # Ctrl-C while waiting for a reply: the session said so in a note
            except (KeyboardInterrupt, EOFError):
                shell.info(T("repl.cancelled"), "note")
        shell.finish()
        return 0


    def _safely(self, action) -> None:
        """Run a key's action (Ctrl-C, Ctrl-D); a problem or a second Ctrl-C is one line, never a traceback."""
        try:
            action()
        except TutorError as exc:
            self.shell.error(str(exc))
        except Interrupted:
            pass      # Ctrl-C while waiting for the reply: the session said so in a note
        except (KeyboardInterrupt, EOFError):
            self.shell.info(T("repl.cancelled"), "note")


def _spaced(prompt: str) -> str:
    """A prompt ends with one space before the cursor (the words in TOML lose theirs when read)."""
    return prompt.rstrip() + " "


def _warm_up() -> None:
    """Load the command registry (helpers, mechanisms, code tables) while the learner reads the greeting."""
    try:
        from tutor.repl import commands
        commands.ensure_loaded()
    except Exception:  # pragma: no cover - the first real use reports the problem as a tutor line
        pass
