"""The classroom model (sans-IO): real exchanges with the simulator in, rows, mistakes and totals out.

Each case is a session as a real client or a student typed it; the server side is the real SimServer in
memory, fed to the model as `serve` feeds it. Expected values are written by hand from the exchange.
"""

import base64
import json
import random

import pytest

from tutor.classroom import detail, memo, model, payloads, report, rows
from tutor.classroom.feed import HEAD, Feed
from tutor.classroom.model import Classroom
from tutor.classroom.page import ClassroomPage
from tutor.sim import SimServer
from tutor.sim.output import show
from tutor.transport.serve_config import summary_notes

PASSWORD = "tanstaaftanstaaf"
TIM_PLAIN = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"          # base64 of \0tim\0tanstaaftanstaaf (RFC 4616 §2 form)
RFC2195_RESPONSE = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"   # RFC 2195 §2's example answer


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(autouse=True, params=["view only", "view and log"])
def simulator_mode(request):
    """Every case twice: as `serve --dashboard/--web` runs the simulator alone (it summarises: client lines and
    the classroom's notes only) and with a log or record too (every note and line): the view must not differ."""
    Player.summarise = request.param == "view only"


class Player:
    """Feeds one in-memory session to a Classroom the way serve's asyncio server does (tutor.classroom.feed)."""

    summarise = True

    def __init__(self, room: Classroom, number: int, profile: str = "lab", peer: str = "192.0.2.7:40000") -> None:
        self.clock = 1000.0
        self.feed = Feed(room, clock=lambda: self.clock)
        self.server = SimServer(profile, rng=random.Random(number), clock=lambda: self.clock)   # the same every run
        config = _Config(None, None, self.feed) if self.summarise else _Config(print, None, self.feed)
        keys = summary_notes(config)
        assert (keys is not None) == self.summarise
        if keys is not None:
            self.server.summarise(keys)
        self.number, self.tls = number, False
        self.feed.session_opened(number, peer, False)
        self.feed.session_output(number, self.server.connect(), False)

    def send(self, data: bytes) -> None:
        self.clock += 0.01
        self.feed.session_output(self.number, self.server.receive(data), self.tls)

    def starttls_done(self) -> None:
        self.tls = True
        self.feed.session_tls(self.number)
        self.feed.session_output(self.number, self.server.tls_established(), True)

    def close(self) -> None:
        self.feed.session_closed(self.number)


class _Config:
    """The parts of ServeConfig that decide what the simulator makes."""

    def __init__(self, log, record, watch) -> None:
        self.log, self.record, self.watch = log, record, watch


def play(room: Classroom, number: int, profile: str, steps) -> None:
    player = Player(room, number, profile)
    for step in steps:
        if step == "<tls>":
            player.starttls_done()
        elif isinstance(step, bytes):
            player.send(step)
        else:
            player.send(step.encode() + b"\r\n")
    player.close()


