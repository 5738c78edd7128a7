"""Notes for single lines of an observed session: decoded AUTH payloads, 334 challenges, reply codes, EHLO.

Identification of decoded payloads is shared with the decode helper (tutor.sasl.identify); this module only
adds what a listener can conclude from a payload's position in the exchange (LOGIN's user name vs password).
"""

from __future__ import annotations

from tutor import escapes, explain, explain_codes
from tutor.errors import InputError
from tutor.explain import Note
from tutor.protocol import auth, b64, codes
from tutor.protocol.capabilities import Capabilities
from tutor.protocol.replies import Reply
from tutor.sasl import MECHANISMS, cram_md5
from tutor.sasl.identify import identify
from tutor.sasl.registry import carries_secret
from tutor.trace import mechs
from tutor.trace.report import Attempt
from tutor.transcript import REDACTED

REDACTED_BYTES = REDACTED.encode("utf-8")
# What tools print instead of a password they were asked to hide: not the password, so not a leak.
HIDDEN_BY_TOOL = {"PROVIDED_BUT_REMOVED": "swaks --auth-hide-password"}


def note(key: str, secret: bool = False, /, **params: object) -> Note:
    return Note(f"trace.{key}", params, secret=secret)


def is_redacted(data: bytes) -> bool:
    return data.endswith(REDACTED_BYTES)


def initial_response(attempt: Attempt, text: str, notes: list[Note]) -> bool:
    """The `ir` of `AUTH MECH ir`: decode (RFC 4954 §4, "=" is empty) and read it; True if it holds a secret."""
    if is_redacted(text.encode("utf-8", "replace")):
        attempt.redacted = True
        notes.append(note("note.redacted"))
        return False
    decoded = auth.decode_initial(text)
    if decoded.data is None:
        notes.append(note("problem.bad-base64", error=decoded.error))   # RFC 4954 §4: server MUST answer 501
        return False
    if decoded.data == b"":
        notes.append(note("note.empty-initial"))
    return client_payload(attempt, decoded.data, 0, notes)


def auth_response(attempt: Attempt, line: bytes, index: int, notes: list[Note]) -> bool:
    """A client line inside an AUTH exchange: `*` cancels, else strict base64; True if it holds a secret."""
    if is_redacted(line):
        attempt.redacted = True
        notes.append(note("note.redacted"))
        return False
    decoded = auth.decode_response(line)
    if decoded.cancelled:                          # RFC 4954 §4: the server MUST reply 501
        attempt.result = "cancelled"
        notes.append(note("note.cancel"))
        return False
    if decoded.data is None:
        notes.append(note("problem.bad-base64", error=decoded.error))
        return False
    return client_payload(attempt, decoded.data, index, notes)


def client_payload(attempt: Attempt, data: bytes, index: int, notes: list[Note]) -> bool:
    """Read a decoded client payload into the attempt; True when it carries a password or token."""
    mech = attempt.mechanism
    if mech == "LOGIN":
        return _login(attempt, data, index, notes)
    if mech.startswith("SCRAM-") and data:
        return scram_message(attempt, data, notes, from_server=False)
    if mechs.family(mech):                       # DIGEST-MD5, NTLM, GSSAPI: tutor.trace.mechs
        return mechs.client_message(attempt, data, notes)
    info = MECHANISMS.get(mech)
    if info is not None and info.decode is not None:
        return _registry_decoded(attempt, data, index + 1, notes)
    found = identify(data, mech, from_server=False)
    fields = {f.label: (escapes.show(f.value) if isinstance(f.value, bytes) else f.value) for f in found.fields}
    if found.kind in ("xoauth2", "oauthbearer"):
        return _bearer(attempt, found.kind, fields, notes)
    if found.kind == "plain-message":
        attempt.user, attempt.authzid = fields["authcid"], fields["authzid"]
        notes.append(note("note.plain", True, **fields))
        return _password(attempt, fields["password"], notes)
    if found.kind == "cram-response":
        attempt.user, attempt.response = fields["user"], data
        notes.append(note("note.cram-response", **fields))
        return False
    notes.append(note("note.decoded", shown=escapes.show(data), kind=_kind(found.kind)))
    return False


