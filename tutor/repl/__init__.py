"""The interactive shell: prompt_toolkit app, batch runner, `:` command registry, completer, toolbar, history."""
