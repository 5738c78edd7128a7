"""Guided lessons: the lesson model, the strict loader of lessons/*.toml, the semantic checks, the runner, the
demo player and progress (sans-IO: no socket, ssl, asyncio, prompt_toolkit or pygments here)."""
