"""SASL mechanisms, one pure module each; tutor.sasl.registry holds what is known of each, registered here."""

from __future__ import annotations

from tutor.sasl import cram_md5, digest_md5, gssapi, login, ntlm, oauthbearer, plain, scram, xoauth2
from tutor.sasl.base import Credentials, SecretLookup
from tutor.sasl.registry import (
    MECHANISMS,
    Exposure,
    MechanismInfo,
    Role,
    carries_secret,
    find,
    get,
    message_role,
    names,
    recorded_as_secret,
    register,
    unregister,
)

S, I, P = Role.SECRET, Role.IDENTITY, Role.PROOF  # noqa: E741 - initials keep each registry entry short
CLEAR, TOKEN = Exposure.PLAINTEXT, Exposure.BEARER_TOKEN
DIGEST, PROVE = Exposure.CHALLENGE_RESPONSE, Exposure.ZERO_KNOWLEDGE

# One line per mechanism: name, client_first, exposure, client, server, summary key, spec, client message roles.
register(MechanismInfo("PLAIN", True, CLEAR, plain.PlainClient, plain.PlainServer, "sasl.mech.plain", "RFC 4616", (S,),
                       "plain", "plain"))
register(MechanismInfo("LOGIN", False, CLEAR, login.LoginClient, login.LoginServer, "sasl.mech.login",
                       "draft-murchison-sasl-login", (I, S), "login", "login", ("wording",)))
register(MechanismInfo("CRAM-MD5", False, DIGEST, cram_md5.CramClient, cram_md5.CramServer, "sasl.mech.cram-md5",
                       "draft-ietf-sasl-crammd5", (P,), "cram", "cram", ("challenge_factory",)))
register(MechanismInfo("SCRAM-SHA-1", True, PROVE, scram.sha1_client, scram.sha1_server, "scram.mech.sha-1",
                       "RFC 5802", (I, P), "scram", "scram"))
register(MechanismInfo("SCRAM-SHA-256", True, PROVE, scram.sha256_client, scram.sha256_server, "scram.mech.sha-256",
                       "RFC 7677", (I, P), "scram", "scram"))
register(MechanismInfo("XOAUTH2", True, TOKEN, xoauth2.XOauth2Client, xoauth2.lab_server, "oauth.mech.xoauth2",
                       None, (S,), "bearer", "xoauth2"))   # Google's XOAUTH2 document, no RFC
register(MechanismInfo("OAUTHBEARER", True, TOKEN, oauthbearer.OAuthBearerClient, oauthbearer.lab_server,
                       "oauth.mech.oauthbearer", "RFC 7628", (S,), "bearer", "oauthbearer"))
register(MechanismInfo("DIGEST-MD5", False, DIGEST, digest_md5.DigestClient, digest_md5.DigestServer,
                       "mechs.mech.digest-md5", "RFC 2831", (P, Role.NONE), "digest", "decode", offered=False))
register(MechanismInfo("NTLM", True, DIGEST, ntlm.decode_only, ntlm.decode_only, "mechs.mech.ntlm", None,
                       (Role.NONE, P), "ntlm", "decode", offered=False))   # MS-NLMP, no RFC; decode-only
register(MechanismInfo("GSSAPI", True, PROVE, gssapi.decode_only, gssapi.decode_only, "mechs.mech.gssapi", "RFC 4752",
                       (P,), "gssapi", "decode", offered=False))   # Kerberos: a ticket, never the password

__all__ = [
                                 "MECHANISMS",
                                 "Credentials",
                                 "Exposure",
                                 "MechanismInfo",
                                 "Role",
                                 "SecretLookup",
                                 "carries_secret",
                                 "find",
                                 "get",
                                 "message_role",
                                 "names",
                                 "recorded_as_secret",
                                 "register",
                                 "unregister",
]