# (name, profile, client lines, user, mechanism, result code, logged in, mistakes, client key)
CASES = [
    ("swaks PLAIN", "lab", ["EHLO vm", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"],
     "tim", "PLAIN", 235, True, {"password-without-tls"}, "swaks"),
    ("smtplib CRAM-MD5, RFC 2195 challenge", "fixed-challenge",
     ["ehlo [127.0.0.1]", "AUTH CRAM-MD5", RFC2195_RESPONSE, "quit"],
     "tim", "CRAM-MD5", 235, True, set(), "smtplib"),
    ("LOGIN typed with echo (trailing newline)", "lab",
     ["EHLO localhost", "AUTH LOGIN", b64("tim\n"), b64(PASSWORD + "\n"), "QUIT"],
     "tim", "LOGIN", 535, False, {"trailing-newline", "password-without-tls"}, "msmtp"),
    ("PLAIN of user:password", "lab", ["EHLO [10.0.0.5]", f"AUTH PLAIN {b64('tim:' + PASSWORD)}", "QUIT"],
     "", "PLAIN", 535, False, {"wrong-string", "password-without-tls"}, "thunderbird"),
    ("PLAIN with \\0 typed as two characters", "lab",
     ["EHLO laptop", f"AUTH PLAIN {b64(chr(92) + '0tim' + chr(92) + '0' + PASSWORD)}"],
     "tim", "PLAIN", 535, False, {"literal-nul", "password-without-tls"}, "swaks"),
    ("PLAIN without the leading NUL", "lab", ["EHLO laptop", f"AUTH PLAIN {b64('tim' + chr(0) + PASSWORD)}"],
     "tim", "PLAIN", 535, False, {"missing-nul", "password-without-tls"}, "swaks"),
    ("AUTH before EHLO", "lab", [f"AUTH PLAIN {TIM_PLAIN}"],
     "tim", "PLAIN", 503, False, {"auth-before-ehlo", "password-without-tls"}, "none"),
    ("gave up after 334", "lab", ["EHLO pc1.example.org", "AUTH LOGIN"],
     "", "LOGIN", None, False, {"gave-up-after-334"}, "unknown"),
    ("cancelled with *", "lab", ["EHLO pc1", "AUTH LOGIN", "*"], "", "LOGIN", 501, False, {"cancelled"}, "swaks"),
    ("gsasl answers PLAIN's empty 334", "lab", ["EHLO [127.0.0.1]", "AUTH PLAIN", TIM_PLAIN, "QUIT"],
     "tim", "PLAIN", 235, True, {"password-without-tls"}, "gsasl"),
    ("wrong password", "lab", ["EHLO pc1", f"AUTH PLAIN {b64(chr(0) + 'tim' + chr(0) + 'nope')}"],
     "tim", "PLAIN", 535, False, {"wrong-password", "password-without-tls"}, "swaks"),
    ("unknown user", "lab", ["EHLO pc1", f"AUTH PLAIN {b64(chr(0) + 'bob' + chr(0) + 'nope')}"],
     "bob", "PLAIN", 535, False, {"no-such-user", "password-without-tls"}, "swaks"),
    ("strict: AUTH before STARTTLS", "strict", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}"],
     "tim", "PLAIN", 530, False, {"need-tls", "password-without-tls"}, "swaks"),
    ("strict: STARTTLS but no new EHLO", "strict", ["EHLO pc1", "STARTTLS", "<tls>", f"AUTH PLAIN {TIM_PLAIN}"],
     "tim", "PLAIN", 503, False, {"no-ehlo-after-tls"}, "swaks"),
    ("strict: STARTTLS, EHLO, PLAIN", "strict",
     ["EHLO pc1", "STARTTLS", "<tls>", "EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}"],
     "tim", "PLAIN", 235, True, set(), "swaks"),
    ("mechanism not offered", "lab", ["EHLO pc1", "AUTH DIGEST-MD5"], "", "DIGEST-MD5", 504, False,
     {"not-offered"}, "swaks"),
    ("MAIL before AUTH", "lab", ["EHLO pc1", "MAIL FROM:<tim@example.org>", "QUIT"], "", "", None, False,
     {"mail-before-auth"}, "swaks"),
    ("HELO, then AUTH", "lab", ["HELO pc1", "AUTH LOGIN"], "", "LOGIN", None, False, {"helo", "gave-up-after-334"},
     "swaks"),
    ("nc without -C: bare LF", "lab", [b"EHLO pc1\n", b"AUTH PLAIN " + TIM_PLAIN.encode() + b"\n"],
     "tim", "PLAIN", 235, True, {"bare-lf", "password-without-tls"}, "by-hand"),
    ("SCRAM client-first, then silence", "lab", ["EHLO pc1", f"AUTH SCRAM-SHA-256 {b64('n,,n=tim,r=abcdefgh')}"],
     "tim", "SCRAM-SHA-256", None, False, {"gave-up-after-334"}, "swaks"),
    ("CRAM-MD5 answer without the digest", "lab", ["EHLO pc1", "AUTH CRAM-MD5", b64("tim " + PASSWORD)],
     "", "CRAM-MD5", 535, False, {"cram-format"}, "swaks"),
    ("PLAIN message sent to LOGIN", "lab", ["EHLO pc1", "AUTH LOGIN", TIM_PLAIN, b64(PASSWORD)],
     "tim", "LOGIN", 535, False, {"plain-to-login", "password-without-tls"}, "swaks"),
    ("XOAUTH2 token in clear", "lab",
     ["EHLO pc1", f"AUTH XOAUTH2 {b64('user=tim' + chr(1) + 'auth=Bearer ya29.not-a-token' + chr(1) + chr(1))}"],
     "tim", "XOAUTH2", None, False, {"token-without-tls", "gave-up-after-334"}, "swaks"),
]


@pytest.mark.parametrize("name,profile,steps,user,mechanism,code,logged_in,mistakes,client", CASES,
                         ids=[c[0] for c in CASES])
def test_session_summary(name, profile, steps, user, mechanism, code, logged_in, mistakes, client):
    room = Classroom()
    play(room, 1, profile, steps)
    summary = room.summary("1")
    assert (summary.user, summary.mechanism, summary.logged_in) == (user, mechanism, logged_in)
    if code is not None or mechanism == "":
        assert summary.result == code
    assert set(summary.mistakes) == mistakes
    assert summary.client == client
    assert not summary.open


