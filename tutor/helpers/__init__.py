"""One-shot helper computations (b64, plain, login, cram, decode, explain), shared by the CLI and the REPL."""
