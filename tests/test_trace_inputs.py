"""Inputs as people really paste them: garbage inside a transcript, over-long lines, a terminal's CR CR LF,
`openssl s_client -quiet` sessions and its Q/R trap, Postfix and Dovecot logs (a debug log holding a
password), swaks' hidden-password placeholder, multi-session tutor transcripts, and memory that does not grow
with the number of sessions."""

import io
import json
import os
import tracemalloc
from pathlib import Path

import trace_pcapgen as gen

from tutor.trace import findings
from tutor.trace.importers import jsonl
from tutor.trace.pipeline import reports, trace_bytes, trace_source
from tutor.trace.records import Begin, End
from tutor.trace.source import MAX_LINE, Source
from tutor.transcript import Entry, Recorder, parse_lines

DATA = Path(__file__).parent / "data" / "trace"


def logins(found):
    return [(a.mechanism, a.user, a.result, a.password) for r in found for a in r.attempts]


def traced(data: bytes, name: str = "in"):
    bad = []
    return trace_bytes(data, name, on_bad=bad.append), [b.message for b in bad]


# ---- damaged text -----------------------------------------------------------------------------------------
def test_garbage_spliced_into_a_transcript_is_one_clear_line_and_the_rest_is_read():
    lines = (DATA / "swaks_plain_lab.txt").read_bytes().split(b"\n")
    noise = bytes(b for b in range(256) if b != 10) * 2
    spliced = b"\n".join(lines[:5] + [noise, b"\x00\x01\x02garbage\x03\x04"] + lines[5:])
    found, bad = traced(spliced, "pasted.txt")
    assert logins(found) == [("PLAIN", "demo", "success", "demo")]
    assert bad == ["pasted.txt:6: 524 bytes of binary data (lines 6-7), not text; skipped"]


def test_an_over_long_line_is_skipped_and_the_lines_after_it_keep_their_numbers():
    text = b"S: 220 mx\n" + b"C: " + b"A" * (MAX_LINE + 10) + b"\nC: EHLO x\nS: 250 ok\n"
    found, bad = traced(text, "long.txt")
    assert bad == ["long.txt:2: a line longer than 1024 KiB, not a transcript line; skipped"]
    rows = [(r.direction, r.text, r.where) for r in found[0].rows if r.direction in "CS"]
    assert rows == [("S", "220 mx", "long.txt:1"), ("C", "EHLO x", "long.txt:3"), ("S", "250 ok", "long.txt:4")]


def test_a_terminal_copy_with_cr_cr_lf_line_ends():
    text = (b"S: 220 mx\r\r\nC: EHLO x\r\nS: 250 AUTH PLAIN\r\r\nC: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"
            b"S: 235 ok\r\r\n")
    found, bad = traced(text)
    assert not bad and logins(found) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]


# ---- openssl s_client ---------------------------------------------------------------------------------------
def test_openssl_quiet_session_typed_in_a_terminal():
    found, bad = traced((DATA / "openssl_quiet_tls_lab.txt").read_bytes(), "quiet.txt")
    assert not bad
    assert [(a.mechanism, a.user, a.result, a.password, a.tls) for r in found for a in r.attempts] == \
        [("LOGIN", "tim", "failure", "wrong", True)]
    assert found[0].rows[0].text.startswith("220 ")          # the greeting, not taken for openssl's leftover


def test_two_quiet_sessions_in_one_paste_are_two_sessions():
    one = (DATA / "openssl_quiet_tls_lab.txt").read_bytes()
    found, _ = traced(one + one, "twice.txt")
    assert len(found) == 2 and all(r.attempts[0].user == "tim" for r in found)


def test_openssl_q_trap_line_never_reached_the_server():
    full = (DATA / "openssl_starttls_lab.txt").read_bytes()
    head = full[:full.index(b"read R BLOCK")]
    paste = head + (b"read R BLOCK\nEHLO x\n250-localhost\n250 AUTH PLAIN\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n"
                    b"235 2.7.0 Authentication successful\nQUIT\nDONE\n")
    found, _ = traced(paste)
    marks = [n.key for r in found[0].rows if r.direction == "mark" for n in r.notes]
    assert "trace.mark.openssl-command" in marks
    assert not any(r.direction == "C" and r.text == "QUIT" for r in found[0].rows)
    assert logins(found) == [("PLAIN", "tim", "success", "tanstaaftanstaaf")]