def test_no_password_in_rows_entries_report_or_detail():
    room = Classroom()
    for number, (_name, profile, steps, *_rest) in enumerate(CASES, 1):
        play(room, number, profile, steps)
    shown = [json.dumps(rows.as_dict(s)) for s in room.summaries()]
    shown += [json.dumps(list(detail.records(s))) for s in room.summaries()]
    shown += [json.dumps(detail.listing(s)) for s in room.summaries()]
    shown += [report.render(room, fmt) for fmt in ("md", "html", "json")]
    everything = "\n".join(shown)
    for secret in (PASSWORD, b64(PASSWORD), TIM_PLAIN, "ya29.not-a-token", "nope"):
        assert secret not in everything


def test_detail_is_the_tracers_annotated_listing():
    room = Classroom()
    play(room, 1, "lab", ["EHLO pc1", "AUTH LOGIN", b64("tim"), b64(PASSWORD), "QUIT"])
    text = "\n".join("".join(part for _kind, part in line) for line in detail.listing(room.summary("1")))
    assert "C: dGlt" in text                                  # the user name's line is kept...
    assert "the user name 'tim'" in text                       # decoded and explained by the tracer
    assert "C: *** (redacted)" in text                        # ...the password's line is redacted by role
    assert "S: 235 2.7.0" in text


def test_totals_count_students_mechanisms_and_mistakes():
    room = Classroom()
    play(room, 1, "lab", ["EHLO pc1", f"AUTH PLAIN {b64('tim:' + PASSWORD)}"])           # tim? no name: wrong string
    play(room, 2, "lab", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}"])                         # tim logs in
    play(room, 3, "lab", ["EHLO pc2", "AUTH LOGIN", b64("demo"), b64("wrong")])           # demo fails
    play(room, 4, "lab", ["EHLO pc2", "AUTH LOGIN", b64("demo"), b64("demo")])            # demo logs in with LOGIN
    totals = room.totals()
    assert (totals.sessions, totals.open, totals.students, totals.logged_in) == (4, 0, 2, 2)
    assert totals.mechanisms == [("PLAIN", 2, 1), ("LOGIN", 2, 1)]
    assert totals.mistakes[0] == ("password-without-tls", 4)
    students = {s.user: s for s in room.students()}
    assert students["demo"].sessions == 2 and students["demo"].successes == 1
    assert students["demo"].worked == ["LOGIN"] and students["demo"].mistakes["wrong-password"] == 1
    assert students[""].mistakes["wrong-string"] == 1


def test_open_sessions_count_and_memory_is_bounded():
    room = Classroom(max_sessions=3)
    for number in range(1, 6):
        play(room, number, "lab", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}"])
    still_open = Player(room, 6)
    still_open.send(b"EHLO pc9\r\n")
    assert [s.sid for s in room.summaries()] == ["6", "5", "4"]   # the oldest ended ones were forgotten
    totals = room.totals()
    assert (totals.sessions, totals.open, totals.logged_in) == (6, 1, 1)
    assert {s.user: s.sessions for s in room.students()}["tim"] == 5


def test_listeners_hear_each_change_and_can_stop():
    room = Classroom()
    heard = []
    stop = room.listen(lambda sid, still_open: heard.append((sid, still_open)))
    play(room, 1, "lab", ["EHLO pc1", "QUIT"])
    assert heard[0] == ("1", True) and heard[-1] == ("1", False)
    stop()
    play(room, 2, "lab", ["EHLO pc1"])
    assert all(sid == "1" for sid, _ in heard)


def test_hostile_input_reaches_rows_escaped():
    room = Classroom()
    play(room, 1, "lab", ["EHLO \x1b[31mred", "AUTH LOGIN", b64("<script>\x1b]0;x\x07")])
    cells = rows.cells(room.summary("1"))
    assert "\x1b" not in json.dumps(cells, ensure_ascii=False).replace("\\u001b", "")
    assert all(ch.isprintable() for value in cells.values() for ch in value)


