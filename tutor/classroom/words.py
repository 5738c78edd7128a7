"""The classroom's words: mistakes, client guesses, results and totals, from tutor/data/classroom.toml."""

from __future__ import annotations

from functools import cache, lru_cache

from tutor import explain

# sasl.reason.* keys (tutor/data/sasl.toml) whose words arrive in the server's sim.auth.failed note
_FAILURE_REASONS = {"bad-password": "wrong-password", "no-such-user": "no-such-user"}


@cache
def _reasons() -> dict[str, str]:
    return {explain.text(f"sasl.reason.{reason}"): key for reason, key in _FAILURE_REASONS.items()}


def failure_mistake(reason_words: str) -> str:
    """The mistake behind a 535, from the words of the server's note (wrong password, unknown user...)."""
    return _reasons().get(reason_words, "auth-failed")


@cache
def mistake(key: str) -> str:
    return explain.text(f"classroom.mistake.{key}")


def client(key: str, ehlo: str = "") -> str:
    if key != "unknown":
        return _client(key)
    return _unknown_client(ehlo)


@lru_cache(maxsize=1024)
def _unknown_client(ehlo: str) -> str:
    """An unknown program, shown by its EHLO name (a class's machines say the same few names again and again)."""
    return explain.text("classroom.client.unknown", ehlo=ehlo or "?")


@cache
def _client(key: str) -> str:
    return explain.text(f"classroom.client.{key}")


@lru_cache(maxsize=256)
def result(code: int | None, logged_in: bool, open_: bool) -> str:
    """235 logged in / 535 refused / in progress / no login."""
    if code == 235 or logged_in:
        return explain.text("classroom.result.success")
    if code == 334 and open_:
        return explain.text("classroom.result.waiting")
    if code is not None:
        return explain.text("classroom.result.failure", code=code)
    return explain.text("classroom.result.open" if open_ else "classroom.result.no-auth")


def text(key: str, **params) -> str:
    return explain.text(f"classroom.{key}", **params)