# ---- mail logs ----------------------------------------------------------------------------------------------
DOVECOT_DEBUG = (
    "Jun  3 10:00:00 mx dovecot: auth: Debug: client in: AUTH\t1\tPLAIN\tservice=smtp\tlip=127.0.0.1\t"
    "resp=AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n"
    "Jun  3 10:00:00 mx dovecot: auth: Debug: client passdb out: OK\t1\tuser=tim\n"
    "Jun  3 10:00:01 mx dovecot: auth: Debug: client in: AUTH\t2\tLOGIN\tservice=smtp\n"
    "Jun  3 10:00:01 mx dovecot: auth: Debug: client out: CONT\t2\tVXNlcm5hbWU6\n"
    "Jun  3 10:00:01 mx dovecot: auth: Debug: client in: CONT\t2\tZGVtbw==\n"
    "Jun  3 10:00:01 mx dovecot: auth: Debug: client out: CONT\t2\tUGFzc3dvcmQ6\n"
    "Jun  3 10:00:01 mx dovecot: auth: Debug: client in: CONT\t2\td3Jvbmc=\n"
    "Jun  3 10:00:03 mx dovecot: auth: login(demo,127.0.0.1): Password mismatch\n")


def test_a_dovecot_debug_log_holding_passwords_is_read_like_the_wire():
    found, _ = traced(DOVECOT_DEBUG.encode(), "mail.log")
    assert logins(found) == [("PLAIN", "tim", "success", "tanstaaftanstaaf"), ("LOGIN", "demo", "failure", "wrong")]
    assert {findings.leak(a) for r in found for a in r.attempts} == {"in-log"}
    secret_rows = [r for r in found[0].rows + found[1].rows if r.secret]
    assert len(secret_rows) == 2 and all(r.text[:r.keep].endswith(("resp=", "\t")) for r in secret_rows)


def test_dovecots_own_log_file_is_detected_one_exchange_per_line():
    text = ("Dec 01 00:02:55 auth: Info: passwd-file(tim,127.0.0.1): Password mismatch\n"
            "Dec 01 00:11:20 auth: Info: cram-md5(tim,127.0.0.1): Password mismatch\n"
            "Dec 01 00:07:40 auth: Info: login(?,127.0.0.1): Request timed out waiting for client\n")
    found, _ = traced(text.encode(), "dovecot.log")
    assert logins(found) == [("", "tim", "failure", None), ("CRAM-MD5", "tim", "failure", None),
                             ("LOGIN", "", "failure", None)]


def test_postfix_failure_payload_is_its_last_challenge_not_the_clients_answer():
    line = (b"Mar  3 10:00:01 mail postfix/smtpd[4242]: warning: x[203.0.113.9]: "
            b"SASL LOGIN authentication failed: UGFzc3dvcmQ6\n")
    found, _ = traced(line)
    keys = [n.key for n in found[0].rows[0].notes]
    assert keys == ["trace.note.log-failure-no-user", "trace.note.log-payload", "trace.note.log-last-challenge"]
    assert not found[0].rows[0].secret


# ---- tools that hide the password themselves ------------------------------------------------------------------
def test_swaks_auth_hide_password_placeholder_is_not_taken_for_the_password():
    text = (b"=== Trying 127.0.0.1:2525...\n<-  220 mx\n -> EHLO x\n<-  250 AUTH PLAIN LOGIN\n"
            b" -> AUTH PLAIN AHRpbQBQUk9WSURFRF9CVVRfUkVNT1ZFRA==\n<-  235 2.7.0 ok\n"
            b"=== Connection closed with remote host.\n")
    found, _ = traced(text)
    (attempt,) = found[0].attempts
    assert (attempt.user, attempt.password, attempt.redacted) == ("tim", None, True)
    assert findings.leak(attempt) == "redacted"


# ---- tutor transcripts with several sessions ---------------------------------------------------------------------
def test_a_multi_session_recording_ends_each_session_when_it_is_over(tmp_path):
    path = tmp_path / "serve.jsonl"
    with Recorder(path) as rec:
        for n, user in ((1, b"dGlt"), (2, b"ZGVtbw==")):
            rec.session("serve:lab", session=str(n))
            for direction, data in (("S", b"220 sim"), ("C", b"AUTH LOGIN"), ("S", b"334 VXNlcm5hbWU6"),
                                    ("C", user), ("S", b"334 UGFzc3dvcmQ6")):
                rec.add(Entry(direction, data), str(n))
            rec.add(Entry("C", b"c2VjcmV0", secret=True), str(n))
            rec.add(Entry("S", b"235 ok"), str(n))
            rec.end(str(n))
    assert os.stat(path).st_mode & 0o777 == 0o600 and "c2VjcmV0" not in path.read_text()
    with open(path, "rb") as handle:
        records = list(jsonl.read(Source("serve.jsonl", handle)))
    order = [(type(r).__name__, r.session) for r in records if isinstance(r, (Begin, End))]
    assert order == [("Begin", "serve.jsonl#1"), ("End", "serve.jsonl#1"), ("Begin", "serve.jsonl#2"),
                     ("End", "serve.jsonl#2")]
    found = trace_bytes(path.read_bytes(), "serve.jsonl")
    assert [(a.user, a.result, findings.leak(a)) for r in found for a in r.attempts] == \
        [("tim", "success", "redacted"), ("demo", "success", "redacted")]
    assert len(parse_lines(path.read_text().splitlines()).entries) == 14   # the end records are not entries