def _registry_decoded(attempt: Attempt, data: bytes, number: int, notes: list[Note]) -> bool:
    """A mechanism the registry decodes (MechanismInfo.decode): its fields, secret by the message's role."""
    info = MECHANISMS[attempt.mechanism]
    fields = info.decode(data, number) if info.decode is not None else {}
    attempt.user = fields.get("user") or attempt.user
    secret = carries_secret(info.name, number)
    notes.append(note("note.decoded", secret, shown=escapes.show(data), kind=info.name))
    if secret and "password" in fields:
        return _password(attempt, fields["password"], notes)
    if secret and "token" in fields:
        attempt.token = fields["token"]
    return secret


def _login(attempt: Attempt, data: bytes, index: int, notes: list[Note]) -> bool:
    """LOGIN answers by position, not by the prompt's words (draft-murchison-sasl-login §2.1)."""
    text = escapes.show(data)
    if index == 0:
        attempt.user = text
        notes.append(note("note.login-user", user=text))
        return False
    if index == 1:
        notes.append(note("note.login-password", True, password=text))
        return _password(attempt, text, notes)
    notes.append(note("problem.login-extra", shown=text))
    return False


def _password(attempt: Attempt, password: str, notes: list[Note]) -> bool:
    """Keep a recovered password, unless it is a tool's placeholder for one it hid."""
    tool = HIDDEN_BY_TOOL.get(password)
    if tool is None:
        attempt.password = password
        return True
    attempt.redacted = True
    notes.append(note("note.hidden-by-tool", tool=tool, shown=password))
    return False


def _bearer(attempt: Attempt, kind: str, fields: dict, notes: list[Note]) -> bool:
    """XOAUTH2 / OAUTHBEARER: the user and a bearer token, replayable until it expires (RFC 6750 §5.2)."""
    attempt.user = fields.get("user") or fields.get("authzid") or attempt.user
    attempt.token = fields.get("token")
    notes.append(note(f"note.{kind}", True, user=attempt.user, token=attempt.token or "",
                      host=fields.get("host", ""), port=fields.get("port", "")))
    return True


SCRAM_FIELDS = {"client-first": ("n", "r"), "server-first": ("r", "s", "i"), "client-final": ("r", "p"),
                "server-final": ("v",), "server-error": ("e",)}


def scram_message(attempt: Attempt, data: bytes, notes: list[Note], from_server: bool) -> bool:
    """One SCRAM message (RFC 5802 §7), kept on the attempt for the findings and --password; never a secret."""
    from tutor.sasl import scram
    try:
        attrs = scram.parse_message(data)
    except InputError as exc:
        notes.append(note("problem.scram-malformed", shown=escapes.show(data), error=str(exc)))
        return False
    kind = attrs["kind"]
    attempt.scram.setdefault(kind, data)
    if kind == "client-first":
        attempt.user, attempt.authzid = attrs["n"], attrs.get("a", "")
    params = {k: attrs.get(k, "") for k in SCRAM_FIELDS[kind]}
    notes.append(note(f"note.scram.{kind}", shown=escapes.show(data), **params))
    if kind == "server-first" and int(attrs["i"]) < scram.MIN_ITERATIONS:   # RFC 7677 §4: SHOULD be >= 4096
        notes.append(note("problem.scram-low-iterations", iterations=attrs["i"]))
    return False