def test_the_classroom_package_does_no_io_and_draws_nothing():
    """tutor/classroom is sans-IO like the core (ARCHITECTURE.md): sockets and the web in tutor/transport, the
    terminal in tutor/display. (record.py writes files, as tutor.trace's Recorder does.)"""
    import ast
    from pathlib import Path

    forbidden = {"socket", "ssl", "asyncio", "selectors", "prompt_toolkit", "pygments", "subprocess", "aiohttp"}
    for path in sorted((Path(__file__).resolve().parent.parent / "tutor" / "classroom").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        roots |= {node.module.split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert not roots & forbidden, path.name


def test_a_class_list_counts_who_came_and_names_who_did_not():
    room = Classroom(roster=("tim", "demo", "ann"))
    play(room, 1, "lab", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"])
    assert room.absent() == ["demo", "ann"]
    assert rows.totals_lines(room.totals())[0] == "1 sessions (0 open) · 1 of 3 students seen · 1 logged in"
    text = report.render(room, "md")
    assert "## No session yet (accounts of the class list)\n\ndemo, ann" in text
    assert json.loads(report.render(room, "json"))["absent"] == ["demo", "ann"]


def test_an_open_session_at_a_334_shows_it_is_waiting():
    room = Classroom()
    stuck = Player(room, 1)
    stuck.send(b"EHLO pc1\r\n")
    stuck.send(b"AUTH LOGIN\r\n")
    assert rows.cells(room.summary("1"))["result"] == "334, waiting"
    stuck.send(b"*\r\n")
    assert rows.cells(room.summary("1"))["result"] == "501 refused"


@pytest.mark.parametrize("name,profile,steps", [case[:3] for case in CASES], ids=[case[0] for case in CASES])
def test_a_summarising_simulator_gives_the_view_what_the_full_one_does(name, profile, steps):
    """Same replies byte for byte; the client's lines as received (shown, they are the full simulator's logged
    lines), with a secret bit where the full one masks, and the classroom's notes are the full simulator's; nothing
    else is made (no transcript, no other notes)."""
    full, summary = SimServer(profile, rng=random.Random(7)), SimServer(profile, rng=random.Random(7))   # same nonces
    summary.summarise(Feed.notes)
    outputs = [(full.connect(), summary.connect())]
    for step in steps:
        if step == "<tls>":
            outputs.append((full.tls_established(), summary.tls_established()))
        else:
            data = step if isinstance(step, bytes) else step.encode() + b"\r\n"
            outputs.append((full.receive(data), summary.receive(data)))
    for whole, summed in outputs:
        assert summed.data == whole.data and (summed.close, summed.start_tls) == (whole.close, whole.start_tls)
        logged = [line for line in whole.transcript if line.direction == "C"]
        assert summed.transcript == ()
        assert [line if isinstance(line, str) else show(line) for line in summed.client] == [x.text for x in logged]
        assert [bool(summed.secret >> i & 1) for i in range(len(logged))] == [x.masked is not None for x in logged]
        assert summed.secret < 1 << len(logged)
        assert summed.notes == tuple(note for note in whole.notes if note.key in Feed.notes)
    assert any(note.key not in Feed.notes for whole, _ in outputs for note in whole.notes)   # the full one made more


def test_web_batches_carry_only_the_rows_the_page_shows():
    room = Classroom()
    for number in range(1, 6):
        play(room, number, "lab", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"])
    page = ClassroomPage(room)
    body = page.changed(0, 2)                                   # the page shows the newest two sessions
    assert sorted(row["id"] for row in body["rows"]) == ["4", "5"]
    assert body["totals"]["sessions"] == 5                      # the totals still count every session
    stamp = page.stamp()
    assert page.changed(stamp, 2)["rows"] == []                 # nothing changed since: no row made
    player = Player(room, 6, "lab")
    player.send(b"EHLO pc1\r\n")
    assert [row["id"] for row in page.changed(stamp, 2)["rows"]] == ["6"]   # new, and among the newest two
    stamp = page.stamp()
    player.send(f"AUTH PLAIN {TIM_PLAIN}\r\n".encode())
    changed = page.changed(stamp, 2)["rows"]
    assert [(row["id"], row["result"]) for row in changed] == [("6", "235 logged in")]
    assert changed[0]["user"] == "tim"
    snapshot = page.snapshot("class", 2)
    assert [row["id"] for row in snapshot["rows"]] == ["6", "5"] and snapshot["keep"] == 2
    assert not any(PASSWORD in json.dumps(row) or TIM_PLAIN in json.dumps(row) for row in body["rows"])


def test_a_batch_as_json_text_is_the_batch_the_page_reads_and_escapes_what_came_from_input():
    """The web view sends each batch as JSON text made without a dict per row (ClassroomPage.changed_json): it
    is the text of what changed() gives, every row of a class (open and ended, each case twice so the second comes
    from the encoded cells), and a hostile peer, EHLO name and user name stay inside their strings."""
    room = Classroom()
    _play_class(room, 2)
    hostile = Player(room, 998, peer='192.0.2.9:1"\n<script>\u2028')
    hostile.send(b'EHLO "pc"\x1b[2J\r\n')
    hostile.send(b"AUTH PLAIN " + base64.b64encode(b'\0t"i\\m\n\0' + PASSWORD.encode()) + b"\r\n")
    open_one = Player(room, 999)
    open_one.send(b"AUTH LOGIN\r\n")
    page = ClassroomPage(room)
    for _round in range(2):
        text = page.changed_json(0, 1000)
        assert text == json.dumps(page.changed(0, 1000), ensure_ascii=False)   # (what the page got before)
        assert "\n" not in text and PASSWORD not in text
    rows_read = json.loads(page.changed_json(0, 1000))["rows"]
    assert {row["id"] for row in rows_read} >= {"998", "999"}
    assert next(row for row in rows_read if row["id"] == "998")["peer"] == '192.0.2.9:1"\n<script>\u2028'


def test_payload_readings_are_remembered_within_a_bound():
    payloads._readings.clear()
    first = payloads.read_text("PLAIN", TIM_PLAIN, True, 0)
    assert first is not None and first[0].user == "tim" and first[1]
    assert payloads.read_text("PLAIN", TIM_PLAIN, True, 0) is first              # the second time: remembered
    assert payloads.read_text("PLAIN", "not base64!", True, 0) is None
    for number in range(payloads.MAX_CACHED + 10):
        payloads.read_text("PLAIN", b64(f"\0user{number}\0pw"), True, 0)
    assert len(payloads._readings) <= payloads.MAX_CACHED
    assert payloads.read_text("LOGIN", "x" * (payloads.CACHED_LENGTH + 4), False, 1) is not None
    assert all(len(text) <= payloads.CACHED_LENGTH for _mech, text, _initial, _index in payloads._readings)


ROW_FIELDS = ("sid", "peer", "started", "ended", "user", "mechanism", "tls", "result", "logged_in", "mistakes",
              "client", "ehlo", "tried", "worked", "steps", "dropped", "waiting", "forgotten")


def _rows_of(room: Classroom) -> list[dict]:
    return [{name: getattr(summary, name) for name in ROW_FIELDS} for summary in room.summaries()]


def _play_class(room: Classroom, rounds: int) -> None:
    """Every case `rounds` times (so the later rounds replay remembered readings), and one typed by hand."""
    number = 0
    for _round in range(rounds):
        for _name, profile, steps, *_rest in CASES:
            number += 1
            play(room, number, profile, steps)
        number += 1
        player = Player(room, number)
        player.send(b"EHLO pc1\r\n")
        player.clock += 3.0                       # a pause like someone typing
        player.send(f"AUTH PLAIN {TIM_PLAIN}\r\n".encode())
        player.close()


def _afresh_and_remembered(monkeypatch, play_class) -> tuple[Classroom, Classroom]:
    """The same class (three rounds) read with every step read afresh, then with readings remembered."""
    memo.forget()
    monkeypatch.setattr(memo, "REMEMBER", False)
    afresh = Classroom()
    play_class(afresh, 3)
    monkeypatch.setattr(memo, "REMEMBER", True)
    remembered = Classroom()
    play_class(remembered, 3)
    return afresh, remembered


def test_remembered_readings_give_every_row_field_as_reading_afresh(monkeypatch):
    """tutor.classroom.memo replays a step's reading: every field of every row (steps included) must be what
    reading each step afresh gives."""
    afresh, remembered = _afresh_and_remembered(monkeypatch, _play_class)
    assert memo._table.remembered > 0
    assert _rows_of(remembered) == _rows_of(afresh)
    assert remembered.students() == afresh.students() and remembered.totals() == afresh.totals()
    assert [s.client for s in remembered.summaries()][:1] == ["by-hand"]


def test_remembered_readings_are_bounded(monkeypatch):
    monkeypatch.setattr(memo, "MAX_REMEMBERED", 10)
    memo.forget()
    room = Classroom()
    first_states: list = []
    for number in range(1, 40):
        play(room, number, "lab", ["EHLO pc1", f"AUTH PLAIN {b64(chr(0) + f'user{number}' + chr(0) + 'pw')}"])
        assert memo._table.remembered <= 10
        if number == 1:
            first_states = [state for state in memo._table.states.values() if state.after]
    assert room.summary("39").user == "user39"
    # the states of an earlier table forget what followed them (a session under way may teach its own one more)
    assert first_states and all(len(state.after) <= 1 for state in first_states)
    assert not any(state in memo._table.states.values() for state in first_states)


def _class_record(room: Classroom) -> tuple:
    """Everything the totals and the report say, in order (the order of first appearance included)."""
    totals = room.totals()
    students = [(s.user, s.sessions, s.successes, s.tried, s.worked, list(s.mistakes.items()), s.clients, s.peers)
                for s in room.students()]
    return totals, students


def test_ended_sessions_folded_when_read_count_as_folded_one_by_one(monkeypatch):
    """The class totals and the students' records fold ended sessions only when a view reads them (by final
    state and address, in the order they ended); read after every session or once at the end, they are the same,
    and the sessions waiting to be folded stay within a bound."""
    monkeypatch.setattr(model, "MAX_UNFOLDED", 5)
    one_by_one, at_the_end = Classroom(), Classroom()
    waiting = []
    number = 0
    twice = [case for case in CASES for _ in (0, 1)]       # the same session twice in a row, from one machine
    for round_ in range(3):
        for index, (_name, profile, steps, *_rest) in enumerate(twice if round_ else CASES):
            number += 1
            peer = f"192.0.2.{(index // 2 + round_) % 4}:{40000 + number}"   # four machines, a new port each time
            for room in (one_by_one, at_the_end):
                player = Player(room, number, profile, peer=peer)
                for step in steps:
                    if step == "<tls>":
                        player.starttls_done()
                    else:
                        player.send(step if isinstance(step, bytes) else step.encode() + b"\r\n")
                player.close()
            one_by_one.totals()
            waiting.append(len(at_the_end._unfolded))
    assert _class_record(at_the_end) == _class_record(one_by_one)
    assert 1 < max(waiting) <= 5
    totals = at_the_end.totals()
    assert totals.sessions == 5 * len(CASES)
    assert sum(s.sessions for s in at_the_end.students()) == 5 * len(CASES)
    assert {p for s in at_the_end.students() for p in s.peers} == {f"192.0.2.{n}" for n in range(4)}


def as_step(out, tls: bool, t: float) -> tuple:
    """One step as serve hands it on in a list (tutor.transport.serve_session._write)."""
    return (out.client, out.secret, out.notes, out.data, tls, t)


def test_steps_handed_on_in_a_list_are_read_when_a_view_looks_and_at_the_end():
    """serve hands a view's Feed each Output in a list (Feed.session_steps), not by a call per command: the
    classroom reads the list when a view asks (rows, totals, stamp) and when the session ends, in order, and gives
    the same rows as the call per command."""
    by_list, by_call = Classroom(), Classroom()
    feed, other = Feed(by_list, clock=lambda: 1000.0), Feed(by_call, clock=lambda: 1000.0)
    server, twin = SimServer("lab", rng=random.Random(1)), SimServer("lab", rng=random.Random(1))
    for sim in (server, twin):
        sim.summarise(Feed.notes)
    feed.session_opened(1, "192.0.2.7:40000", False)
    other.session_opened(1, "192.0.2.7:40000", False)
    steps, read_now = feed.session_steps(1)
    before = by_list.changes
    for data in (None, b"EHLO pc1\r\n", b"AUTH LOGIN\r\n", b64("tim").encode() + b"\r\n"):
        out = server.connect() if data is None else server.receive(data)
        steps += as_step(out, False, 1000.0)
        other.session_output(1, twin.connect() if data is None else twin.receive(data), False)
    assert len(steps) == HEAD + 24 and by_list.changes == before   # nothing read yet (the start, then four steps)
    stamp = by_list.stamp()                                      # a view looks: everything read, in order
    assert stamp > before and steps == []
    row = by_list.summary("1")
    assert (row.user, row.mechanism, row.waiting, row.open) == ("tim", "LOGIN", True, True)
    assert by_list.totals().open == 1
    steps += as_step(server.receive(b64(PASSWORD).encode() + b"\r\n"), False, 1001.0)
    other.session_output(1, twin.receive(b64(PASSWORD).encode() + b"\r\n"), False)
    read_now(1)                                                  # serve's list grew long: read now
    assert steps == [] and by_list.summary("1").logged_in
    steps += as_step(server.receive(b"QUIT\r\n"), False, 1001.0)
    other.session_output(1, twin.receive(b"QUIT\r\n"), False)
    feed.session_closed(1)                                       # the end reads what is left
    other.session_closed(1)
    fields = ("user", "mechanism", "result", "logged_in", "mistakes", "client", "tried", "worked", "waiting")
    assert [getattr(by_list.summary("1"), name) for name in fields] == \
        [getattr(by_call.summary("1"), name) for name in fields]
    assert [step[2] for step in by_list.summary("1").steps] == [step[2] for step in by_call.summary("1").steps]


def test_a_busy_class_is_read_in_bursts_in_order_and_at_once_when_a_view_looks(monkeypatch):
    """The feed queues sessions (their starts, then their ends in their lists) and the classroom reads them in
    bursts, in order, when a view reads the class; once PASS_EVERY more than the rows kept are queued, the oldest
    are read (the ended only counted, the open given their rows); with someone told of each session as it ends
    (the one-line log), nothing waits."""
    from tutor.classroom import feed as feed_module

    monkeypatch.setattr(feed_module, "PASS_EVERY", 3)
    room = Classroom(max_sessions=2)
    feed = Feed(room, clock=lambda: 1000.0)
    for number in (1, 2):
        feed.session_opened(number, f"192.0.2.{number}:40000", False)
        steps, _read = feed.session_steps(number)
        sim = SimServer("lab")
        sim.summarise(Feed.notes)
        steps += as_step(sim.connect(), False, 1000.0)
        steps += as_step(sim.receive(b"EHLO pc\r\n"), False, 1000.0)
        feed.session_closed(number)
    assert room._sessions == {} and room.changes == 0        # queued: nothing read yet
    assert [s.sid for s in room.summaries()] == ["2", "1"]   # a view looks: both read, in order
    assert [s.ehlo for s in room.summaries()] == ["pc", "pc"] and not any(s.open for s in room.summaries())
    for number in (3, 4, 5, 6, 7):
        feed.session_opened(number, "192.0.2.9:40000", False)
        if number != 4:                                      # (4 stays open)
            feed.session_closed(number)
    assert list(room._sessions) == ["1", "2"] and room._seen == 2   # the rows kept and three more, queued
    feed.session_opened(8, "192.0.2.9:40000", False)         # one more: the three oldest are read first
    assert room._seen == 5 and list(room._sessions) == ["2", "4"]   # 3 and 5 counted, no row; 4 (open) has one
    assert [s.sid for s in room.summaries()] == ["8", "7", "4"]     # a view looks: 6 counted; 4 stays while open
    assert (room.totals().sessions, room.totals().open) == (8, 2)
    heard = []
    room.listen(lambda sid, still_open: heard.append((sid, still_open)))
    feed.session_opened(9, "192.0.2.9:40000", False)
    assert heard == [("9", True)]                            # told at once: no queue
    feed.session_closed(9)
    assert heard == [("9", True), ("9", False)]


def test_a_rows_cells_remembered_by_reading_state_are_the_cells_made_afresh():
    """The web page's rows take all but their time, peer and id from what their reading state gave before: every
    row of a class (each case twice, and one left open) is what its cells give made afresh."""
    room = Classroom()
    _play_class(room, 2)
    open_one = Player(room, 999)
    open_one.send(b"EHLO pc1\r\n")
    open_one.send(b"AUTH LOGIN\r\n")
    summaries = room.summaries()
    assert any(s.open for s in summaries) and any(not s.open for s in summaries)
    for _round in range(2):                     # the second time from what was remembered
        for summary in summaries:
            expected = {**rows.cells(summary), "id": summary.sid, "state": rows.state(summary),
                        "open": summary.ended is None}
            assert rows.as_dict(summary) == expected


def _case_steps(number: int, profile: str, lines) -> list[tuple]:
    """One case's steps as serve hands them on in a list (six items each), its time moving on with each."""
    clock = [1000.0 + number]
    server = SimServer(profile, rng=random.Random(number), clock=lambda: clock[0])
    server.summarise(Feed.notes)
    tls, steps = False, [as_step(server.connect(), False, clock[0])]
    for line in lines:
        clock[0] += 0.01
        if line == "<tls>":
            tls = True
            steps.append(as_step(server.tls_established(), True, clock[0]))
            continue
        data = line if isinstance(line, bytes) else line.encode() + b"\r\n"
        steps.append(as_step(server.receive(data), tls, clock[0]))
    return steps


def _ticking(start: float):
    """A clock that moves on a millisecond each time it is read (events in order have times in order)."""
    ticks = iter(range(10**9))
    return lambda: start + next(ticks) / 1000


@pytest.mark.parametrize("pass_every", [10_000, 2])
def test_a_burst_longer_than_the_rows_kept_gives_what_reading_each_session_as_it_ends_gives(monkeypatch, pass_every):
    """A burst that starts more sessions than the rows kept makes no row for the sessions it would drop at once
    (Classroom.passed) and keeps no exchange for those it would forget at once: its rows (exchanges included),
    totals and students are what reading each session as it ends gives (a listener: no queue), with a session
    open across the burst (older than the rows kept: its row stays until it ends) and one still open after;
    the same when the oldest queued are read as the class goes (PASS_EVERY beyond the rows kept)."""
    from tutor.classroom import feed as feed_module

    monkeypatch.setattr(feed_module, "PASS_EVERY", pass_every)
    monkeypatch.setattr(feed_module, "KEEP_DETAIL", 4)
    monkeypatch.setattr(model, "KEEP_DETAIL", 4)
    in_bursts, as_they_end = Classroom(max_sessions=6), Classroom(max_sessions=6)
    as_they_end.listen(lambda sid, still_open: None)
    feeds = [Feed(in_bursts, clock=_ticking(2000.0)), Feed(as_they_end, clock=_ticking(2000.0))]   # the same times
    lists: dict[tuple[int, int], list] = {}

    def opened(number: int) -> None:
        for index, feed in enumerate(feeds):
            feed.session_opened(number, f"192.0.2.{number % 3}:{40000 + number}", False)
            lists[index, number] = feed.session_steps(number)[0]

    def step(number: int, items: tuple) -> None:
        for index in range(len(feeds)):
            lists[index, number].extend(items)

    def closed(number: int) -> None:
        for feed in feeds:
            feed.session_closed(number)

    long_one = _case_steps(0, "lab", ["EHLO pc1", "AUTH LOGIN", b64("tim"), b64(PASSWORD), "QUIT"])
    opened(1)
    step(1, long_one[0])
    number = 1
    for _round in (1, 2):                         # the second time, each session's run of steps was seen before
        for index, case in enumerate(CASES[:12]):
            number += 1
            opened(number)
            for items in _case_steps(index, case[1], case[2]):
                step(number, items)
            closed(number)
            if number == 7:                       # the long session goes on meanwhile, and a view looks
                for items in long_one[1:3]:
                    step(1, items)
                in_bursts.stamp()
    for items in long_one[3:]:
        step(1, items)
    closed(1)
    opened(99)                                    # and one still open
    for items in _case_steps(99, "lab", ["EHLO pc9", "AUTH LOGIN"]):
        step(99, items)

    def shown(room: Classroom) -> list:
        return [(s.sid, s.peer, s.started, s.ended, s.state, s.forgotten, s.dropped, s.steps)
                for s in room.summaries()]

    rows_in_bursts = shown(in_bursts)              # (reading the second burst now)
    assert rows_in_bursts == shown(as_they_end)
    assert [row[0] for row in rows_in_bursts] == ["99", "25", "24", "23", "22", "21"]   # session 1 ended: gone
    assert [row[5] for row in rows_in_bursts] == [False, False, False, False, True, True]   # 4 keep their exchange
    assert _class_record(in_bursts) == _class_record(as_they_end)
    assert in_bursts.totals().sessions == 26 and in_bursts.totals().open == 1


def test_an_old_session_keeps_its_row_while_open_and_loses_it_when_it_ends():
    room = Classroom(max_sessions=2)
    first = Player(room, 1)
    first.send(b"EHLO pc1\r\n")
    for number in (2, 3, 4):
        play(room, number, "lab", ["EHLO pc2", "QUIT"])
    assert [s.sid for s in room.summaries()] == ["4", "3", "1"]   # the two newest, and the old one still open
    first.send(f"AUTH PLAIN {TIM_PLAIN}\r\n".encode())
    first.close()
    assert [s.sid for s in room.summaries()] == ["4", "3"]
    assert room.totals().logged_in == 1 and room.totals().sessions == 4


def _play_class_by_list(room: Classroom, rounds: int) -> None:
    """Every case `rounds` times as serve hands steps on in a list (read at once, the later rounds from a
    remembered run), one typed by hand (a pause), and one read in two parts (a view looked in between)."""
    feed = Feed(room, clock=lambda: 3000.0)
    number = 0
    for _round in range(rounds):
        for _name, profile, lines, *_rest in CASES:
            number += 1
            feed.session_opened(number, "192.0.2.5:40000", False)
            steps = feed.session_steps(number)[0]
            for items in _case_steps(number % len(CASES), profile, lines):
                steps += items
            feed.session_closed(number)
        number += 1
        feed.session_opened(number, "192.0.2.6:40000", False)
        steps = feed.session_steps(number)[0]
        typed = _case_steps(1, "lab", ["EHLO pc1", f"AUTH PLAIN {TIM_PLAIN}", "QUIT"])
        for index, items in enumerate(typed):
            steps += (*items[:5], items[5] + 3.0 * (index >= 2))   # a pause like someone typing before the AUTH
        feed.session_closed(number)
        number += 1
        feed.session_opened(number, "192.0.2.7:40000", False)
        steps = feed.session_steps(number)[0]
        halves = _case_steps(2, "lab", ["EHLO pc1", "AUTH LOGIN", b64("tim"), b64(PASSWORD), "QUIT"])
        for items in halves[:3]:
            steps += items
        room.stamp()                               # a view looks: the first part is read
        for items in halves[3:]:
            steps += (*items[:5], items[5] + 3.0 * (_round == 2))   # (the last time after a pause)
        feed.session_closed(number)


def test_runs_of_steps_read_at_once_give_what_reading_each_step_afresh_gives(monkeypatch):
    """A session's steps handed on in a list are read at once when the state has seen the same run before
    (memo.remember_run): every field of every row, its steps and their times included, and the totals are what
    reading each step afresh gives; a pause like someone typing is still seen."""
    afresh, remembered = _afresh_and_remembered(monkeypatch, _play_class_by_list)
    assert sum(len(state.runs) for state in memo._starts.values()) > 0

    def everything(room: Classroom) -> list:
        return [({name: getattr(s, name) for name in ROW_FIELDS}, s.steps, s.dropped) for s in room.summaries()]

    assert everything(remembered) == everything(afresh)
    assert _class_record(remembered) == _class_record(afresh)
    clients = [s.client for s in remembered.summaries()]
    assert clients[:2] == ["by-hand", "by-hand"]   # the one read in halves (a pause before its second half), and
    assert clients[2] == clients[len(CASES) + 4]   # the one typed by hand; the second round's like the third's
