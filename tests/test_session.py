"""The session pump over the in-memory simulator: replies collected, notes placed, transcript recorded."""

import pytest

from tutor.display.annotations import Annotations
from tutor.errors import TransportError
from tutor.protocol.states import State
from tutor.session import CLIENT, DETAIL, ERROR, SERVER, SIM, Interrupted, Session
from tutor.sim import SimServer
from tutor.sim.sink import Sink
from tutor.transcript import REDACTED, Transcript
from tutor.transport import memory
from tutor.transport.base import ReadTimeout, Transport

PLAIN_IR = b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"     # RFC 4616 §4: \0tim\0tanstaaftanstaaf


def open_session(profile="lab", **kw):
    session = Session(memory.connect(SimServer, profile), annotator=Annotations(), **kw)
    items = session.open()
    return session, items


def shown(items):
    """What a learner sees without :verbose."""
    return [i for i in items if i.kind != DETAIL]


def kinds(items):
    return [i.kind for i in items]


def server_lines(items):
    return [i.text for i in items if i.kind == SERVER]


def test_greeting_with_the_simulators_reasoning_first():
    session, items = open_session()
    assert kinds(items)[0] == SIM                      # what the server thought, then what it said
    assert server_lines(items)[0].startswith("220 ")
    assert session.state is State.INITIAL
    assert isinstance(session.transport, Transport)


def test_out_of_sequence_line_is_sent_with_a_note():
    session, _ = open_session()
    items = shown(session.send(b"AUTH LOGIN"))
    assert items[0].kind == CLIENT and items[0].text == "AUTH LOGIN" and items[0].typed
    assert items[1].key == "sequence.need-ehlo"
    assert server_lines(items)[0].startswith("503")   # sent anyway: the learner sees the real answer


def test_login_by_hand_tracks_the_exchange():
    session, _ = open_session()
    session.send(b"EHLO laptop.example")
    assert session.client.capabilities.auth_mechanisms == ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
                                                          "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER")
    items = session.send(b"AUTH LOGIN")
    assert session.auth.mechanism == "LOGIN" and session.auth.last_challenge == b"Username:"
    assert server_lines(items) == ["334 VXNlcm5hbWU6"]
    session.send(b"dGlt")
    assert session.auth.last_challenge == b"Password:" and session.auth.responses == 1
    items = session.send(b"dGFuc3RhYWZ0YW5zdGFhZg==")
    assert server_lines(items)[0].startswith("235 ")
    assert session.client.authenticated and not session.auth.active


def test_credentials_are_secret_in_the_transcript(tmp_path):
    transcript = Transcript()
    session, _ = open_session(transcript=transcript)
    session.send(b"EHLO x")
    session.send(PLAIN_IR)
    secret_lines = [e for e in transcript.lines() if e.secret]
    assert [e.data for e in secret_lines] == [PLAIN_IR]
    assert any(e.secret for e in transcript.entries if e.direction == "note")   # the decoded PLAIN note
    saved = transcript.save(tmp_path / "t.jsonl").read_text()
    assert "tanstaaf" not in saved and "AHRpbQB0YW5zdGFhZnRhbnN0YWFm" not in saved and REDACTED in saved


def test_cancel_is_not_secret():
    transcript = Transcript()
    session, _ = open_session(transcript=transcript)
    session.send(b"EHLO x")
    session.send(b"AUTH LOGIN")
    items = session.send(b"*")
    assert server_lines(items)[0].startswith("501")   # RFC 4954 §4: the server MUST reject with 501
    assert not [e for e in transcript.lines() if e.secret]


