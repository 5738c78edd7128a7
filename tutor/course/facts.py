"""Template values for lesson text and solutions: the learner's credentials and what the server just sent.

Lesson prose and solution lines are str.format templates: `{user_b64}`, `{cram_b64}`... Solutions get the
real values; prose shown on a live server gets the secret ones masked (docs/ARCHITECTURE.md convention 14).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from tutor import escapes, explain
from tutor.course import facts_scram_bearer
from tutor.course.view import View
from tutor.protocol import b64
from tutor.sasl import cram_md5, plain

SIM_ONLY = facts_scram_bearer.SIM_ONLY      # fields only the simulator can fill (a lesson using them is simulator_only)

# name -> does it reveal the password?
FIELDS: dict[str, bool] = {
    "user": False, "password": True, "user_b64": False, "password_b64": True,
    "plain_message": True, "plain_b64": True, "plain_b64_authzid": True, "sender": False, "server": False,
    "mechanisms": False,
    "challenge": False, "challenge_b64": False, "cram_digest": False, "cram_response": False, "cram_b64": False,
    **facts_scram_bearer.FIELDS,
}


@dataclass(frozen=True)
class Credentials:
    """Who the learner logs in as; `password` is None when unknown (never shown on a live server)."""

    user: str
    password: str | None

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password='***')"


def fields_in(template: str, *, whole: bool = False) -> set[str]:
    """The field names a template uses (`whole`: as written, `{user.upper}` included); ValueError when it is not
    a valid format string."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return names if whole else {name.split(".")[0].split("[")[0] for name in names}


def placeholders(template: str) -> list[tuple[str, str, str]]:
    """(field name, format spec, conversion) of each placeholder; ValueError when it is not a valid format string."""
    return [(name, spec or "", conversion or "") for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None]


def values(creds: Credentials, view: View, target: str = "", authzid: str | None = None) -> dict[str, str]:
    """Every template value that can be computed now; missing ones are left out.

    `plain_b64_authzid` is the PLAIN message with the authzid the current step asks for (its check's `authzid`).
    """
    out = {"user": creds.user, "user_b64": b64.encode(creds.user.encode("utf-8")), "server": target,
           "sender": creds.user if "@" in creds.user else f"{creds.user}@example.com"}
    mechanisms = view.capabilities.auth_mechanisms
    if mechanisms:
        out["mechanisms"] = " ".join(mechanisms)
    if creds.password is not None:
        message = plain.build(creds.user, creds.password)
        out.update(password=creds.password, password_b64=b64.encode(creds.password.encode("utf-8")),
                   plain_message=escapes.show(message), plain_b64=b64.encode(message))
        if authzid:
            out["plain_b64_authzid"] = b64.encode(plain.build(creds.user, creds.password, authzid))
    if view.challenge:
        out.update(challenge=escapes.show(view.challenge), challenge_b64=b64.encode(view.challenge))
        if creds.password is not None:
            answer = cram_md5.response(creds.user, creds.password, view.challenge)
            out.update(cram_digest=answer.rsplit(b" ", 1)[1].decode("ascii"),
                       cram_response=answer.decode("utf-8", "replace"), cram_b64=b64.encode(answer))
    out.update(facts_scram_bearer.values(creds, view))     # SCRAM and bearer-token values
    return out


class _Placeholder(dict):
    """Missing values become a short "(not known yet)" text instead of a KeyError."""

    def __missing__(self, name: str) -> str:
        return explain.text("course.value.unknown", name=name)


def render(template: str, creds: Credentials, view: View, *, target: str = "", mask: bool = False,
           extra: dict | None = None, strip: bool = True, authzid: str | None = None) -> str:
    """Fill a template; `mask` replaces the values that reveal a password with words for them; `extra` adds
    values (a failure's `typed`, `wanted`...)."""
    found = values(creds, view, target, authzid)
    if mask:
        for name, secret in FIELDS.items():
            if secret and name in found:
                found[name] = explain.text(f"course.value.masked.{name}")
    found.update({k: str(v) for k, v in (extra or {}).items()})
    try:
        text = template.format_map(_Placeholder(found))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError, OverflowError, MemoryError):
        text = template          # the loader refuses such templates; one that slipped through is shown as written
    return text.strip() if strip else text
