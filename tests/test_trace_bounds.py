"""Issue 16 for the tracer: every input bounded, every error one line (deep JSON, reassembly, JSON Lines
sessions that never end, truncated pcapng options, a forced format that does not fit the file)."""

import json
import struct
from pathlib import Path

import trace_pcapgen as gen

from tutor.cli import main
from tutor.trace import tcpflow
from tutor.trace.importers import jsonl
from tutor.trace.pipeline import trace_bytes
from tutor.trace.records import MAX_OPEN_SESSIONS, End, Mark
from tutor.trace.source import Source

DATA = Path(__file__).parent / "data" / "trace"
PLAIN = [("S", b"220 mx.example ESMTP\r\n"), ("C", b"EHLO laptop\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
         ("C", b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"), ("S", b"235 2.7.0 ok\r\n")]


def trace(capsys, *argv):
    code = main(["trace", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_nested_1000_deep_is_one_line_not_a_traceback(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 1000 + "]" * 1000 + "\n")
    inside = tmp_path / "inside.jsonl"
    inside.write_text('{"type": "line", "dir": "C", "data": ' + "[" * 1000 + "]" * 1000 + "}\n")
    code, out, err = trace(capsys, str(deep))
    assert code == 2 and "not a format the tracer reads" in err and "Traceback" not in err
    code, out, err = trace(capsys, "--input-format", "tutor", str(inside))
    assert "inside.jsonl:1: not a transcript entry (JSON nested too deep)" in err and "Traceback" not in err


def test_held_segments_are_bounded_payload_or_not():
    """Header-only segments (the capture cut every byte of payload) count toward the bound too."""
    half = tcpflow.Half()
    half.syn(999)
    for i in range(50_000):
        half.add(5000 + i * 1000, b"", 1000)          # all ahead of a byte that never came
        assert half.pending_bytes <= tcpflow.PENDING_LIMIT
    assert len(half.pending) * tcpflow.SEGMENT_COST <= tcpflow.PENDING_LIMIT


def test_reassembly_gives_up_on_a_hole_and_keeps_going_in_order():
    half = tcpflow.Half()
    half.syn(0)
    out = []
    for i in range(10_000):                           # byte 1 never comes; bytes 2.. arrive one at a time
        out += half.add(2 + i, b"x")
    out += half.flush()
    assert out[0] is tcpflow.GAP and b"".join(o for o in out if o) == b"x" * 10_000
    assert half.lost == 1


def test_sequence_numbers_wrap():
    half = tcpflow.Half()
    half.syn(2**32 - 3)
    out = half.add(2**32 - 2, b"ab") + half.add(2, b"ef") + half.add(0, b"cd")
    assert b"".join(out) == b"abcdef"


def _sessions_that_never_end(count: int) -> bytes:
    lines = []
    for i in range(count):
        lines.append(json.dumps({"type": "header", "version": 1, "target": "sim", "session": str(i)}))
        lines.append(json.dumps({"type": "line", "dir": "S", "data": "220 x", "session": str(i)}))
    return ("\n".join(lines) + "\n").encode()


def test_json_lines_sessions_that_never_end_are_released(monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_OPEN_SESSIONS", 50)
    records = list(jsonl.read(Source("many", __import__("io").BytesIO(_sessions_that_never_end(200)))))
    ends = [r for r in records if isinstance(r, End)]
    evicted = [r for r in records if isinstance(r, Mark) and r.key == "trace.mark.evicted"]
    assert len(ends) == 200 and len(evicted) == 150
    assert records.index(ends[0]) < len(records) // 2          # released as it went, not at the end
    assert MAX_OPEN_SESSIONS >= 1000


def test_a_cut_pcapng_option_is_skipped_and_the_packets_read():
    data = gen.pcapng(gen.wrap(gen.conversation(PLAIN), 1))
    shb_len = struct.unpack_from("<I", data, 4)[0]
    idb_len = struct.unpack_from("<I", data, shb_len + 4)[0]
    # an IDB whose options end inside if_tsresol: code 9, length 1, and no value byte before the block ends
    body = struct.pack("<HHI", 1, 0, 262144) + struct.pack("<HH", 9, 1)
    idb = struct.pack("<II", 1, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    cut = data[:shb_len] + idb + data[shb_len + idb_len:]
    bad = []
    reports = trace_bytes(cut, "cut", on_bad=bad.append)
    assert [(a.mechanism, a.user, a.result) for r in reports for a in r.attempts] == [("PLAIN", "tim", "success")]


def test_a_corrupt_pcapng_block_is_skipped_with_one_line():
    packets = gen.wrap(gen.conversation(PLAIN), 1)
    data = bytearray(gen.pcapng(packets))
    # an Enhanced Packet Block too short for its own header, spliced in after the IDB
    bogus = struct.pack("<II", 6, 16) + b"\0\0\0\0" + struct.pack("<I", 16)
    idb_end = 28 + struct.unpack_from("<I", data, 28 + 4)[0]
    data[idb_end:idb_end] = bogus
    bad = []
    reports = trace_bytes(bytes(data), "odd", on_bad=bad.append)
    assert [a.user for r in reports for a in r.attempts] == ["tim"]


def test_forced_pcap_on_a_text_file_reads_it_as_what_it_is(capsys):
    code, out, err = trace(capsys, "--summary", "--input-format", "pcap", str(DATA / "swaks_plain_lab.txt"))
    assert code == 0 and "not a pcap or pcapng file" in err and "read as swaks instead" in err
    assert "PLAIN demo success" in out and "IndexError" not in err and "KeyError" not in err


def test_forced_text_format_on_a_capture_reads_it_as_pcap(capsys):
    code, out, err = trace(capsys, "--summary", "--input-format", "swaks", str(DATA / "lab_auth.pcap"))
    assert code == 0 and "read as pcap instead" in err and len(out.splitlines()) == 8


def test_corrupt_compressed_input_is_one_line(tmp_path, capsys):
    import lzma
    data = lzma.compress((DATA / "swaks_plain_lab.txt").read_bytes())
    bad = tmp_path / "bad.xz"
    bad.write_bytes(data[:30] + b"garbage" * 20 + data[60:])
    code, out, err = trace(capsys, str(bad))
    assert code == 2 and "bad.xz: corrupt xz data" in err and "Traceback" not in err


def test_a_decompression_bomb_stops_with_one_line(tmp_path, capsys, monkeypatch):
    import gzip

    from tutor.trace import compressed
    monkeypatch.setattr(compressed, "_RATIO_FROM", 1024 * 1024)
    bomb = tmp_path / "bomb.log.gz"
    bomb.write_bytes(gzip.compress(b"S: 250 ok\n" * 2_000_000, 9))     # 20 MB from about 40 KB
    code, out, err = trace(capsys, "--summary", str(bomb))
    assert "expands past" in err and "too large to be a capture" in err and "Traceback" not in err


def test_long_session_keys_targets_and_lines_are_kept_short():
    from tutor.trace.observer import ROW_TEXT
    key = "k" * 100_000
    lines = [json.dumps({"type": "header", "version": 1, "target": "t" * 100_000, "session": key}),
             json.dumps({"type": "line", "dir": "S", "data": "220 " + "x" * 100_000, "session": key})]
    (report,) = trace_bytes(("\n".join(lines) + "\n").encode(), "long", fmt="tutor")
    assert len(report.label) < 400 and len(report.id) < 400
    assert ROW_TEXT < len(report.rows[0].text) < ROW_TEXT + 100 and "more characters not kept" in report.rows[0].text