def test_cram_challenge_is_kept_decoded():
    session, _ = open_session("fixed-challenge")
    session.send(b"EHLO x")
    session.send(b"AUTH CRAM-MD5")
    assert session.auth.last_challenge == b"<1896.697170952@postoffice.reston.mci.net>"
    items = session.send(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")   # RFC 2195 example
    assert server_lines(items)[0].startswith("235")


def test_starttls_in_memory_on_the_strict_profile():
    session, _ = open_session("strict")
    session.send(b"EHLO x")
    assert session.client.capabilities.auth_mechanisms == ()
    items = session.send(b"STARTTLS")
    assert server_lines(items)[0].startswith("220")
    assert "repl.note.tls-up" in [i.key for i in items]
    assert session.client.tls and session.tls_info.simulated and session.state is State.INITIAL
    session.send(b"EHLO x")
    assert "PLAIN" in session.client.capabilities.auth_mechanisms
    assert server_lines(session.send(PLAIN_IR))[0].startswith("235")


def test_message_mode_dot_stuffing_reaches_the_server_unstuffed():
    sink = Sink()
    transport = memory.MemoryTransport(SimServer("lab", sink=sink), "lab")
    session = Session(transport, annotator=Annotations())
    session.open()
    for line in (b"EHLO x", PLAIN_IR, b"MAIL FROM:<tim@example.org>", b"RCPT TO:<a@example.net>", b"DATA"):
        session.send(line)
    assert session.state is State.DATA
    assert session.send(b"Subject: hi")[0].text == "Subject: hi"
    session.send(b"")
    items = shown(session.send(b".hidden"))
    assert items[0].text == "..hidden" and items[1].key == "repl.ann.dot-stuffed"
    assert len(items) == 2                                    # no reply expected mid-message
    items = session.send(b".")
    assert server_lines(items)[0].startswith("250") and session.state is State.READY
    assert b"\r\n.hidden\r\n" in sink.messages[-1].data


def test_verbose_detail_has_the_exact_bytes_and_keeps_secrets_secret():
    session, _ = open_session()
    session.send(b"EHLO x")
    detail = [i for i in session.send(PLAIN_IR) if i.kind == DETAIL]
    assert detail[0].text == "sent 41 octets: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\\r\\n" and detail[0].secret
    assert not [e for e in session.transcript.entries if "octets:" in e.text]   # details are not recorded


def test_quit_then_closed():
    session, _ = open_session()
    items = session.send(b"QUIT")
    assert server_lines(items)[0].startswith("221")
    assert items[-1].key == "shell.note.closed-after-quit" and session.closed   # expected: QUIT asked for it
    again = session.send(b"NOOP")
    assert kinds(again) == [ERROR] and again[0].key == "repl.note.not-connected"


class Silent:
    """A transport whose server greets, then never answers (a live server that hangs)."""

    description, is_simulator = "silent:25", False

    def __init__(self, fail_send=False):
        self.inbox = [b"220 hello\r\n"]
        self.fail_send = fail_send
        self.timeouts = []

    def send(self, data):
        if self.fail_send:
            raise TransportError("connection reset by peer")

    def receive(self, timeout):
        if self.inbox:
            return self.inbox.pop()
        self.timeouts.append(timeout)
        raise ReadTimeout("nothing")

    def start_tls(self):
        raise TransportError("no TLS here")

    def close(self):
        pass

    def notes(self):
        return []


def test_a_silent_server_gives_a_timeout_note_not_a_hang():
    transport = Silent()
    session = Session(transport, timeout=0.25)
    session.open()
    items = session.send(b"EHLO x")
    assert items[-1].key == "repl.note.timeout" and "0.25" in items[-1].text
    assert transport.timeouts[-1] == 0.25 and not session.closed


def test_a_failing_transport_closes_with_an_error_line():
    session = Session(Silent(fail_send=True))
    session.open()
    items = shown(session.send(b"EHLO x"))
    assert ERROR in kinds(items) and "connection reset" in items[1].text
    assert session.closed


def test_failed_handshake_is_reported():
    session = Session(Silent())
    session.open()
    items = session.start_tls()
    assert items[0].kind == ERROR and "no TLS here" in items[0].text and session.closed


class CtrlC(Silent):
    """A live server that greets, then the learner presses Ctrl-C while the tutor waits (SIGINT in recv)."""

    def __init__(self, partial=b"", during_tls=False):
        super().__init__()
        self.partial, self.during_tls, self.closed = partial, during_tls, False

    def send(self, data):
        if data == b"STARTTLS\r\n":
            self.inbox.append(b"220 go ahead\r\n")

    def receive(self, timeout):
        if self.inbox:
            return self.inbox.pop()
        if self.partial:
            data, self.partial = self.partial, b""
            return data
        if not timeout:
            raise ReadTimeout("nothing yet")
        raise KeyboardInterrupt

    def start_tls(self):
        raise KeyboardInterrupt

    def close(self):
        self.closed = True


def test_ctrl_c_while_waiting_keeps_what_was_shown_and_says_so():
    session = Session(CtrlC(partial=b"250-first line of a slow reply\r\n"))
    session.open()
    with pytest.raises(Interrupted) as stop:          # a KeyboardInterrupt: batch mode still stops on it
        session.send(b"EHLO x")
    assert isinstance(stop.value, KeyboardInterrupt)
    items = stop.value.items
    assert items[0].kind == CLIENT and items[0].text == "EHLO x"        # the line went out: the screen says so
    assert items[-1].key == "repl.note.stopped-waiting" and not session.closed
    assert session.transcript.entries[-1].key == "repl.note.stopped-waiting"


def test_ctrl_c_during_the_starttls_handshake_closes_the_session():
    transport = CtrlC()
    session = Session(transport)
    session.open()
    with pytest.raises(Interrupted) as stop:
        session.send(b"STARTTLS")
    keys = [i.key for i in stop.value.items]
    assert "repl.note.tls-stopped" in keys and session.closed and transport.closed


def test_the_mechanism_that_logged_in_survives_a_refused_second_auth():
    session, _ = open_session()
    session.send(b"EHLO x")
    session.send(PLAIN_IR)
    session.send(b"AUTH LOGIN")                       # 503: already authenticated
    assert session.last_reply.code == 503
    assert session.logged_in_with == "PLAIN" and session.auth.mechanism == "LOGIN"


@pytest.mark.parametrize("line", [PLAIN_IR, b"EHLO laptop.example", b"QUIT"])
def test_send_reads_the_line_once(monkeypatch, line):
    from tutor.protocol import commands
    session = Session(memory.connect(SimServer, "lab"))      # no annotator: it reads lines on its own
    session.open()
    calls = []
    real = commands.parse

    def counting(raw):
        calls.append(raw)
        return real(raw)

    before_the_wire = []
    send = session.transport.send
    monkeypatch.setattr(session.transport, "send", lambda wire: (before_the_wire.extend(calls), send(wire)))
    monkeypatch.setattr(commands, "parse", counting)   # the simulator behind the transport parses it too
    session.send(line)
    assert before_the_wire == [line]


def test_line_and_reply_kinds_are_enums():
    from tutor.protocol.client import LineKind
    from tutor.protocol.replies import ReplyKind
    session, _ = open_session()
    assert session.client.line_kind() is LineKind.COMMAND
    session.send(b"EHLO laptop.example")
    assert session.last_reply.kind is ReplyKind.POSITIVE
    session.send(PLAIN_IR)
    session.send(b"MAIL FROM:<a@example.org>")
    session.send(b"RCPT TO:<b@example.org>")
    session.send(b"DATA")
    assert session.client.line_kind() is LineKind.MESSAGE and session.last_reply.kind is ReplyKind.INTERMEDIATE


class SlowToClose(Silent):
    """A live server that answers QUIT with 221 and closes a moment later (its FIN after the reply)."""

    def __init__(self):
        super().__init__()
        self.quit = False

    def send(self, data):
        self.quit = self.quit or data.startswith(b"QUIT")
        if self.quit:
            self.inbox = [b"221 bye\r\n"]

    def receive(self, timeout):
        if self.inbox:
            return self.inbox.pop()
        self.timeouts.append(timeout)
        if self.quit and timeout > 0:
            return b""                        # the close arrives while the session waits for it
        raise ReadTimeout("nothing yet")


def test_after_quits_221_the_session_waits_for_the_server_to_close():
    """RFC 5321 §4.1.1.10: the server closes after its 221; a live server's close may come a moment after the
    reply, and the session waits for it (boundedly) instead of staying open until the next command."""
    transport = SlowToClose()
    session = Session(transport, timeout=5.0)
    session.open()
    items = session.send(b"QUIT")
    assert server_lines(items)[0].startswith("221")
    assert session.closed and items[-1].key == "shell.note.closed-after-quit"
    assert 0 < transport.timeouts[-1] <= 2.0                  # bounded: a server that never closes costs 2 s
