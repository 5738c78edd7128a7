"""Table cases for the SCRAM and bearer-token lesson checks, for tests/test_course_checks.py (run as tim /
tanstaaftanstaaf). The proofs are computed here with hashlib alone (RFC 5802 §3), not with tutor.sasl."""

from __future__ import annotations

import base64
import hashlib
import hmac

from course_support import CAPS, READY, b64, line
from course_support import LOGIN_PASS as LOGIN_PASS_VIEW

from tutor.course.view import AUTH_RESPONSE, View
from tutor.protocol.states import State

CLIENT_FIRST = "n,,n=tim,r=fyko+d2lbbFgONRv9qkxdawL"
SERVER_FIRST = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
WITHOUT_PROOF = "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"


def scram_proof(password: bytes, salt_b64: str, iterations: int, auth_message: str, digest: str = "sha256") -> str:
    """ClientKey XOR HMAC(H(ClientKey), AuthMessage), from PBKDF2 (RFC 5802 §3), in base64."""
    salted = hashlib.pbkdf2_hmac(digest, password, base64.b64decode(salt_b64), iterations)
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    stored = hashlib.new(digest, client_key).digest()
    signature = hmac.new(stored, auth_message.encode(), digest).digest()
    return base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()


TIM_PROOF = scram_proof(b"tanstaaftanstaaf", "QSXCR+Q6sek8bf92", 4096,
                        ",".join((CLIENT_FIRST[3:], SERVER_FIRST, WITHOUT_PROOF)))
WRONG_PROOF = scram_proof(b"wrong", "QSXCR+Q6sek8bf92", 4096, ",".join((CLIENT_FIRST[3:], SERVER_FIRST, WITHOUT_PROOF)))
SCRAM_WAIT = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="SCRAM-SHA-256", responses=0, challenge=b"",
                  messages=(("S", b""),))
SCRAM_FINAL = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="SCRAM-SHA-256", responses=1,
                   challenge=SERVER_FIRST.encode(),
                   messages=(("C", CLIENT_FIRST.encode()), ("S", SERVER_FIRST.encode())))
BEARER_WAIT = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="OAUTHBEARER", responses=0, challenge=b"")
JSON_ERROR = b'{"status":"invalid_token","scope":"example_scope"}'                  # RFC 7628 §3.2.2's format
OB_ERROR = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="OAUTHBEARER", responses=1,
                challenge=JSON_ERROR)
XO_ERROR = View(State.AUTH, AUTH_RESPONSE, capabilities=CAPS, mechanism="XOAUTH2", responses=1,
                challenge=b'{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}')
LAB_TOKEN = "lab-" + base64.urlsafe_b64encode(
    hmac.new(b"smtp-auth-tutor lab token key", b"tim", hashlib.sha256).digest()).decode().rstrip("=")[:32]
FIRST = {"mechanism": "SCRAM-SHA-256"}
XO, OB = {"mechanism": "XOAUTH2", "token": "lab"}, {"mechanism": "OAUTHBEARER", "token": "lab"}
PASS = "pass"

