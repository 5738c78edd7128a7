"""Teaching profiles of the simulated server: what it advertises, its wording, its challenges and its limits.

PROFILES is a plain dict (docs/ARCHITECTURE.md convention 6); summaries live in tutor/data/sim.toml `[profile]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from tutor import explain
from tutor.errors import InputError

DEFAULT_HOSTNAME = "sim.smtp-tutor.test"
DEFAULT_MAX_AUTH_FAILURES = 3     # RFC 4954 §9: a server that drops after failures SHOULD allow at least 3
LESSON_MAX_AUTH_FAILURES = 50     # lessons: room to make mistakes without meeting the 421 (tutor.lesson_sessions)
DEFAULT_EHLO = ("PIPELINING", "SIZE {size}", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS", "AUTH")
# Gmail's order (smtp.gmail.com, 2024): no AUTH line at all before STARTTLS.
GMAIL_EHLO = ("SIZE {size}", "8BITMIME", "STARTTLS", "AUTH", "ENHANCEDSTATUSCODES", "PIPELINING")


@dataclass(frozen=True)
class Profile:
    """How one simulated server behaves.

    `ehlo` lists the EHLO extension lines in order; the tokens `AUTH` and `AUTH=` stand for the mechanism
    list (standard and pre-RFC 2554 forms) and are left out when nothing is offered; `STARTTLS` is left out
    inside TLS or when the transport cannot do TLS.
    """

    name: str
    mechanisms: tuple[str, ...] | None = None             # offered inside TLS; None: the registry's, read when asked
    clear_mechanisms: tuple[str, ...] | None = None       # offered without TLS; None: the same
    auth_requires_tls: bool = False                       # AUTH before STARTTLS -> 530 5.7.0
    auth_needs_ehlo: bool = False                         # AUTH (or MAIL before AUTH) after HELO -> 503
    ehlo: tuple[str, ...] = DEFAULT_EHLO
    ehlo_greeting: str = "{host} Hello {client}"
    enhanced_codes: bool = True                           # RFC 2034: only if ENHANCEDSTATUSCODES is advertised
    texts: dict[str, str] = field(default_factory=dict, hash=False)   # reply text overrides (tutor.sim.replies keys)
    login_wording: str = "common"                         # tutor.sasl.login.PROMPTS key
    challenge: str = "random"                             # "random" | "fixed" | "glitchy" (tutor.sim.challenges)
    scram: str = "random"                                 # "random" salts and nonces, or "fixed": the RFC examples'
    scram_iterations: int = 4096                          # RFC 7677 §4: SHOULD be at least 4096
    impostor: bool = False                                # accepts any credentials (a fake server: sim.scram_bearer)
    ehlo_notes: tuple[str, ...] = ()                      # extra sim.* note keys after EHLO
    max_auth_failures: int = DEFAULT_MAX_AUTH_FAILURES    # failed logins before 421 (0 = never)
    max_bad_commands: int = 10
    max_recipients: int = 100
    max_message_size: int = 10 * 1024 * 1024
    auth_error: str | None = None                         # tutor.sim.policy code: 454, 534, 538 or 432
    auth_buffer: int | None = None                        # octets of one AUTH response before 500 5.5.6
    accounts: tuple[tuple[str, str, str], ...] = ()       # built-in (name, password, policy code) accounts

    @property
    def summary(self) -> str:
        """One line for `serve --list-profiles` and the REPL."""
        return _summary(self.name)

    def offered(self, tls: bool) -> tuple[str, ...]:
        """The mechanisms advertised (and accepted) with or without TLS."""
        from tutor.sasl import registry  # every mechanism: not needed to greet

        chosen = self.mechanisms if tls else self.clear_mechanisms
        return chosen if chosen is not None else registry.names(offered_only=True)

    def advertises(self, keyword: str) -> bool:
        return keyword in self.ehlo


def check_max_auth_failures(value: int) -> int:
    """`value` if it is a usable failed-login limit (0 = never close); InputError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"max auth failures must be a whole number, 0 or more (0 = never), not {value!r}")
    return value


@cache
def _summary(name: str) -> str:
    return explain.text(f"sim.profile.{name}")


