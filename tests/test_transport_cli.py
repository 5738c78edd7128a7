"""`smtp-tutor connect` in batch mode against `serve` on loopback: bad input, masking, the clear-text guard."""

import json

import pytest
from peers import ServerThread, lab_tls

from tutor import cli
from tutor.cli import connect as cli_connect
from tutor.repl import toolbar
from tutor.transport import address

PLAIN_B64 = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"   # \0tim\0tanstaaftanstaaf


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return lab_tls(tmp_path_factory.mktemp("tls"))


def run(tmp_path, capsys, lines, *flags):
    script = tmp_path / "script.txt"
    script.write_text("".join(line + "\n" for line in lines))
    code = cli.main(["connect", *flags, "--script", str(script)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, words", [
    (["connect", "host:0"], "bad target 'host:0': the port must be a number"),
    (["connect", "[::1"], "bad target '[::1'"),
    (["connect", "127.0.0.1", "--timeout", "0"], "bad timeout 0"),
    (["connect", "127.0.0.1", "--cafile", "/no/such/ca.pem"], "cannot use CA file /no/such/ca.pem"),
    (["connect", "127.0.0.1", "--script", "/no/such/script"], "cannot read /no/such/script"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, words):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and words in err and "Traceback" not in err


def test_starttls_and_tls_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["connect", "127.0.0.1", "--starttls", "--tls"])
    assert info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_batch_login_over_starttls_is_masked_and_recorded_redacted(tmp_path, capsys, tls):
    context, cert = tls
    record = tmp_path / "live.jsonl"
    with ServerThread(tls=context) as server:
        code, out, _ = run(tmp_path, capsys, ["EHLO me", "STARTTLS", "EHLO me", ":auth PLAIN tim tanstaaftanstaaf",
                                              "QUIT"],
                           f"127.0.0.1:{server.port}", "--starttls", "--by-hand", "--cafile", str(cert),
                           "--record", str(record))
    assert code == 0, out
    assert "TLS is up (TLSv1.3" in out and "certificate verified" in out and "subject " in out
    assert "Upgrade, step" not in out                  # --by-hand: the learner typed the upgrade
    assert "C: AUTH PLAIN *** (redacted)" in out and "S: 235 2.7.0" in out
    assert PLAIN_B64 not in out and "tanstaaf" not in out
    saved = record.read_text()
    assert PLAIN_B64 not in saved and "tanstaaf" not in saved
    header = json.loads(saved.splitlines()[0])
    assert header["redacted"] and header["target"] == f"smtp://127.0.0.1:{server.port}"


def test_show_secrets_keeps_them(tmp_path, capsys):
    record = tmp_path / "live.jsonl"
    with ServerThread() as server:
        code, out, _ = run(tmp_path, capsys, ["EHLO me", f"AUTH PLAIN {PLAIN_B64}", "QUIT"],
                           f"127.0.0.1:{server.port}", "--show-secrets", "--record", str(record))
    assert code == 0 and f"C: AUTH PLAIN {PLAIN_B64}" in out
    assert PLAIN_B64 in record.read_text() and not json.loads(record.read_text().splitlines()[0])["redacted"]


def remote(monkeypatch):
    """Make loopback look like a host elsewhere on the network."""
    monkeypatch.setattr(address, "is_loopback", lambda host: False)


@pytest.mark.parametrize("auth_line, mechanism", [
    (":auth PLAIN tim tanstaaftanstaaf", "PLAIN"), ("AUTH LOGIN", "LOGIN"),
    ("AUTH XOAUTH2 dXNlcj10aW0BYXV0aD1CZWFyZXIgeAEB", "XOAUTH2"),     # a bearer token too
])
def test_cleartext_credentials_to_a_remote_host_are_refused_in_batch(tmp_path, capsys, monkeypatch, auth_line,
                                                                      mechanism):
    remote(monkeypatch)
    with ServerThread() as server:
        code, out, _ = run(tmp_path, capsys, ["EHLO me", auth_line, "dGlt", "QUIT"], f"127.0.0.1:{server.port}")
    assert code == 1
    assert out.count("WARNING: this connection to 127.0.0.1 is not encrypted") == 1
    assert "anyone on the path" in out and "decode the credentials in one step" in out
    assert f"!  not sent: AUTH {mechanism} would put your credentials on the network in clear text" in out
    assert "batch mode stops here" in out
    assert "C: AUTH" not in out and "C: dGlt" not in out and "S: 221" not in out   # nothing after it is sent


def test_allow_cleartext_sends(tmp_path, capsys, monkeypatch):
    remote(monkeypatch)
    with ServerThread() as server:
        code, out, _ = run(tmp_path, capsys, ["EHLO me", ":auth LOGIN tim tanstaaftanstaaf", "QUIT"],
                           f"127.0.0.1:{server.port}", "--allow-cleartext")
    assert code == 0 and "WARNING" not in out and "S: 235" in out


def test_after_starttls_there_is_no_warning(tmp_path, capsys, monkeypatch, tls):
    remote(monkeypatch)
    context, cert = tls
    with ServerThread(tls=context) as server:
        code, out, _ = run(tmp_path, capsys, ["EHLO me", "STARTTLS", "EHLO me", ":auth PLAIN tim tanstaaftanstaaf"],
                           f"127.0.0.1:{server.port}", "--cafile", str(cert))
    assert code == 0 and "WARNING" not in out and "S: 235" in out


@pytest.mark.parametrize("answer, sent", [(True, True), (False, False)])
def test_the_terminal_asks_before_sending(monkeypatch, answer, sent):
    remote(monkeypatch)
    shown, asked = [], []
    with ServerThread() as server:
        live = cli_connect.LiveOptions(address.Address("127.0.0.1", server.port))
        shell = cli_connect._make_shell(live, interactive=False, out=shown.extend)
        shell.confirm = lambda prompt: asked.append(prompt) or answer
        shell.start()
        shell.handle("EHLO me")
        assert shell.handle(f"AUTH PLAIN {PLAIN_B64}") is sent
        shell.handle("QUIT")
    assert asked == ["Send your credentials in clear text anyway? [y/N] "]
    texts = [i.text for i in shown]
    assert any(i.kind == "C" and i.text.startswith("AUTH PLAIN") for i in shown) is sent
    if not sent:
        assert "not sent: run STARTTLS first (then EHLO again), and the same AUTH goes inside TLS" in texts


def test_batch_password_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SMTP_TUTOR_PASSWORD", "tanstaaftanstaaf")
    with ServerThread() as server:
        code, out, _ = run(tmp_path, capsys, ["EHLO me", ":auth CRAM-MD5 tim"], f"127.0.0.1:{server.port}")
    assert code == 0 and "S: 235" in out and "tanstaaf" not in out


def test_a_failed_connect_stops_the_batch_with_one_line(tmp_path, capsys):
    with ServerThread() as server:
        port = server.port
    code, out, _ = run(tmp_path, capsys, ["EHLO me", "QUIT"], f"127.0.0.1:{port}")
    assert code == 1 and out == f"!  connection refused by 127.0.0.1:{port}: nothing listens on that port " \
                                 "(is the server running? is the port right?)\n"


def test_connect_without_target_reconnects(tmp_path, capsys):
    with ServerThread() as server:
        code, out, _ = run(tmp_path, capsys, ["QUIT", ":connect", "QUIT"], f"127.0.0.1:{server.port}")
    assert code == 0 and out.count("S: 220 ") == 2


def test_the_toolbar_says_insecure(tls):
    context, _ = tls
    with ServerThread(tls=context, implicit=True) as server:
        live = cli_connect.LiveOptions(address.Address("127.0.0.1", server.implicit_port), tls=True, insecure=True)
        shell = cli_connect._make_shell(live, interactive=False)
        shell.start()
        view = shell.view()
        assert view.insecure and view.tls_version.startswith("TLSv1")
        assert "INSECURE" in toolbar.text(view)
        shell.handle("QUIT")


def test_the_plain_repl_guards_connect_host_too(monkeypatch):
    """`smtp-tutor`, then `:connect HOST`: the same warning, and batch mode (no one to ask) refuses."""
    from tutor.repl.shell import Shell

    remote(monkeypatch)
    shown = []
    with ServerThread() as server:
        shell = Shell(out=shown.extend)
        assert shell.handle(f":connect 127.0.0.1:{server.port}")
        shell.handle("EHLO me")
        assert not shell.handle(":auth LOGIN tim tanstaaftanstaaf")
        shell.handle("QUIT")
    texts = [i.text for i in shown]
    assert any(t.startswith("WARNING: this connection to 127.0.0.1 is not encrypted") for t in texts)
    assert not any(i.kind == "C" and i.text.startswith("AUTH") for i in shown)


def test_the_terminal_app_on_a_live_server(monkeypatch, tmp_path):
    """Headless prompt_toolkit: the live welcome, and the yes/no question answered no."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from tutor.repl.app import ReplApp

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    remote(monkeypatch)
    printed = []
    with ServerThread() as server:
        live = cli_connect.LiveOptions(address.Address("127.0.0.1", server.port))
        shell = cli_connect._make_shell(live, interactive=True)
        with create_pipe_input() as pipe:
            app = ReplApp(shell, input=pipe, output=DummyOutput(), color=False)
            show = app.print_items
            app.print_items = lambda items: (printed.extend(items), show(items))
            pipe.send_text(f"EHLO me\rAUTH PLAIN {PLAIN_B64}\rn\rQUIT\r\x04")
            assert app.run() == 0
    texts = [i.text for i in printed]
    assert any(t.startswith(f"Connected to smtp://127.0.0.1:{server.port}, a real server") for t in texts)
    assert "not sent: run STARTTLS first (then EHLO again), and the same AUTH goes inside TLS" in texts
    assert not any(i.kind == "C" and i.text.startswith("AUTH") for i in printed)


class FakeLive:
    """LiveOptions whose connect is a stand-in: raises, or returns a ready-made transport."""

    def __init__(self, connect):
        self.where = address.Address("192.0.2.7", 587)
        self.timeout, self.show_secrets, self.allow_cleartext = 30.0, False, False
        self.connect = connect


def run_live_app(live, keys, prepare=lambda shell: None):
    """The terminal app (headless) on a LiveShell; returns (exit code, shell, items printed, prompts asked)."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from tutor.repl.app import ReplApp
    from tutor.repl.live import LiveShell

    shell = LiveShell(live, interactive=True)
    prepare(shell)
    printed, prompts = [], []
    with create_pipe_input() as pipe:
        app = ReplApp(shell, input=pipe, output=DummyOutput(), color=False)
        show = app.print_items
        app.print_items = lambda items: (printed.extend(items), show(items))
        ask = app.prompt.prompt
        app.prompt.prompt = lambda *a, **k: (prompts.append(len(printed)), ask(*a, **k))[1]
        pipe.send_text(keys)
        code = app.run()
    return code, shell, printed, prompts


def ctrl_c():
    raise KeyboardInterrupt


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def test_ctrl_c_while_connecting_at_start_is_one_line_and_the_repl_goes_on(state_home):
    code, shell, printed, prompts = run_live_app(FakeLive(ctrl_c), ":connect sim\rNOOP\r\x04")
    assert code == 0
    errors = [i.text for i in printed if i.kind == "error"]
    assert errors == ["stopped connecting to 192.0.2.7:587 (Ctrl-C); you are offline now: :connect tries again, "
                      ":connect sim opens the simulator"]
    assert prompts[0] >= 2                  # connected (and stopped) before the first prompt, where Ctrl-C works
    assert printed[0].key == "repl.note.connecting" and "Ctrl-C stops" in printed[0].text
    assert [i.text for i in printed if i.kind == "S"][-2].startswith("250 ")   # then :connect sim worked
    assert [i.text for i in printed if i.kind == "S"][-1].startswith("221 ")   # and Ctrl-D said QUIT


class NoGreeting:
    """A live server that accepts the connection and never greets; the learner presses Ctrl-C while waiting."""

    description, is_simulator, insecure = "smtp://192.0.2.7:587", False, False

    def __init__(self):
        self.closed = False

    def send(self, data):
        pass

    def receive(self, timeout):
        raise KeyboardInterrupt

    def start_tls(self):
        return None

    def close(self):
        self.closed = True

    def notes(self):
        return []


def test_ctrl_c_while_waiting_for_the_greeting_leaves_no_half_open_connection(state_home):
    transport = NoGreeting()
    code, shell, printed, _ = run_live_app(FakeLive(lambda: transport), "\x04")
    assert code == 0 and transport.closed and shell.session.closed
    assert next(i.text for i in printed if i.kind == "error").startswith("stopped connecting to 192.0.2.7:587")
    assert "not connected" in toolbar.text(shell.view())


def test_implicit_tls_gets_its_own_welcome(tls, state_home):
    context, cert = tls
    with ServerThread(tls=context, implicit=True) as server:
        live = cli_connect.LiveOptions(address.Address("127.0.0.1", server.implicit_port), tls=True,
                                       cafile=str(cert))
        code, shell, printed, _ = run_live_app(live, "QUIT\r\x04")
    texts = [i.text for i in printed]
    assert code == 0 and any("TLS is up from the first byte" in t for t in texts)
    welcome = [t for t in texts if t.startswith("Connected to smtps://")]
    assert len(welcome) == 1 and "no STARTTLS here" in welcome[0] and "then STARTTLS" not in welcome[0]


def test_a_start_that_fails_is_one_line_and_the_repl_goes_on(state_home):
    """A front end may replace `start` (smtp-tutor lesson --connect opens the server itself): its error is a
    tutor line too, and the prompt comes."""
    from tutor.errors import TransportError

    def refused():
        raise TransportError("connection refused by 192.0.2.7:587")

    def prepare(shell):
        shell.start = refused

    code, shell, printed, prompts = run_live_app(FakeLive(refused), ":connect sim\r\x04", prepare)
    assert code == 0 and [i.text for i in printed if i.kind == "error"] == ["connection refused by 192.0.2.7:587"]
    assert prompts and shell.session.transport.is_simulator


def test_starttls_upgrades_for_the_learner_visibly(tmp_path, capsys, tls):
    """As `openssl s_client -starttls smtp` and swaks -tls: EHLO, STARTTLS, 220, the handshake, EHLO again."""
    context, cert = tls
    with ServerThread(tls=context) as server:
        code, out, _ = run(tmp_path, capsys, [":auth PLAIN tim tanstaaftanstaaf", "QUIT"],
                           f"127.0.0.1:{server.port}", "--starttls", "--cafile", str(cert))
    assert code == 0, out
    lines = out.splitlines()
    wire = [line for line in lines if line.startswith(("C: ", "S: 220", "S: 235", "S: 250 "))]
    assert wire[:7] == ["S: 220 sim.smtp-tutor.test ESMTP smtp-auth-tutor simulator (lab): accepts mail, "
                        "relays nothing",
                        "C: EHLO laptop.example", wire[2], "C: STARTTLS", "S: 220 2.0.0 Ready to start TLS",
                        "C: EHLO laptop.example", wire[6]]
    assert wire[2].startswith("S: 250 ") and wire[6].startswith("S: 250 ")
    text = " ".join(out.split())
    for step in ("Upgrade, step 1 of 3: EHLO", "Upgrade, step 2 of 3: STARTTLS (RFC 3207 §4)",
                 "Upgrade, step 3 of 3: EHLO again, now inside TLS", "TLS is up (TLSv1.3", "certificate verified",
                 "Upgraded: from here on every line travels inside TLS"):
        assert step in text
    assert text.index("TLS is up") < text.index("Upgrade, step 3 of 3") < text.index("S: 235")
    assert "WARNING" not in out                        # AUTH went inside TLS: no clear-text question


def test_starttls_upgrade_stops_when_the_server_does_not_offer_it(tmp_path, capsys):
    with ServerThread() as server:      # no TLS context: the simulator does not advertise STARTTLS
        code, out, _ = run(tmp_path, capsys, ["NOOP"], f"127.0.0.1:{server.port}", "--starttls")
    assert "the server does not offer STARTTLS in its EHLO reply, so the connection stays in clear text" in out
    assert "C: STARTTLS" not in out and code == 1
    assert "C: NOOP" not in out                        # batch mode stops: the script expected TLS


def test_by_hand_needs_starttls(capsys):
    assert cli.main(["connect", "127.0.0.1", "--by-hand"]) == 2
    assert "--by-hand goes with --starttls" in capsys.readouterr().err
