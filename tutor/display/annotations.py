"""Inline decoding of AUTH lines and one-line reply meanings, as Notes (pure: no I/O, no terminal).

`334 VXNlcm5hbWU6` gets "Username:", a client base64 line what it encodes, PLAIN its three fields,
a CRAM-MD5 response its user and digest; every reply a one-line meaning (`:explain` has the long form).
"""

from __future__ import annotations

from tutor import escapes
from tutor.errors import InputError
from tutor.explain import Note
from tutor.protocol import auth as framing
from tutor.protocol import b64, capabilities, commands
from tutor.protocol.client import AUTH_RESPONSE, COMMAND, Sent
from tutor.protocol.replies import Reply

HIDDEN = "***"
A = "repl.ann."


def _family(mechanism: str | None) -> str:
    """How the registry says the mechanism's payloads are read ("" for an unknown one: as text)."""
    from tutor.sasl import registry  # every mechanism: loaded at the first AUTH, not to annotate a greeting

    info = registry.find(mechanism)
    return info.family if info is not None else ""


def meaning(code: int, enhanced: str | None = None, step: str = "", text: str = "") -> str:
    """The one-line meaning of a reply code in its context (tutor.explain_codes.reading: the step it answers,
    the enhanced code and the text), or its class when that is unknown."""
    from tutor import explain_codes
    try:
        text = explain_codes.one_line(code, enhanced, step, text)
    except InputError:
        text = ""
    return text or Note(A + f"class-{code // 100}").text()


class Annotations:
    """The Annotator the session calls; `reveal=False` hides passwords (live servers, over shoulders)."""

    def __init__(self, reveal: bool = True) -> None:
        self.reveal = reveal

    # ---- client lines ----------------------------------------------------------------------------
    def client(self, line: bytes, kind: str, auth) -> list[Note]:
        if kind == "message":
            return message_line(line)
        if kind == AUTH_RESPONSE:
            return self.response(line, auth.mechanism, auth.responses + 1)
        command = commands.parse(line)
        parsed = commands.parse_auth(command.argument) if command.verb == "AUTH" else None
        if parsed is None or parsed.initial_response is None:
            return []
        if parsed.initial_response == framing.EMPTY_RESPONSE:
            return [Note(A + "empty-initial")]
        return self.response(parsed.initial_response.encode("utf-8", "replace"), parsed.mechanism, 1)

    def response(self, line: bytes, mechanism: str | None, position: int) -> list[Note]:
        """A client AUTH message (base64, `*` or empty), decoded by what the mechanism puts there."""
        decoded = framing.decode_response(line)
        if decoded.cancelled:
            return [Note(A + "cancel")]
        if b64.typed_as_is(line):   # the value itself where its base64 belongs: `tim`, not `dGlt`
            identity = _family(mechanism) == "login" and position < 2   # LOGIN's user name is not a secret
            return [self._typed_as_is(line, decoded.data, not identity)]
        if decoded.data is None:
            return [Note(A + "bad-base64", {"error": decoded.error})]
        if decoded.data == b"":
            return [Note(A + "empty-response")]
        return self._by_mechanism(decoded.data, (mechanism or "").upper(), position)

    def _by_mechanism(self, data: bytes, mechanism: str, position: int) -> list[Note]:
        """The annotator hook the registry names (MechanismInfo.family); any other payload is shown as text,
        hidden when its role is the secret."""
        hooks = {"plain": lambda: self._plain(data), "login": lambda: self._login(data, position),
                 "cram": lambda: _cram(data), "scram": lambda: scram_notes(data, from_server=False),
                 "bearer": lambda: self._bearer(data, mechanism)}
        hook = hooks.get(_family(mechanism))
        if hook is not None:
            return hook()
        from tutor.sasl import registry

        shown = escapes.show(data)
        return [Note(A + "decodes", {"text": self._secret(shown) if registry.carries_secret(mechanism, position)
                                     else shown}, secret=True)]

    def _login(self, data: bytes, position: int) -> list[Note]:
        if position >= 2:
            return [Note(A + "login-password", {"text": self._secret(escapes.show(data))}, secret=True)]
        return [Note(A + "login-user", {"text": escapes.show(data)})]

    def _bearer(self, data: bytes, mechanism: str) -> list[Note]:
        """XOAUTH2 / OAUTHBEARER: the user, and the token hidden unless revealing (it replays like a password)."""
        from tutor.sasl.identify import identify
        if data == b"\x01":
            return [Note(A + "bearer-ack")]     # RFC 7628 §3.2.3
        found = identify(data, mechanism, from_server=False)
        fields = {f.label: f.value for f in found.fields}
        if "token" not in fields:
            return [Note(A + "decodes", {"text": self._secret(escapes.show(data))}, secret=True)]
        user = fields.get("user") or fields.get("authzid") or ""
        return [Note(A + "bearer", {"mechanism": mechanism, "user": user, "token": self._secret(fields["token"])},
                     secret=True)]

    def _plain(self, data: bytes) -> list[Note]:
        from tutor.sasl import plain
        try:
            fields = plain.parse(data)
        except InputError as exc:
            return [Note(A + "decodes", {"text": escapes.show(data)}, secret=True),
                    Note(A + "plain-bad", {"error": str(exc)})]
        params = {"authzid": fields.authzid, "authcid": fields.authcid, "password": self._secret(fields.password)}
        key = "plain-authzid" if fields.authzid else "plain"
        return [Note(A + key, params, secret=True)]

    def _typed_as_is(self, line: bytes, data: bytes | None, secret: bool) -> Note:
        value = escapes.show(line.strip())
        example = self._secret(value) if secret else value
        params = {"example": example if example != HIDDEN else Note("shell.ann.your-value").text(),
                  "decoded": escapes.show(data or b"")}
        return Note("shell.ann.typed-as-is" + ("-decodes" if data else ""), params, secret=secret)

    def _secret(self, value: bytes | str) -> str:
        return str(value) if self.reveal else HIDDEN   # str(): what formatting the note would show

    # ---- server replies --------------------------------------------------------------------------
    def reply(self, reply: Reply, answers: Sent, auth) -> list[Note]:
        from tutor.protocol import codes
        line = meaning(reply.code, reply.enhanced, codes.step_of(answers), reply.text)
        notes = [Note(A + "meaning", {"code": reply.code, "meaning": line})]
        verb = answers.command.verb if answers.command is not None else ""
        if reply.code == 334 and (answers.kind == AUTH_RESPONSE or verb == "AUTH"):
            notes += challenge(reply.lines[0], auth.mechanism)
        elif verb == "EHLO" and 200 <= reply.code < 300:
            notes += advertised(reply)
        return notes


