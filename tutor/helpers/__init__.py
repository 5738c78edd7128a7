"""One-shot helper computations (b64, plain, login, cram, scram, xoauth2, oauthbearer, token, decode, explain),
shared by the CLI and the REPL."""
