"""The mechanism registry, the shared client/server contract, and that every SASL words key exists."""

import dataclasses
import pathlib
import re

import pytest

from tutor import explain
from tutor.errors import InputError
from tutor.sasl import MECHANISMS, MechanismInfo, get, register
from tutor.sasl.base import Challenge, Credentials, Done

SASL_DIR = pathlib.Path(__file__).resolve().parent.parent / "tutor" / "sasl"

# name -> (client_first, plaintext)
EXPECTED = {
    "PLAIN": (True, True),
    "LOGIN": (False, True),
    "CRAM-MD5": (False, False),
}


def test_registry_holds_the_classic_three():
    assert {name: (i.client_first, i.plaintext) for name, i in MECHANISMS.items()
            if name in EXPECTED} == EXPECTED
    assert all(name == info.name == name.upper() for name, info in MECHANISMS.items())


@pytest.mark.parametrize("spelled, name", [
    ("PLAIN", "PLAIN"), ("plain", "PLAIN"), ("Login", "LOGIN"), ("cram-md5", "CRAM-MD5"), ("Cram-Md5", "CRAM-MD5"),
])
def test_get_is_case_insensitive(spelled, name):
    assert get(spelled).name == name                 # RFC 4954 §8


@pytest.mark.parametrize("spelled", ["X-NOT-A-MECH", "", "PLAIN ", "pla\u0131n", "CRAM_MD5"])
def test_get_unknown(spelled):
    with pytest.raises(InputError) as info:
        get(spelled)
    message = str(info.value)
    assert "\n" not in message and "PLAIN" in message and "CRAM-MD5" in message


def test_info_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MECHANISMS["PLAIN"].plaintext = False


def test_register_refuses_duplicates_and_lower_case():
    plain = MECHANISMS["PLAIN"]
    with pytest.raises(ValueError):
        register(plain)
    with pytest.raises(ValueError):
        register(dataclasses.replace(plain, name="plain2"))
    assert "plain2" not in MECHANISMS and "PLAIN2" not in MECHANISMS


def run(info: MechanismInfo, creds: Credentials, accounts: dict) -> Done:
    """A minimal protocol driver: what the protocol layer does, minus base64 and 334."""
    client, server = info.client(creds), info.server(accounts.get)
    assert client.name == server.name == info.name
    out = server.start(client.initial_response() if info.client_first else None)
    while isinstance(out, Challenge):
        out = server.receive(client.respond(out.data))
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_mechanism_pairs_up(name):
    info = get(name)
    accounts = {"tim": "tanstaaftanstaaf"}
    assert run(info, Credentials("tim", "tanstaaftanstaaf"), accounts).result.success
    failed = run(info, Credentials("tim", "wrong"), accounts).result
    assert (failed.success, failed.reason) == (False, "bad-password")
    assert run(info, Credentials("nobody", "x"), accounts).result.reason == "no-such-user"


def test_summary_keys_have_words():
    for info in MECHANISMS.values():
        assert explain.text(info.summary_key) != info.summary_key, info.name


def _keys_used_in_sasl_code() -> set[str]:
    keys = set()
    for path in SASL_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'"(sasl\.(?:step|note|mech)\.[a-z0-9.-]+)"', source))
        keys |= {"sasl.problem.cram." + k for k in re.findall(r'P \+ "([a-z-]+)"', source)}
    return keys


def test_every_key_used_has_words():
    keys = _keys_used_in_sasl_code()
    assert len(keys) > 40
    missing = sorted(k for k in keys if not isinstance(explain.lookup(k), str))
    assert missing == []


@pytest.mark.parametrize("reason", ["malformed", "no-such-user", "bad-password", "authzid-denied",
                                    "initial-response-not-allowed"])
def test_failure_reasons_have_words(reason):
    assert isinstance(explain.lookup(f"sasl.reason.{reason}"), str)


def test_sasl_modules_do_no_io():
    forbidden = re.compile(r"^\s*(import|from)\s+(socket|ssl|asyncio|prompt_toolkit|pygments|base64)\b", re.M)
    for path in SASL_DIR.glob("*.py"):
        assert not forbidden.search(path.read_text(encoding="utf-8")), path.name


# Which client message carries what, from the specs: RFC 4616 §2 (PLAIN: one message with the password),
# draft-murchison-sasl-login §2.1 (user name, then password), RFC 7628 §3.1 / Google's XOAUTH2 document (the
# token in the first message), RFC 2195 §2 (a digest), RFC 5802 §3 (client-first names the user, client-final
# carries the proof).
ROLES = {
    "PLAIN": ("secret",), "LOGIN": ("identity", "secret"), "XOAUTH2": ("secret",), "OAUTHBEARER": ("secret",),
    "CRAM-MD5": ("proof",), "SCRAM-SHA-1": ("identity", "proof"), "SCRAM-SHA-256": ("identity", "proof"),
}


@pytest.mark.parametrize("name, roles", sorted(ROLES.items()))
def test_each_client_message_has_its_role(name, roles):
    from tutor.sasl import carries_secret, message_role
    assert tuple(message_role(name, n).value for n in range(1, len(roles) + 1)) == roles
    assert [n for n in range(1, 4) if carries_secret(name.lower(), n)] == \
        [n for n, role in enumerate(roles, 1) if role == "secret"]


def test_unknown_mechanisms_are_recorded_secret_but_not_called_the_secret():
    from tutor.sasl import carries_secret, recorded_as_secret
    assert recorded_as_secret("DIGEST-MD5", 1) and recorded_as_secret(None, 3)
    assert not carries_secret("DIGEST-MD5", 1) and not carries_secret(None, 1)


def test_exposure_bearer_and_spec_are_read_from_one_place():
    import tomllib

    from citations import ROOT
    table = tomllib.loads((ROOT / "tutor" / "data" / "citations.toml").read_text(encoding="utf-8"))["doc"]
    for info in MECHANISMS.values():
        assert info.spec is None or info.spec in table, info.name
        assert info.bearer == (info.name in ("XOAUTH2", "OAUTHBEARER"))
        assert info.plaintext == (info.name in ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"))


def test_the_tracer_masks_a_plain_message_by_role_even_when_it_does_not_decode_as_plain():
    from tutor.trace.pipeline import trace_bytes
    capture = ("S: 220 mx ESMTP\nC: EHLO me\nS: 250 AUTH PLAIN\nC: AUTH PLAIN\nS: 334 \n"
               "C: dGFuc3RhYWZ0YW5zdGFhZg==\nS: 535 5.7.8 no\n")          # "tanstaaftanstaaf", no NULs
    rows = trace_bytes(capture.encode(), "x", "rfc")[0].rows
    assert [row.secret for row in rows if row.text == "dGFuc3RhYWZ0YW5zdGFhZg=="] == [True]


def test_each_mechanism_names_the_helper_that_builds_its_messages():
    from tutor.helpers.registry import HELPERS
    for info in MECHANISMS.values():
        assert info.helper in HELPERS, info.name