def revealed_secret(line: bytes, kind: str, auth) -> str | None:
    """The password a client line gives away (PLAIN's third field, LOGIN's second answer), else None."""
    mechanism, position, text = auth.mechanism, auth.responses + 1, line
    if kind == COMMAND:
        command = commands.parse(line)
        parsed = commands.parse_auth(command.argument) if command.verb == "AUTH" else None
        if parsed is None or parsed.initial_response is None:
            return None
        mechanism, position, text = parsed.mechanism, 1, parsed.initial_response.encode("utf-8", "replace")
    elif kind != AUTH_RESPONSE:
        return None
    data = framing.decode_response(text).data
    if not data:
        return None
    family = _family(mechanism)
    if family == "login" and position >= 2:
        return data.decode("utf-8", "replace")
    if family == "plain":
        from tutor.sasl import plain
        try:
            return plain.parse(data).password
        except InputError:
            return None
    if family == "bearer":
        from tutor.sasl.identify import identify
        fields = identify(data, (mechanism or "").upper(), False).fields
        token = next((f.value for f in fields if f.label == "token"), None)
        return token if isinstance(token, str) and token else None
    return None


def challenge(text: str, mechanism: str | None) -> list[Note]:
    """A 334 challenge decoded, with what the mechanism expects back."""
    decoded = framing.decode_challenge(text)
    if decoded.data is None:
        return [Note(A + "challenge-bad", {"error": decoded.error})]
    if decoded.data == b"":
        return [Note(A + "challenge-empty")]
    shown = escapes.show(decoded.data)
    name, family = (mechanism or "").upper(), _family(mechanism)
    if family == "cram":
        return [Note(A + "challenge-cram", {"text": shown})]
    if family == "scram":
        return scram_notes(decoded.data, from_server=True)
    if family == "bearer" and decoded.data.startswith(b"{"):   # RFC 7628 §3.2.3 / Google's XOAUTH2 document
        return [Note(A + ("bearer-error" if name == "OAUTHBEARER" else "bearer-error-xoauth2"), {"text": shown})]
    return [Note(A + "challenge", {"text": shown})]


def scram_notes(data: bytes, from_server: bool) -> list[Note]:
    """A SCRAM message decoded attribute by attribute, with what to do next (:scram computes it)."""
    from tutor.sasl import scram
    try:
        attrs = scram.parse_message(data)
    except InputError as exc:
        return [Note(A + "decodes", {"text": escapes.show(data)}), Note(A + "scram-bad", {"error": str(exc)})]
    kind = attrs["kind"]
    params = {k: v for k, v in attrs.items() if len(k) == 1}
    return [Note(A + "scram." + kind, {"text": escapes.show(data), **params})]


def _cram(data: bytes) -> list[Note]:
    from tutor.sasl import cram_md5
    try:
        user, digest = cram_md5.parse_response(data)
    except InputError as exc:
        return [Note(A + "decodes", {"text": escapes.show(data)}), Note(A + "cram-bad", {"error": str(exc)})]
    return [Note(A + "cram-response", {"user": user, "digest": digest})]


def advertised(reply: Reply) -> list[Note]:
    """What an EHLO reply says about AUTH and STARTTLS."""
    caps = capabilities.parse(reply)
    if caps.auth_mechanisms:
        return [Note(A + "offers", {"mechanisms": " ".join(caps.auth_mechanisms)})]
    if caps.supports("STARTTLS"):
        return [Note(A + "no-auth-starttls")]
    return [Note(A + "no-auth")]


def message_line(line: bytes) -> list[Note]:
    """Dot-stuffing (RFC 5321 §4.5.2) and the end-of-message dot."""
    if line == b".":
        return [Note(A + "end-of-message")]
    if line.startswith(b"."):
        return [Note(A + "dot-stuffed", {"wire": escapes.show(b"." + line)})]
    return []
