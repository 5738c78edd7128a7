"""SASL mechanisms, one pure module each; MECHANISMS is the registry and get() looks names up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tutor.errors import InputError
from tutor.sasl import cram_md5, login, oauthbearer, plain, scram, xoauth2
from tutor.sasl.base import ClientMechanism, Credentials, SecretLookup, ServerMechanism


@dataclass(frozen=True)
class MechanismInfo:
    """What the rest of the tutor needs to know about one mechanism."""

    name: str                                           # upper-case IANA name, e.g. "CRAM-MD5"
    client_first: bool                                  # may the client send an initial response?
    plaintext: bool                                     # does the password cross the wire recoverably?
    client: Callable[..., ClientMechanism]              # client(Credentials, **options)
    server: Callable[..., ServerMechanism]              # server(lookup: SecretLookup, **options)
    summary_key: str                                    # tutor.explain key for a one-line summary
    bearer: bool = False                                # is the secret an OAuth bearer token (replayable)?


MECHANISMS: dict[str, MechanismInfo] = {}


def register(info: MechanismInfo) -> MechanismInfo:
    """Add a mechanism to MECHANISMS under its upper-case name."""
    if info.name != info.name.upper() or info.name in MECHANISMS:
        raise ValueError(f"mechanism name must be upper case and new: {info.name!r}")
    MECHANISMS[info.name] = info
    return info


# One line per mechanism: name, client_first, plaintext, client, server, summary key.
register(MechanismInfo("PLAIN", True, True, plain.PlainClient, plain.PlainServer, "sasl.mech.plain"))
register(MechanismInfo("LOGIN", False, True, login.LoginClient, login.LoginServer, "sasl.mech.login"))
register(MechanismInfo("CRAM-MD5", False, False, cram_md5.CramClient, cram_md5.CramServer, "sasl.mech.cram-md5"))
register(MechanismInfo("SCRAM-SHA-1", True, False, scram.sha1_client, scram.sha1_server, "scram.mech.sha-1"))
register(MechanismInfo("SCRAM-SHA-256", True, False, scram.sha256_client, scram.sha256_server, "scram.mech.sha-256"))
register(MechanismInfo("XOAUTH2", True, True, xoauth2.XOauth2Client, xoauth2.lab_server, "oauth.mech.xoauth2",
                       bearer=True))
register(MechanismInfo("OAUTHBEARER", True, True, oauthbearer.OAuthBearerClient, oauthbearer.lab_server,
                       "oauth.mech.oauthbearer", bearer=True))


def get(name: str) -> MechanismInfo:
    """The mechanism called `name`, in any case (RFC 4954 §8: names MUST be accepted case-insensitively)."""
    info = MECHANISMS.get(name.upper()) if name.isascii() else None  # ASCII only: "plaın".upper() == "PLAIN"
    if info is None:
        raise InputError(f"unknown SASL mechanism {name!r}; known: {', '.join(MECHANISMS)}")
    return info


__all__ = ["MECHANISMS", "Credentials", "MechanismInfo", "SecretLookup", "get", "register"]