SCRAM_BEARER_CASES = [
    # SCRAM client-first (RFC 5802 §7: gs2-header n=user,r=nonce)
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-256 " + b64(CLIENT_FIRST)), PASS),
    ("scram-client-first", FIRST, line(SCRAM_WAIT, b64(CLIENT_FIRST)), PASS),
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-256 " + CLIENT_FIRST), "plain-text"),
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-256"), "no-message"),
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-1 " + b64(CLIENT_FIRST)), "wrong-mechanism"),
    ("scram-client-first", FIRST, line(READY, "EHLO x"), "not-auth"),
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-256 " + b64("n,,n=tom,r=abc")), "wrong-user"),
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-256 " + b64("p=tls-exporter,,n=tim,r=abc")),
     "channel-binding"),                                                            # RFC 5802 §6
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-256 " + b64("n,,r=abc")), "malformed"),
    ("scram-client-first", FIRST, line(READY, "AUTH SCRAM-SHA-256 " + b64(SERVER_FIRST)), "wrong-message"),
    ("scram-client-first", FIRST, line(SCRAM_WAIT, "*"), "cancelled"),
    # SCRAM client-final: the combined nonce and the proof (RFC 5802 §3, §5.1)
    ("scram-client-final", {}, line(SCRAM_FINAL, b64(f"{WITHOUT_PROOF},p={TIM_PROOF}")), PASS),
    ("scram-client-final", {}, line(SCRAM_FINAL, b64(f"{WITHOUT_PROOF},p={WRONG_PROOF}")), "wrong-proof"),
    ("scram-client-final", {}, line(SCRAM_FINAL, b64(f"c=biws,r=fyko+d2lbbFgONRv9qkxdawL,p={TIM_PROOF}")),
     "client-nonce-only"),
    ("scram-client-final", {}, line(SCRAM_FINAL, b64(f"c=biws,r=fyko+other,p={TIM_PROOF}")), "wrong-nonce"),
    ("scram-client-final", {}, line(SCRAM_FINAL, b64(f"c=eSws,{WITHOUT_PROOF[7:]},p={TIM_PROOF}")), "wrong-binding"),
    ("scram-client-final", {}, line(SCRAM_FINAL, f"{WITHOUT_PROOF},p={TIM_PROOF}"), "plain-text"),
    ("scram-client-final", {}, line(SCRAM_FINAL, b64(CLIENT_FIRST)), "wrong-message"),
    ("scram-client-final", {}, line(READY, b64(f"{WITHOUT_PROOF},p={TIM_PROOF}")), "not-in-exchange"),
    # XOAUTH2 and OAUTHBEARER messages with the simulator's lab token
    ("bearer-response", XO, line(READY, "AUTH XOAUTH2 " + b64(f"user=tim\x01auth=Bearer {LAB_TOKEN}\x01\x01")), PASS),
    ("bearer-response", XO, line(READY, "AUTH XOAUTH2 " + b64("user=tim\x01auth=Bearer lab-other\x01\x01")),
     "wrong-token"),
    ("bearer-response", XO, line(READY, "AUTH XOAUTH2 " + b64(f"user=tim^Aauth=Bearer {LAB_TOKEN}^A^A")),
     "literal-ctrl-a"),
    ("bearer-response", XO, line(READY, "AUTH XOAUTH2 " + b64(f"user=tom\x01auth=Bearer {LAB_TOKEN}\x01\x01")),
     "wrong-user"),
    ("bearer-response", XO, line(READY, "AUTH OAUTHBEARER x"), "wrong-mechanism"),
    ("bearer-response", OB, line(BEARER_WAIT, b64(f"n,a=tim,\x01auth=Bearer {LAB_TOKEN}\x01\x01")), PASS),
    ("bearer-response", OB, line(BEARER_WAIT, b64(f"n,a=tim,\x01auth=Bearer {LAB_TOKEN}\x01")), "malformed"),
    ("bearer-response", {"mechanism": "OAUTHBEARER"}, line(BEARER_WAIT, b64("n,a=tim,\x01auth=Bearer x\x01\x01")),
     PASS),                                                                          # token = "any"
    # the answer to the JSON error challenge: OAUTHBEARER ^A (RFC 7628 §3.2.3), XOAUTH2 an empty line (Google)
    ("bearer-error-answer", {}, line(OB_ERROR, "AQ=="), PASS),
    ("bearer-error-answer", {}, line(OB_ERROR, ""), "wants-ctrl-a"),
    ("bearer-error-answer", {}, line(OB_ERROR, "^A"), "plain-text"),
    ("bearer-error-answer", {}, line(OB_ERROR, "*"), "cancelled"),
    ("bearer-error-answer", {}, line(OB_ERROR, "AQ"), "not-base64"),
    ("bearer-error-answer", {}, line(XO_ERROR, ""), PASS),
    ("bearer-error-answer", {}, line(XO_ERROR, "AQ=="), PASS),                     # with a note: Google says empty
    ("bearer-error-answer", {}, line(XO_ERROR, b64("tim")), "wants-empty"),
    ("bearer-error-answer", {}, line(LOGIN_PASS_VIEW, ""), "other-mechanism"),
    ("bearer-error-answer", {}, line(READY, "QUIT"), "not-in-exchange"),
]


# `:scram USER PASSWORD` (lesson 11's compute and verify steps): judged on the client-final the helper computed.
def _ran(final: str, server: str = "sent"):
    from tutor.course.view import Attempt
    return Attempt(SCRAM_FINAL, SCRAM_FINAL, helper="scram", args=("tim",),
                   result={"mechanism": "SCRAM-SHA-256", "client_final": final, "server": server})


def helper_attempt(view, name, result):
    from tutor.course.view import Attempt
    return Attempt(view, view, helper=name, args=("tim",), result=result)


RIGHT_FINAL, WRONG_FINAL = f"{WITHOUT_PROOF},p={TIM_PROOF}", f"{WITHOUT_PROOF},p={WRONG_PROOF}"
SCRAM_BEARER_CASES += [
    ("scram-helper", {}, _ran(RIGHT_FINAL), PASS),
    ("scram-helper", {}, _ran(WRONG_FINAL), "wrong-password"),
    ("scram-helper", {"verify": True}, _ran(RIGHT_FINAL, "verified"), PASS),
    ("scram-helper", {"verify": True}, _ran(RIGHT_FINAL, "sent"), "no-server-final"),
    ("scram-helper", {"verify": True}, _ran(RIGHT_FINAL, "refused"), "not-verified"),
    ("scram-helper", {"verify": True}, _ran(WRONG_FINAL, "refused"), "wrong-password"),
    ("scram-helper", {}, helper_attempt(SCRAM_FINAL, "scram", {"client_first": CLIENT_FIRST}), "no-server-first"),
    ("scram-helper", {}, helper_attempt(SCRAM_FINAL, "b64", None), "wrong-helper"),
    ("scram-helper", {}, line(SCRAM_FINAL, "dGlt"), "not-helper"),
]
