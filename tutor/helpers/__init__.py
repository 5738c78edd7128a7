"""One-shot helper computations, shared by the CLI and the REPL.

b64, plain, login, cram, scram, xoauth2, oauthbearer, token, decode and explain (registry.HELPERS).
"""