def test_headers_without_session_keys_end_the_previous_session():
    text = "\n".join(json.dumps(o) for o in [
        {"type": "header", "version": 1, "target": "a"}, {"type": "line", "dir": "S", "data": "220 a"},
        {"type": "header", "version": 1, "target": "b"}, {"type": "line", "dir": "S", "data": "220 b"}])
    records = list(jsonl.read(Source("t", io.BytesIO(text.encode()))))
    kinds = [type(r).__name__ for r in records]
    assert kinds == ["Begin", "Wire", "End", "Begin", "Wire", "End"]


# ---- bounded memory -----------------------------------------------------------------------------------------------
def _capture(sessions: int) -> bytes:
    lines = [("S", b"220 mx ESMTP\r\n"), ("C", b"EHLO x\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
             ("C", b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"), ("S", b"235 2.7.0 ok\r\n"), ("C", b"QUIT\r\n"),
             ("S", b"221 bye\r\n")]
    packets = []
    for n in range(sessions):
        packets += gen.conversation(lines, client=("192.0.2.10", 20000 + n))
    return gen.pcap(gen.wrap(packets, 1))


def _peak(path: Path) -> tuple[int, int]:
    """Sessions reported and peak memory of a --summary run (small read chunks: only sessions could add up)."""
    tracemalloc.start()
    try:
        with open(path, "rb") as handle:
            count = sum(1 for _ in trace_source(Source(path.name, handle), keep_rows=False))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_sessions(tmp_path, monkeypatch):
    from tutor.trace import source
    monkeypatch.setattr(source, "CHUNK", 16 * 1024)
    monkeypatch.setattr(source, "HEAD", 4 * 1024)
    small, big = tmp_path / "small.pcap", tmp_path / "big.pcap"
    small.write_bytes(_capture(25))
    big.write_bytes(_capture(400))
    n_small, peak_small = _peak(small)
    n_big, peak_big = _peak(big)
    assert (n_small, n_big) == (25, 400)
    assert peak_big < peak_small * 1.3                   # 16 times the sessions, not 16 times the memory


def test_reports_stream_out_before_the_input_is_finished():
    seen = []

    def records():
        for n in range(3):
            sid = f"s{n}"
            yield Begin(sid, sid)
            from tutor.trace.records import Wire
            yield Wire(sid, "S", b"220 x")
            yield End(sid)
            seen.append(n)
    for index, report in enumerate(reports(records(), lambda bad: None)):
        assert report.id == f"s{index}" and len(seen) == index   # reported before the next session is read


def test_saved_and_recorded_transcripts_are_0600_even_over_an_existing_file(tmp_path):
    from tutor.transcript import Transcript
    for name in ("saved.jsonl", "recorded.jsonl"):
        path = tmp_path / name
        path.write_text("old\n")
        path.chmod(0o644)
        transcript = Transcript(target="sim:lab")
        transcript.add(Entry("C", b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", secret=True))
        if name == "saved.jsonl":
            transcript.save(path)
        else:
            transcript.record_to(path).close()
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert "AHRpbQB0" not in path.read_text() and '"secret": true' in path.read_text()


def test_mangled_inputs_never_give_a_traceback(tmp_path, capsys):
    """Every fixture, bytes flipped, cut, dropped or inserted at random (seeded): one-line errors at most."""
    import random

    from tutor.cli import main
    rng = random.Random(7)
    fixtures = sorted(p for p in DATA.iterdir() if p.is_file())
    target = tmp_path / "mangled"
    for _ in range(120):
        data = bytearray(rng.choice(fixtures).read_bytes())
        for _ in range(rng.choice([1, 5, 40])):
            if not data:
                break
            pos = rng.randrange(len(data))
            roll = rng.random()
            if roll < 0.5:
                data[pos] = rng.randrange(256)
            elif roll < 0.7:
                del data[pos:pos + rng.randrange(1, 200)]
            elif roll < 0.9:
                data[pos:pos] = rng.randbytes(rng.randrange(1, 50))
            else:
                del data[pos:]
        target.write_bytes(bytes(data))
        options = rng.choice([[], ["--summary"], ["--hashcat"], ["--format", "json"], ["--format", "html"]])
        assert main(["trace", *options, str(target)]) in (0, 2)
        assert "Traceback" not in capsys.readouterr().err