def challenge(attempt: Attempt, reply: Reply, notes: list[Note]) -> None:
    """A 334 reply: its text is the base64 challenge (RFC 4954 §4), `334 ` alone is an empty one."""
    decoded = auth.decode_challenge(reply.lines[-1])
    if decoded.data is None:       # RFC 4954 §4: a client that cannot decode a challenge MUST cancel with "*"
        notes.append(note("problem.bad-challenge", error=decoded.error))
        return
    found = identify(decoded.data, attempt.mechanism, from_server=True)
    shown = escapes.show(decoded.data)
    if attempt.mechanism == "CRAM-MD5" or (found.kind == "cram-challenge" and not attempt.mechanism):
        attempt.challenge = decoded.data           # the digest is over these exact octets, odd or not
        attempt.challenge_problems = tuple(cram_md5.check_challenge(decoded.data))
        notes.append(note("note.cram-challenge", shown=shown))
        chars = " ".join(escapes.show(bytes([b])) for b in decoded.data if b < 32 or b == 127)
        notes.extend(Note(p, {"chars": chars}) for p in attempt.challenge_problems)
        return
    if attempt.mechanism.startswith("SCRAM-") and decoded.data:
        scram_message(attempt, decoded.data, notes, from_server=True)
        return
    if mechs.family(attempt.mechanism):
        mechs.server_message(attempt, decoded.data, notes)
        return
    if found.kind == "oauth-error":
        notes.append(note("note.oauth-error", shown=shown))
        return
    notes.append(note("note.challenge", shown=shown, kind=_kind(found.kind)))
    notes.extend(Note(p) for p in found.problems)


def log_payload(mechanism: str, payload: str, notes: list[Note], attempt: Attempt | None = None,
                last_challenge: bool = False) -> None:
    """Base64 quoted in a log line, decoded. `last_challenge`: Postfix's `SASL LOGIN authentication failed:
    UGFzc3dvcmQ6` logs the last challenge it sent when the SASL server gave no reason, so it tells how far the
    exchange got (here: to the password prompt), never what the client typed."""
    try:
        data = b64.decode(payload)
    except InputError as exc:
        notes.append(note("problem.bad-base64", error=str(exc)))
        return
    found = identify(data, mechanism, from_server=True)
    shown = escapes.show(data)
    notes.append(note("note.log-payload", shown=shown, kind=_kind(found.kind)))
    if last_challenge:
        notes.append(note("note.log-last-challenge", shown=shown))
    if attempt is not None and attempt.mechanism == "CRAM-MD5" and found.kind == "cram-challenge":
        attempt.challenge = data                       # with the client's answer: open to --wordlist


def log_client_payload(attempt: Attempt, payload: str, index: int, notes: list[Note]) -> bool:
    """A client's answer quoted in a (debug) log line; True when it holds a password or token."""
    try:
        data = b64.decode(payload)
    except InputError as exc:
        notes.append(note("problem.bad-base64", error=str(exc)))
        return False
    return client_payload(attempt, data, index, notes)


def _kind(kind: str) -> str:
    return explain.text(f"identify.kind.{kind}")


def reply_meaning(reply: Reply, answers=None) -> Note | None:
    """What the reply code means after what it answers (tutor.explain_codes.reading, shared with the REPL);
    a problem note when the code is outside 200-599."""
    step = codes.step_of(answers) if answers is not None else ""
    try:
        meaning = explain_codes.one_line(reply.code, reply.enhanced, step, reply.text)
        return Note("trace.note.code", {"meaning": meaning})
    except InputError as exc:
        return note("problem.bad-code", error=str(exc))


def ehlo(caps: Capabilities, tls: bool) -> list[Note]:
    """The mechanisms offered, and a warning when password-revealing ones are offered without TLS."""
    if not caps.auth_mechanisms:
        return []
    out = [note("note.offered", mechanisms=" ".join(caps.auth_mechanisms))]
    clear = [m for m in caps.auth_mechanisms if m in MECHANISMS and MECHANISMS[m].plaintext]
    if clear and not tls:   # RFC 4954 §4/§14: plaintext mechanisms should need TLS
        out.append(note("problem.plaintext-offered", mechanisms=" ".join(clear)))
    if caps.legacy_auth_line:
        out.append(note("note.legacy-auth"))
    return out


def finish(attempt: Attempt, reply: Reply, notes: list[Note]) -> None:
    """The final reply of an AUTH exchange: 235 success (RFC 4954 §6), 501 after `*` cancelled, else failure."""
    attempt.code = reply.code
    if reply.code == 235:
        attempt.result = "success"
    elif not (attempt.result == "cancelled" and reply.code == 501):
        attempt.result = "failure"
    notes.append(note(f"note.auth-{attempt.result}", mechanism=attempt.mechanism, user=attempt.user or "?"))
