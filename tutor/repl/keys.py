"""Key bindings beyond prompt_toolkit's defaults (Ctrl-C cancels the line, Ctrl-D on an empty line leaves)."""

from __future__ import annotations

from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent


def bindings() -> KeyBindings:
    """F1 runs :help; Ctrl-Space opens completion."""
    kb = KeyBindings()

    @kb.add("f1")
    def _help(event: KeyPressEvent) -> None:
        event.current_buffer.text = ":help"
        event.current_buffer.validate_and_handle()

    @kb.add("c-space")
    def _complete(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state:
            buffer.complete_next()
        else:
            buffer.start_completion(select_first=False)

    return kb
