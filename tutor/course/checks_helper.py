"""Lesson checks on the tutor's own helper commands (`:b64 encode ...`, `:decode ...`, `:cram ...`): they run
in the tutor, not on the server, so sniffed exchanges can be decoded and cracked by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor import escapes
from tutor.course import facts
from tutor.course.checkbase import HELPER, CheckKind, Fail, Outcome, Param, Pass
from tutor.course.facts import Credentials
from tutor.course.view import Attempt
from tutor.errors import InputError
from tutor.protocol import b64
from tutor.sasl import cram_md5

Params = Mapping[str, Any]
ACTION_HELPERS = ("b64", "decode")   # helpers whose action is `encode`/`decode` (`:decode` always decodes)


def _names(params: Params) -> list[str]:
    name = params["name"]
    return [str(n) for n in name] if isinstance(name, list) else [str(name)]


def _not_helper(attempt: Attempt, wanted: str) -> Fail | None:
    if attempt.helper is None:
        return Fail("not-helper", {"wanted": wanted})
    return None


def _same(typed: str, wanted: str) -> bool:
    """Equal as bytes once escapes are read (`\\0tim` is NUL + tim), else equal as text."""
    try:
        return escapes.parse(typed.strip()) == escapes.parse(wanted.strip())
    except InputError:
        return typed.strip() == wanted.strip()


def check_helper_command(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """A helper by name, optionally with its first word (`action`) and the rest (`input`, a template)."""
    names = _names(params)
    problem = _not_helper(attempt, ":" + names[0])
    if problem is not None:
        return problem
    if attempt.helper not in names:
        return Fail("wrong-helper", {"typed": ":" + str(attempt.helper), "wanted": ":" + names[0]})
    args = list(attempt.args)
    action = params.get("action")
    if action is not None and attempt.helper in ACTION_HELPERS:   # `:b64 decode X`; `:decode X` decodes too
        typed = args[0] if attempt.helper == "b64" and args else attempt.helper
        if typed != action:
            return Fail("wrong-action", {"typed": typed, "wanted": action})
        args = args[1:] if attempt.helper == "b64" else args
    wanted = params.get("input")
    if wanted is not None:
        expected = facts.render(str(wanted), creds, attempt.before)
        typed = " ".join(args)
        if not _same(typed, expected):
            shown = facts.render(str(wanted), creds, attempt.before, mask=attempt.before.live)
            key = "lost-backslashes" if "\\" in expected and typed == expected.replace("\\", "") else "wrong-input"
            return Fail(key, {"typed": typed, "wanted": shown})
    return Pass()


def _captured(params: Params) -> tuple[bytes, bytes]:
    challenge = str(params["challenge"])
    raw = escapes.parse(challenge) if challenge.startswith("<") else b64.decode(challenge)
    return raw, b64.decode(str(params["response"]))


def _typed_challenge(word: str) -> bytes | None:
    from tutor.helpers.mechanisms import parse_challenge
    try:
        return parse_challenge(word)
    except InputError:
        return None


def check_cram_guess(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`:cram USER GUESS CHALLENGE` over a captured exchange: passes when the guess reproduces the response."""
    problem = _not_helper(attempt, ":cram")
    if problem is not None:
        return problem
    if attempt.helper != "cram":
        return Fail("wrong-helper", {"typed": f":{attempt.helper}", "wanted": ":cram"})
    challenge, response = _captured(params)
    user, _, digest = response.rpartition(b" ")
    words = [w for w in attempt.args if not w.startswith("--")]
    if len(words) < 3:
        return Fail("needs-challenge")
    if _typed_challenge(words[2]) != challenge:
        return Fail("wrong-challenge", {"wanted": escapes.show(challenge)})
    if words[0].encode("utf-8") != user:
        return Fail("wrong-user", {"got": words[0], "wanted": user.decode("utf-8", "replace")})
    if cram_md5.digest(words[1].encode("utf-8"), challenge).encode("ascii") != digest.lower():
        return Fail("no-match", {"guess": words[1]})
    return Pass(params={"guess": words[1]})


def _cram_result(attempt: Attempt) -> tuple[str, str, str | None] | None:
    """(user, challenge as shown, digest or None) of a `:cram` run: from its result, else from its words."""
    data = attempt.result if isinstance(attempt.result, Mapping) else None
    if data is not None and all(isinstance(data.get(k), str) for k in ("user", "challenge", "digest")):
        return data["user"], data["challenge"], data["digest"]
    words = [w for w in attempt.args if not w.startswith("--")]
    if not words:
        return None
    challenge = attempt.before.challenge or b""
    if len(words) >= 3:
        challenge = _typed_challenge(words[2]) or b""
    if len(words) >= 2 and _typed_challenge(words[1]) is None:
        return words[0], escapes.show(challenge), cram_md5.digest(words[1].encode("utf-8"), challenge)
    return words[0], escapes.show(challenge), None      # the password was asked for: not seen here


def check_cram_digest(params: Params, attempt: Attempt, creds: Credentials) -> Outcome:
    """`:cram USER PASSWORD` over this connection's challenge: passes only when the digest it computed is the
    account's, HMAC-MD5(password, challenge) (RFC 2195 §2) - not merely because the helper ran."""
    problem = _not_helper(attempt, ":cram")
    if problem is not None:
        return problem
    if attempt.helper != "cram":
        return Fail("wrong-helper", {"typed": ":" + str(attempt.helper), "wanted": ":cram"})
    ran = _cram_result(attempt)
    if ran is None:
        return Fail("wrong-user", {"got": "", "wanted": creds.user})
    user, shown_challenge, digest = ran
    if user != creds.user:
        return Fail("wrong-user", {"got": user, "wanted": creds.user})
    challenge = attempt.before.challenge
    if challenge is None:
        return Fail("no-challenge")
    if shown_challenge != escapes.show(challenge):
        return Fail("other-challenge", {"got": shown_challenge, "wanted": escapes.show(challenge)})
    if creds.password is None or digest is None:
        return Pass("course.note.unchecked")
    if digest.lower() != cram_md5.digest(creds.password.encode("utf-8"), challenge):
        return Fail("wrong-password", {"got": digest})
    return Pass()


KINDS = (
    CheckKind("helper-command", check_helper_command,
              (Param("name", (str, list), True), Param("action", (str,)), Param("input", (str,))),
              ("wrong-helper", "wrong-action", "wrong-input", "lost-backslashes"), HELPER),
    CheckKind("cram-digest", check_cram_digest, (),
              ("wrong-helper", "wrong-user", "no-challenge", "other-challenge", "wrong-password"), HELPER),
    CheckKind("cram-guess", check_cram_guess,
              (Param("challenge", (str,), True), Param("response", (str,), True)),
              ("wrong-helper", "needs-challenge", "wrong-challenge", "wrong-user", "no-match"), HELPER),
)
