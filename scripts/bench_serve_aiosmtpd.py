#!/usr/bin/env python3
"""The aiosmtpd side of scripts/bench_serve.py, run as its own process: listen on a free port, say which, run until
SIGTERM.

An authenticator and handler equivalent to serve's: PLAIN and LOGIN built in (through the authenticator),
CRAM-MD5 and SCRAM-SHA-256 as handler methods (aiosmtpd has no SCRAM: this one keeps StoredKey/ServerKey per
user, made once, and does the exchange serve does).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import signal
import time

USER, PASSWORD = "tim", "tanstaaftanstaaf"   # the lab account, as in bench_serve.py


def aiosmtpd_parts():
    """aiosmtpd's handler and authenticator, equivalent to serve's: PLAIN and LOGIN built in, CRAM-MD5 and
    SCRAM-SHA-256 handler methods."""
    import random
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)   # aiosmtpd 1.4 warns about Session.login_data per login
    from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword

    users = {USER: PASSWORD}

    def authenticator(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            secret = users.get(auth_data.login.decode("utf-8", "replace"))
            return AuthResult(success=secret is not None and hmac.compare_digest(secret.encode(), auth_data.password))
        return AuthResult(success=False)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            return "250 2.0.0 Ok"

        async def auth_CRAM__MD5(self, server, args):
            challenge = f"<{random.randrange(1000, 10**10)}.{int(time.time())}@bench.example>".encode()
            response = await server.challenge_auth(challenge)
            if response is MISSING:
                return AuthResult(success=False, handled=True)
            user, _, digest = response.rpartition(b" ")
            secret = users.get(user.decode("utf-8", "replace"))
            expected = hmac.new(secret.encode(), challenge, hashlib.md5).hexdigest().encode() if secret else b""
            return AuthResult(success=bool(secret) and hmac.compare_digest(expected, digest), auth_data=user)

        async def auth_SCRAM__SHA__256(self, server, args):
            return await scram_sha256_server(server, args, MISSING, AuthResult)

    return Handler(), authenticator


_SCRAM_KEYS: dict[str, tuple[bytes, int, bytes, bytes]] = {}


def scram_record(user: str) -> tuple[bytes, int, bytes, bytes] | None:
    """(salt, iterations, StoredKey, ServerKey), made once per user as a real server stores them."""
    if user != USER:
        return None
    if user not in _SCRAM_KEYS:
        salt = os.urandom(16)
        salted = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, 4096)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        _SCRAM_KEYS[user] = (salt, 4096, hashlib.sha256(client_key).digest(),
                             hmac.new(salted, b"Server Key", hashlib.sha256).digest())
    return _SCRAM_KEYS[user]


async def scram_sha256_server(server, args, MISSING, AuthResult):
    """SCRAM-SHA-256 for aiosmtpd (RFC 5802 §5, RFC 7677), the same exchange serve has."""
    import secrets

    first = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth(b"")
    if first is MISSING:
        return AuthResult(success=False, handled=True)
    header, _, bare = first.decode().partition(",,") if first.startswith(b"n,") else ("", "", "")
    fields = dict(part.split("=", 1) for part in bare.split(",") if "=" in part)
    record = scram_record(fields.get("n", ""))
    if not header or record is None:
        return AuthResult(success=False)
    salt, iterations, stored, server_key = record
    nonce = fields["r"] + secrets.token_urlsafe(18)
    server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i={iterations}"
    final = await server.challenge_auth(server_first.encode())
    if final is MISSING:
        return AuthResult(success=False, handled=True)
    without_proof, _, proof = final.decode().rpartition(",p=")
    message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored, message, hashlib.sha256).digest()
    # strict=False: a proof of the wrong length fails the check below
    client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature, strict=False))
    if f"r={nonce}" not in without_proof or not hmac.compare_digest(hashlib.sha256(client_key).digest(), stored):
        return AuthResult(success=False)
    verifier = base64.b64encode(hmac.new(server_key, message, hashlib.sha256).digest())
    if await server.challenge_auth(b"v=" + verifier) is MISSING:
        return AuthResult(success=False, handled=True)
    return AuthResult(success=True, auth_data=fields["n"].encode())


def run_aiosmtpd() -> None:
    """The aiosmtpd child process: listen on a free port, say which, run until SIGTERM."""
    from aiosmtpd.smtp import SMTP

    handler, authenticator = aiosmtpd_parts()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(handler, authenticator=authenticator, auth_require_tls=False, hostname="bench.example"),
            "127.0.0.1", 0, backlog=1024)
        print(f"aiosmtpd listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()

    asyncio.run(main())



if __name__ == "__main__":
    run_aiosmtpd()
