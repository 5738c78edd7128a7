"""`:auth MECH USER [PASS]`: the AUTH exchange done for the learner, one explained step at a time.

Before each line it shows what the mechanism computed and waits for Enter (`shell.pause`); Ctrl-C there
cancels with `*` (RFC 4954 §4). In batch mode `pause` returns at once, so it runs straight through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutor import escapes, explain
from tutor.errors import InputError, TutorError
from tutor.protocol import auth as framing
from tutor.protocol.states import State
from tutor.sasl.registry import carries_secret, recorded_as_secret
from tutor.session import ERROR, NOTE, Item

if TYPE_CHECKING:
    from tutor.interfaces import SessionLike, ShellLike

T = explain.text


def run(shell: ShellLike, mechanism: str, user: str, password: str | None, *, authzid: str = "",
        initial: bool | None = None) -> bool:
    """Log in with `mechanism`; True when the exchange ran (even if the server said no)."""
    from tutor.sasl import Credentials, get

    session = shell.session
    if session is None or session.closed:
        raise InputError(T("repl.err.no-session"))
    info = get(mechanism)
    if password is None:
        prompt = "shell.prompt.token" if info.bearer else "repl.prompt.password"   # XOAUTH2/OAUTHBEARER: a token
        password = shell.ask_secret(T(prompt, user=user))
        if password and not shell.show_secrets and session.transport.is_simulator:   # a live server masks anyway
            shell.note("shell.mask.autopilot")
    options = {"initial_response": True} if initial and info.name == "LOGIN" else {}
    client = info.client(Credentials(user, password, authzid), **options)
    _warnings(shell, session, info.name)
    shell.note("repl.autopilot.start", mechanism=info.name, user=user)
    use_initial = info.client_first if initial is None else initial
    try:
        return _exchange(shell, session, client, info.name, use_initial, user)
    except KeyboardInterrupt:
        _cancel(shell, session)
        return True


def _warnings(shell: ShellLike, session: SessionLike, name: str) -> None:
    caps = session.client.capabilities
    if session.state is not State.READY:
        shell.note("repl.note.not-ready", state=session.state.value)
    elif caps.auth_mechanisms and not caps.offers(name):
        shell.note("repl.note.not-offered", mechanism=name)


def _exchange(shell: ShellLike, session: SessionLike, client: Any, name: str, use_initial: bool, user: str) -> bool:
    initial = client.initial_response() if use_initial else None
    line = framing.auth_command(name, initial)
    shown = _explain(shell, client, 0)
    shell.note("repl.autopilot.auth-line", n=1, line=_mask_line(shell, line, initial))
    shell.pause(T("repl.prompt.pause"))
    shell.send(line, typed=False)
    step = 2
    while session.state is State.AUTH and not session.closed:
        challenge = session.auth.last_challenge
        if challenge is None:
            shell.send(framing.CANCEL.decode(), typed=False)
            break
        try:
            answer = client.respond(challenge)
        except TutorError as exc:     # e.g. SCRAM's v= does not verify: never answer it with the empty line
            _explain(shell, client, shown)
            shell.emit([Item(ERROR, T("repl.autopilot.stopped", error=str(exc)))])
            shell.send(framing.CANCEL.decode(), typed=False)   # RFC 4954 §4: the client cancels with "*"
            shell.note("repl.autopilot.we-cancelled")
            return True
        shown = _explain(shell, client, shown)
        _announce(shell, step, answer, session.auth.responses)
        shell.pause(T("repl.prompt.pause"))
        shell.send(framing.encode_response(answer).decode("ascii"), typed=False)
        step += 1
    _verdict(shell, session, name, user)
    return True


def _explain(shell: ShellLike, client: Any, shown: int) -> int:
    """The mechanism's new teaching steps as notes; secret values hidden on live servers."""
    steps = client.steps()
    reveal = _on_simulator(shell)
    items = []
    for step in steps[shown:]:
        value = escapes.show(step.value) if isinstance(step.value, bytes) else str(step.value)
        value = value or '""'
        if step.secret and not reveal:
            value = T("repl.autopilot.hidden")
        label = T(step.label, **step.params)
        items.append(Item(NOTE, T("repl.autopilot.step", label=label, value=value), step.secret, step.label))
        if step.note:
            items.append(Item(NOTE, "  " + T(step.note, **step.params), step.secret, step.note))
    shell.emit(items)
    return len(steps)


def _announce(shell: ShellLike, n: int, answer: bytes, sent_before: int) -> None:
    reveal = _on_simulator(shell)
    mechanism = shell.session.auth.mechanism if shell.session is not None else None
    secret = carries_secret(mechanism, sent_before + 1)   # the password or the bearer token
    if answer == b"":
        shell.note("repl.autopilot.answer-empty", n=n)      # RFC 4954 §4: e.g. after SCRAM's v= or a JSON error
    elif secret and not reveal:
        shell.note("repl.autopilot.answer-secret", n=n)
    else:
        text = T("repl.autopilot.answer", n=n, text=escapes.show(answer))
        shell.emit([Item(NOTE, text, secret=secret, key="repl.autopilot.answer")])


def _on_simulator(shell: ShellLike) -> bool:
    """Autopilot runs on a connection; only the simulator's values are shown unmasked."""
    assert shell.session is not None, "autopilot runs on an open session"
    return shell.session.transport.is_simulator


def _mask_line(shell: ShellLike, line: str, initial: bytes | None) -> str:
    """`AUTH MECH ir` as shown on a live server: the initial response hidden when the registry records it secret."""
    words = line.split()
    if initial is None or _on_simulator(shell) or not recorded_as_secret(words[1], 1):
        return line
    return " ".join(words[:2] + [T("repl.autopilot.hidden")])


def _verdict(shell: ShellLike, session: SessionLike, name: str, user: str) -> None:
    reply = session.last_reply
    if reply is not None and reply.code == 235:
        shell.note("repl.autopilot.success", user=user, mechanism=name)
    elif reply is not None and reply.code != 334:
        shell.note("repl.autopilot.failure", code=reply.code)


def _cancel(shell: ShellLike, session: SessionLike) -> None:
    if not session.closed and session.state is State.AUTH:
        shell.send(framing.CANCEL.decode(), typed=False)
    shell.note("repl.autopilot.cancelled")