SMALL_AUTH_BUFFER = 64   # octets: PLAIN, LOGIN and CRAM-MD5 answers for the lab users fit; SCRAM and tokens do not
# One built-in account per error code, password = name: each meets its reply whatever the profile's policy.
ERROR_CODE_ACCOUNTS = (("tempfail", "tempfail", "454"), ("weak", "weak", "534"), ("needtls", "needtls", "538"),
                       ("transition", "transition", "432"))

_LEGACY_EHLO = ("AUTH=", "AUTH", "PIPELINING", "8BITMIME")
_LEGACY_TEXTS = {"auth-ok": "Go Ahead", "auth-failed": "auth failure"}
_LEGACY_MECHS = ("LOGIN", "CRAM-MD5")
_HISTORIC_MECHS = ("DIGEST-MD5", "CRAM-MD5", "PLAIN", "LOGIN")   # DIGEST-MD5: Historic since RFC 6331

PROFILES: dict[str, Profile] = {
    "lab": Profile("lab", ehlo_notes=("sim.ehlo.lab-clear",)),
    "strict": Profile("strict", clear_mechanisms=(), auth_requires_tls=True, auth_needs_ehlo=True),
    "legacy-2002": Profile(
        "legacy-2002", mechanisms=_LEGACY_MECHS, clear_mechanisms=_LEGACY_MECHS, ehlo=_LEGACY_EHLO,
        ehlo_greeting="{host}", enhanced_codes=False, texts=_LEGACY_TEXTS, ehlo_notes=("sim.ehlo.legacy",)),
    "glitchy-cram": Profile(
        "glitchy-cram", mechanisms=_LEGACY_MECHS, clear_mechanisms=_LEGACY_MECHS, ehlo=_LEGACY_EHLO,
        ehlo_greeting="{host}", enhanced_codes=False, texts=_LEGACY_TEXTS, challenge="glitchy",
        ehlo_notes=("sim.ehlo.legacy",)),
    "fixed-challenge": Profile("fixed-challenge", challenge="fixed", ehlo_notes=("sim.ehlo.lab-clear",)),
    "draft-login": Profile("draft-login", login_wording="draft", ehlo_notes=("sim.ehlo.lab-clear",)),
    "oauth-tls": Profile(
        "oauth-tls", mechanisms=("XOAUTH2", "OAUTHBEARER", "PLAIN"), clear_mechanisms=(), auth_requires_tls=True,
        ehlo=GMAIL_EHLO, ehlo_greeting="{host} at your service", texts={"auth-ok": "Accepted"},
        max_message_size=35882577, ehlo_notes=("sim.ehlo.oauth-tls",)),
    "fixed-scram": Profile("fixed-scram", scram="fixed", ehlo_notes=("sim.ehlo.lab-clear",)),
    "impostor": Profile("impostor", impostor=True, ehlo_notes=("sim.ehlo.impostor",)),
    # Error-code profiles (issue 13): the RFC 4954 §6 replies students otherwise only read about.
    "temp-failure": Profile("temp-failure", auth_error="454", ehlo_notes=("sim.ehlo.lab-clear",)),
    "too-weak": Profile("too-weak", auth_error="534", ehlo_notes=("sim.ehlo.lab-clear",)),
    "encryption-required": Profile("encryption-required", auth_error="538",
                                   ehlo_notes=("sim.ehlo.encryption-required",)),
    "password-transition": Profile("password-transition", auth_error="432", ehlo_notes=("sim.ehlo.lab-clear",)),
    "small-auth-buffer": Profile("small-auth-buffer", auth_buffer=SMALL_AUTH_BUFFER,
                                 ehlo_notes=("sim.ehlo.lab-clear",)),
    "error-codes": Profile("error-codes", accounts=ERROR_CODE_ACCOUNTS, ehlo_notes=("sim.ehlo.error-codes",)),
    "historic": Profile("historic", mechanisms=_HISTORIC_MECHS, clear_mechanisms=_HISTORIC_MECHS,
                        ehlo_notes=("sim.ehlo.lab-clear",)),
}

DEFAULT_PROFILE = "lab"

# Old names still accepted where a user types a profile (they stay out of listings and completion).
PROFILE_ALIASES = {"modern": "oauth-tls"}   # named for when it was written; it is the OAuth-and-TLS-first profile


def canonical_name(name: str) -> str:
    """The profile name `name` stands for: itself, or the current name of an old alias."""
    return PROFILE_ALIASES.get(name, name)
