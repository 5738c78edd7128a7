"""A new mechanism is one module, its prose and one registry line: a toy one is picked up everywhere.

The toy X-ROT13 (defined here as its module would be): the client sends the user name as the initial
response, the server asks for the password, the client sends it ROT13-"encrypted" (plaintext, recoverably).
Registered by a context manager that takes it out again, it must be offered and run by the simulator,
completed by the REPL, driven by the autopilot, described by the annotator and decoded, masked by role and
reported by the tracer, without any of those modules naming it.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import hmac

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from tutor import explain
from tutor.display.annotations import Annotations
from tutor.protocol.states import State
from tutor.repl.completer import TutorCompleter
from tutor.repl.shell import Shell
from tutor.repl.view import ReplView
from tutor.sasl import registry
from tutor.sasl.base import AuthResult, Challenge, Credentials, Done, Stage, Staged, Step
from tutor.trace import findings
from tutor.trace.pipeline import trace_bytes

NAME = "X-ROT13"
USER, PASSWORD = "tim", "tanstaaftanstaaf"       # a lab account
PROSE = "X-ROT13 (a toy): the user name, then the password in ROT13, which anyone can undo."


def rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


class ToyClient(Staged):
    name = NAME

    def __init__(self, credentials: Credentials) -> None:
        self._creds, self._stage = credentials, Stage.FIRST

    def initial_response(self) -> bytes:
        self.require("sends the user name first", Stage.FIRST)
        self._stage = Stage.SERVER_REPLY
        return self._creds.authcid.encode()

    def respond(self, challenge: bytes) -> bytes:
        self.require("answers one challenge", Stage.SERVER_REPLY)
        self._stage = Stage.FINAL_REPLY
        return rot13(self._creds.secret).encode()

    def steps(self) -> list[Step]:
        return []


class ToyServer(Staged):
    name = NAME

    def __init__(self, lookup) -> None:
        self._lookup, self._stage, self._user = lookup, Stage.START, ""

    def start(self, initial: bytes | None):
        self.require("server already started", Stage.START)
        self._user, self._stage = (initial or b"").decode(), Stage.PASSWORD
        return Challenge(b"password, rot13?")

    def receive(self, response: bytes):
        self.require("server got a response out of turn", Stage.PASSWORD)
        self._stage = Stage.DONE
        secret = self._lookup(self._user)
        if secret is None:
            return Done(AuthResult(False, self._user, reason="no-such-user"))
        ok = hmac.compare_digest(rot13(response.decode()).encode(), secret.encode())
        return Done(AuthResult(ok, self._user, self._user if ok else "", "" if ok else "bad-password"))


def decode(data: bytes, number: int) -> dict[str, str]:
    return {"user": data.decode()} if number == 1 else {"password": rot13(data.decode())}


@contextlib.contextmanager
def toy_mechanism():
    """Register X-ROT13 (its prose in the `sasl` words, as its TOML would add) and take it out again."""
    words = explain.load("sasl")["mech"]
    words["x-rot13"] = PROSE
    info = registry.MechanismInfo(NAME, True, registry.Exposure.PLAINTEXT, ToyClient, ToyServer, "sasl.mech.x-rot13",
                                  None, (registry.Role.IDENTITY, registry.Role.SECRET), decode=decode)
    registry.register(info)
    try:
        yield info
    finally:
        registry.unregister(NAME)
        del words["x-rot13"]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def lab_shell():
    out: list = []
    shell = Shell(profile="lab", out=out.extend)
    shell.start()
    shell.pause = lambda *args: None
    return shell, out


def test_the_simulator_offers_and_runs_it():
    with toy_mechanism():
        shell, out = lab_shell()
        shell.handle("EHLO laptop.example")
        assert NAME in shell.session.client.capabilities.auth_mechanisms
        out.clear()
        shell.handle(f"AUTH {NAME} {b64(USER)}")
        assert [i.text for i in out if i.kind == "S"] == [f"334 {b64('password, rot13?')}"]
        said = [e.text for e in shell.session.transcript.entries if e.key == "sim.auth.mechanism"]
        assert len(said) == 1 and PROSE in said[0]                      # the server's note: its summary
        shell.handle(b64(rot13(PASSWORD)))
        assert shell.session.last_reply.code == 235 and shell.session.client.authenticated
        secret = {i.text: i.secret for i in out if i.kind == "C"}
        assert secret == {f"AUTH {NAME} {b64(USER)}": True, b64(rot13(PASSWORD)): True}   # recorded secret
    shell, _ = lab_shell()
    shell.handle("EHLO laptop.example")
    assert NAME not in shell.session.client.capabilities.auth_mechanisms   # unregistered: gone again


def test_the_simulator_masks_its_secret_message_by_role():
    from tutor.sim.auth import AuthHandler
    with toy_mechanism():
        assert AuthHandler.masked_command(f"{NAME} {b64(USER)}") is None           # message 1: the user name
        assert registry.carries_secret(NAME, 2) and not registry.carries_secret(NAME, 1)


def test_the_completer_completes_it():
    before_ehlo = ReplView("sim:lab", True, State.INITIAL, "command")
    completer = TutorCompleter(lambda: before_ehlo)
    document = Document("AUTH X-", 7)
    with toy_mechanism():
        words = [c.text for c in completer.get_completions(document, CompleteEvent(completion_requested=True))]
    assert words == [NAME]
    assert [c.text for c in completer.get_completions(document, CompleteEvent(completion_requested=True))] == []


def test_the_autopilot_drives_it():
    with toy_mechanism():
        shell, out = lab_shell()
        shell.handle("EHLO laptop.example")
        out.clear()
        assert shell.handle(f":auth {NAME} {USER} {PASSWORD}")
        assert [i.text for i in out if i.kind == "C"] == [f"AUTH {NAME} {b64(USER)}", b64(rot13(PASSWORD))]
        assert shell.session.last_reply.code == 235
        assert out[-1].key == "repl.autopilot.success"


def test_the_annotator_describes_its_payloads_and_hides_the_secret_one():
    with toy_mechanism():
        hidden = Annotations(reveal=False)
        user = hidden.response(b64(USER).encode(), NAME, 1)
        password = hidden.response(b64(rot13(PASSWORD)).encode(), NAME, 2)
        shown = Annotations(reveal=True).response(b64(rot13(PASSWORD)).encode(), NAME, 2)
    assert USER in user[0].text()
    assert rot13(PASSWORD) not in password[0].text() and "***" in password[0].text()
    assert rot13(PASSWORD) in shown[0].text()


def test_the_tracer_decodes_masks_and_reports_it():
    capture = (f"S: 220 mail.example ESMTP\nC: EHLO laptop.example\nS: 250-mail.example\nS: 250 AUTH {NAME}\n"
               f"C: AUTH {NAME} {b64(USER)}\nS: 334 {b64('password, rot13?')}\nC: {b64(rot13(PASSWORD))}\n"
               "S: 235 2.7.0 ok\n")
    with toy_mechanism():
        report = trace_bytes(capture.encode(), "toy", "rfc")[0]
        attempt = report.attempts[0]
        assert (attempt.mechanism, attempt.user, attempt.password, attempt.result) == (NAME, USER, PASSWORD, "success")
        rows = {row.text: row.secret for row in report.rows if row.text.startswith(("AUTH", b64(rot13(PASSWORD))))}
        assert rows == {f"AUTH {NAME} {b64(USER)}": False, b64(rot13(PASSWORD)): True}   # by role: message 2
        keys = [n.key for n in findings.findings(report)]
        assert "trace.finding.password-clear" in keys and findings.leak(attempt) == "password"
