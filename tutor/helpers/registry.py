"""The helper command registry (a plain dict, convention 6) shared by the one-shot CLI and the REPL."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from tutor import explain
from tutor.helpers import codes_helper, decode, encoding, mechanisms, scram_bearer
from tutor.helpers.result import Context, Result


@dataclass(frozen=True)
class HelperCommand:
    """A helper: its name, syntax, one-line summary, argparse set-up and the function that runs it."""

    name: str
    syntax: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Context], Result]
    secret_positionals: tuple[int, ...] = ()   # word positions (after the name) that may hold a password

    @property
    def summary(self) -> str:
        return explain.text(f"helpers.summary.{self.name}")


HELPERS: dict[str, HelperCommand] = {
    "b64": HelperCommand("b64", "b64 encode|decode TEXT", encoding.configure, encoding.run),
    "plain": HelperCommand("plain", "plain USER [PASSWORD] [--authzid ID]", mechanisms.configure_plain,
                           mechanisms.run_plain, (1,)),
    "login": HelperCommand("login", "login USER [PASSWORD]", mechanisms.configure_login, mechanisms.run_login, (1,)),
    "cram": HelperCommand("cram", "cram USER [PASSWORD] [CHALLENGE]", mechanisms.configure_cram, mechanisms.run_cram,
                          (1,)),
    "scram": HelperCommand("scram", "scram USER [PASSWORD] [--hash SHA-1|SHA-256] [--nonce N] [--server-first MSG]",
                           scram_bearer.configure_scram, scram_bearer.run_scram, (1,)),
    "xoauth2": HelperCommand("xoauth2", "xoauth2 USER [TOKEN]", scram_bearer.configure_xoauth2,
                             scram_bearer.run_xoauth2, (1,)),
    "oauthbearer": HelperCommand("oauthbearer", "oauthbearer USER [TOKEN] [--host H --port P]",
                                 scram_bearer.configure_oauthbearer, scram_bearer.run_oauthbearer, (1,)),
    "token": HelperCommand("token", "token USER", scram_bearer.configure_token, scram_bearer.run_token),
    "decode": HelperCommand("decode", "decode TEXT", decode.configure, decode.run),
    "explain": HelperCommand("explain", "explain CODE [ENHANCED]", codes_helper.configure, codes_helper.run),
}
