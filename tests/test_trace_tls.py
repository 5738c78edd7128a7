"""`smtp-tutor trace CAPTURE --keylog FILE`: real captures of smtplib and curl over STARTTLS and implicit TLS
(TLS 1.2 and 1.3; AES-GCM, ChaCha20-Poly1305, AES-CBC) decrypted with the key logs their clients wrote
(tests/data/tls/README.md), and what happens with a wrong, missing, damaged or hostile key log or capture."""

import os
import struct
from pathlib import Path

import pytest


def _need_cryptography() -> None:
    """The tls extra (in the test extra): skipped on a laptop without it, a failure under CI=true."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("cryptography is not installed (pip install -e '.[test]' installs it)")
        pytest.skip("cryptography is not installed: pip install 'smtp-auth-tutor[tls]'", allow_module_level=True)


_need_cryptography()

from tutor.cli import main  # noqa: E402
from tutor.trace import pcap, tls_keys  # noqa: E402
from tutor.trace.pipeline import reports  # noqa: E402
from tutor.trace.source import open_source  # noqa: E402

DATA = Path(__file__).parent / "data" / "tls"
PLAIN_B64 = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"        # base64 of "\0tim\0tanstaaftanstaaf" (RFC 4616 §2 message)
FIXTURES = {   # name: (version, cipher suite) as forced when the capture was made (README.md)
    "starttls_tls13_aes256gcm": ("TLS 1.3", "TLS_AES_256_GCM_SHA384"),
    "implicit_tls13_aes256gcm": ("TLS 1.3", "TLS_AES_256_GCM_SHA384"),
    "starttls_tls12_aes128gcm": ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    "implicit_tls12_chacha20": ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    "starttls_tls12_aes256cbc_sha384_etm": ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    "implicit_tls12_aes128cbc_sha256_mte": ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    "starttls_tls13_chacha20_curl": ("TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256"),
    "implicit_tls13_keyupdate_openssl": ("TLS 1.3", "TLS_AES_256_GCM_SHA384"),   # KeyUpdate both ways before AUTH
}
RESUMED = "implicit_tls12_resumed_openssl"      # two connections, the second resumes the first's TLS 1.2 session
HOSTILE = "implicit_tls13_hostile_escapes"      # escape sequences sent inside TLS (EHLO name, PLAIN authcid)


def trace(capsys, *argv):
    code = main(["trace", "--color", "never", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def session_reports(capture: Path, keylog: Path | None):
    keys = tls_keys.read(str(keylog)) if keylog else None
    src = open_source(str(capture))
    try:
        return list(reports(pcap.read(src, keylog=keys), lambda bad: None))
    finally:
        src.close()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_the_auth_inside_tls_is_decoded(name):
    [report] = session_reports(DATA / f"{name}.pcap", DATA / f"{name}.keys")
    [attempt] = report.attempts
    assert (attempt.mechanism, attempt.user, attempt.password, attempt.result) == \
        ("PLAIN", "tim", "tanstaaftanstaaf", "success")
    assert attempt.tls
    assert report.starttls == name.startswith("starttls")


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_listing_names_version_and_suite_and_masks_the_password(capsys, name):
    code, out, err = trace(capsys, str(DATA / f"{name}.pcap"), "--keylog", str(DATA / f"{name}.keys"))
    version, suite = FIXTURES[name]
    assert code == 0 and err == ""
    assert f"{version}, {suite}: decrypted with the key log" in out
    assert "anyone who holds this capture and that key log reads everything" in out
    assert "tanstaaftanstaaf" not in out and PLAIN_B64 not in out
    assert "authcid 'tim', password '********'" in out
    assert "S~ 235 2.7.0 Authentication successful" in out        # '~': a line read inside TLS


def test_reveal_shows_the_decrypted_password(capsys):
    name = "starttls_tls13_chacha20_curl"
    _, out, _ = trace(capsys, "--reveal", str(DATA / f"{name}.pcap"), "--keylog", str(DATA / f"{name}.keys"))
    assert f"C~ {PLAIN_B64}" in out                  # curl sends PLAIN after a 334, not as an initial response
    assert "password 'tanstaaftanstaaf'" in out


def test_without_a_key_log_the_session_stays_encrypted(capsys):
    code, out, _ = trace(capsys, str(DATA / "starttls_tls13_aes256gcm.pcap"))
    assert code == 0
    assert "C~" not in out and "PLAIN as 'tim'" not in out
    assert "TLS handshake from here on" in out


@pytest.mark.parametrize("name", ["starttls_tls13_aes256gcm", "implicit_tls12_chacha20"])
def test_a_key_log_without_this_session_says_so(capsys, name):
    other = DATA / "starttls_tls12_aes128gcm.keys"          # keys of another session
    code, out, err = trace(capsys, str(DATA / f"{name}.pcap"), "--keylog", str(other))
    assert code == 0 and err == ""
    assert "C~" not in out and "PLAIN as 'tim'" not in out
    line = next(line for line in out.splitlines() if "no key for this session" in line)
    assert line.strip().startswith("-- encrypted, ") and f"bytes; no key for this session in {other}" in line


def test_a_missing_key_log_is_one_line_and_exit_2(capsys, tmp_path):
    code, out, err = trace(capsys, str(DATA / "implicit_tls13_aes256gcm.pcap"), "--keylog", str(tmp_path / "nope"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "cannot read the key log" in err and "Traceback" not in err


def test_a_binary_key_log_is_refused_in_one_line(capsys, tmp_path):
    junk = tmp_path / "junk.keys"
    junk.write_bytes(bytes(range(256)) * 64)
    code, out, err = trace(capsys, str(DATA / "implicit_tls13_aes256gcm.pcap"), "--keylog", str(junk))
    assert code == 2 and out == "" and err.count("\n") == 1 and "not an NSS key log" in err


def test_a_huge_key_log_is_refused_after_a_bounded_read(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(tls_keys, "MAX_BYTES", 4096)
    huge = tmp_path / "huge.keys"
    with open(huge, "wb") as handle:                     # sparse: 1 GiB on paper, nothing on disk
        handle.truncate(1 << 30)
    read_sizes = []
    real_open = open

    def spying_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if str(path) == str(huge):
            real_read = handle.read
            handle.read = lambda size=-1: read_sizes.append(size) or real_read(size)
        return handle

    monkeypatch.setattr("builtins.open", spying_open)
    code, out, err = trace(capsys, str(DATA / "implicit_tls13_aes256gcm.pcap"), "--keylog", str(huge))
    assert code == 2 and out == "" and err.count("\n") == 1 and "larger than" in err
    assert read_sizes == []                               # a regular file: refused by its size, nothing read


def test_a_key_log_from_a_pipe_is_read_bounded(capsys, monkeypatch):
    monkeypatch.setattr(tls_keys, "MAX_BYTES", 4096)
    code, out, err = trace(capsys, str(DATA / "implicit_tls13_aes256gcm.pcap"), "--keylog", "/dev/zero")
    assert code == 2 and out == "" and err.count("\n") == 1 and "/dev/zero: a key log larger than" in err


def test_text_lines_that_are_not_keys_are_counted_and_the_rest_used(capsys, tmp_path):
    mixed = tmp_path / "mixed.keys"
    good = (DATA / "implicit_tls12_chacha20.keys").read_bytes()
    mixed.write_bytes(b"hello\nCLIENT_RANDOM zz\n\x1b]0;PWNED\x07\n" + good)
    code, out, err = trace(capsys, str(DATA / "implicit_tls12_chacha20.pcap"), "--keylog", str(mixed))
    assert code == 0 and "PLAIN as 'tim': success" in out
    assert err.count("\n") == 1 and "3 lines that are not key log lines were skipped" in err


def _tls_payload_offsets(capture: bytes, server_port: int, from_client: bool):
    """(offset, length) in the pcap file of each TCP payload that starts an application-data record (type 23)
    in one direction: classic pcap, Ethernet, IPv4, TCP (as tcpdump -i lo writes)."""
    at, out = 24, []
    while at + 16 <= len(capture):
        incl = struct.unpack_from("<I", capture, at + 8)[0]
        frame = at + 16
        ip = frame + 14
        ihl = (capture[ip] & 0x0F) * 4
        tcp = ip + ihl
        sport, dport = struct.unpack_from(">HH", capture, tcp)
        data = tcp + (capture[tcp + 12] >> 4) * 4
        end = frame + incl
        toward_server = dport == server_port
        if end > data and capture[data] == 23 and toward_server == from_client and server_port in (sport, dport):
            out.append((data, end - data))
        at = end
    return out


def test_a_damaged_record_is_one_problem_and_the_rest_is_read(capsys, tmp_path):
    name = "starttls_tls13_aes256gcm"
    capture = bytearray((DATA / f"{name}.pcap").read_bytes())
    [report] = session_reports(DATA / f"{name}.pcap", DATA / f"{name}.keys")
    port = int(report.label.rsplit(":", 1)[1])              # "… → 127.0.0.1:PORT"
    client_records = _tls_payload_offsets(bytes(capture), port, from_client=True)
    # segments that start with a TLS 1.3 record of type 23 (the Finished follows the ChangeCipherSpec): "ehlo",
    # "AUTH PLAIN …", "quit"; each record is header (5) + line with CRLF + inner type (1) + GCM tag (16)
    lines = [b"ehlo fixture.test\r\n", f"AUTH PLAIN {PLAIN_B64}\r\n".encode(), b"quit\r\n"]
    assert [length for _, length in client_records] == [5 + len(line) + 1 + 16 for line in lines]
    offset, length = client_records[0]                      # the encrypted "ehlo": flip a bit of its tag
    capture[offset + length - 1] ^= 0x01
    damaged = tmp_path / "damaged.pcap"
    damaged.write_bytes(bytes(capture))
    code, out, err = trace(capsys, str(damaged), "--keylog", str(DATA / f"{name}.keys"))
    assert code == 0 and err == ""
    problems = [line for line in out.splitlines() if "did not decrypt" in line]
    assert len(problems) == 1 and "a client TLS record did not decrypt" in problems[0]
    assert "C~ ehlo" not in out
    assert "C~ AUTH PLAIN ********" in out and "PLAIN as 'tim': success" in out


def test_a_capture_cut_inside_the_tls_stream_says_where(capsys, tmp_path):
    name = "implicit_tls13_aes256gcm"
    [report] = session_reports(DATA / f"{name}.pcap", DATA / f"{name}.keys")
    port = int(report.label.rsplit(":", 1)[1])
    capture = bytearray((DATA / f"{name}.pcap").read_bytes())
    offset, _ = _tls_payload_offsets(bytes(capture), port, from_client=False)[0]
    capture[offset + 1] = 9                                   # the server's first encrypted record: version 9.3
    damaged = tmp_path / "framing.pcap"
    damaged.write_bytes(bytes(capture))
    code, out, err = trace(capsys, str(damaged), "--keylog", str(DATA / f"{name}.keys"))
    assert code == 0 and "Traceback" not in err
    assert sum("the server's TLS stream breaks off (not a TLS record header" in line for line in out.splitlines()) == 1
    assert "C~ ehlo fixture.test" in out                      # the client's side is still read


def test_without_cryptography_keylog_says_how_to_install(capsys, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_cryptography(name, *args, **kwargs):
        if name.startswith("cryptography"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cryptography)
    code, out, err = trace(capsys, str(DATA / "implicit_tls13_aes256gcm.pcap"),
                           "--keylog", str(DATA / "implicit_tls13_aes256gcm.keys"))
    assert code == 2 and out == ""
    assert err.strip() == ("smtp-tutor trace: --keylog needs the cryptography package: "
                           "pip install 'smtp-auth-tutor[tls]'")


def test_summary_and_findings_say_the_key_log_gave_the_password_away(capsys):
    name = "implicit_tls12_aes128cbc_sha256_mte"
    args = (str(DATA / f"{name}.pcap"), "--keylog", str(DATA / f"{name}.keys"))
    _, out, _ = trace(capsys, "--summary", *args)
    assert out.rstrip().endswith("PLAIN tim success inside TLS, read with the key log: ********")
    _, out, _ = trace(capsys, "--summary", "--reveal", *args)
    assert out.rstrip().endswith("read with the key log: tanstaaftanstaaf")
    _, out, _ = trace(capsys, *args)
    assert "the capture and its key log give away the password of 'tim': ********" in out
    assert "not in this file" not in out and "holds only ciphertext" not in out


def test_fixtures_are_what_the_readme_says():
    names = {p.stem for p in DATA.glob("*.pcap")}
    assert names == set(FIXTURES) | {RESUMED, HOSTILE} == {p.stem for p in DATA.glob("*.keys")}
    readme = (DATA / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in names)


def test_a_resumed_tls12_session_is_read_too():
    """The abbreviated handshake: the server's ChangeCipherSpec comes before the client's; the key log holds a
    CLIENT_RANDOM line for each connection."""
    first, second = session_reports(DATA / f"{RESUMED}.pcap", DATA / f"{RESUMED}.keys")
    assert first.attempts == [] and any(row.text == "ehlo first.test" for row in first.rows)
    [attempt] = second.attempts
    assert (attempt.mechanism, attempt.user, attempt.password, attempt.result) == \
        ("PLAIN", "tim", "tanstaaftanstaaf", "success")
    assert any(row.text.startswith("221 ") for row in second.rows)


def test_key_updates_are_followed_in_both_directions():
    name = "implicit_tls13_keyupdate_openssl"
    [report] = session_reports(DATA / f"{name}.pcap", DATA / f"{name}.keys")
    texts = [row.text for row in report.rows if row.direction in ("C", "S")]
    # "K" made s_client send a KeyUpdate asking the server to update too: all four lines after it are new keys
    assert texts[-4:] == [f"auth plain {PLAIN_B64}", "235 2.7.0 Authentication successful", "quit",
                          "221 2.0.0 sim.smtp-tutor.test Bye"]


def _cut_packet(capture: bytes, offset: int, keep: int) -> bytes:
    """The capture with the packet whose payload starts at `offset` cut short after `keep` payload octets, as
    a short snap length cuts it (captured length < wire length; classic pcap record header)."""
    at, out = 24, bytearray(capture[:24])
    while at + 16 <= len(capture):
        ts_sec, ts_usec, incl, orig = struct.unpack_from("<IIII", capture, at)
        frame = capture[at + 16:at + 16 + incl]
        if at + 16 <= offset < at + 16 + incl:
            frame = frame[:offset - at - 16 + keep]
        out += struct.pack("<IIII", ts_sec, ts_usec, len(frame), orig) + frame
        at += 16 + incl
    return bytes(out)


def test_a_record_cut_by_the_snap_length_stops_that_side_only(capsys, tmp_path):
    name = "starttls_tls12_aes128gcm"
    [report] = session_reports(DATA / f"{name}.pcap", DATA / f"{name}.keys")
    port = int(report.label.rsplit(":", 1)[1])
    capture = (DATA / f"{name}.pcap").read_bytes()
    records = _tls_payload_offsets(capture, port, from_client=True)
    auth = next(offset for offset, length in records if length == 5 + 8 + len(f"AUTH PLAIN {PLAIN_B64}\r\n") + 16)
    cut = tmp_path / "snaplen.pcap"
    cut.write_bytes(_cut_packet(capture, auth, keep=20))
    code, out, err = trace(capsys, str(cut), "--keylog", str(DATA / f"{name}.keys"))
    assert code == 0 and "Traceback" not in err
    assert sum("bytes missing from the capture in the client's TLS stream" in line for line in out.splitlines()) == 1
    assert "C~ AUTH PLAIN" not in out and "tanstaaftanstaaf" not in out
    assert "S~ 235 2.7.0 Authentication successful" in out        # the server's side is still read


def test_keylog_with_a_text_transcript_says_it_does_not_apply(capsys):
    swaks = Path(__file__).parent / "data" / "trace" / "swaks_plain_lab.txt"
    code, out, err = trace(capsys, str(swaks), "--keylog", str(DATA / "implicit_tls12_chacha20.keys"))
    assert code == 0 and "PLAIN as 'demo': success" in out
    assert err == (f"smtp-tutor trace: {swaks}: --keylog decrypts pcap/pcapng captures; this is swaks text "
                   "(a tool's own output is already decrypted), read as it is\n")


# how each format shows the decrypted password "x ESC [31mred" of user "tim ESC [2J" (tutor.escapes, one function each)
SHOWN = {"text": r"password of 'tim\x1b[2J': x\x1b[31mred", "html": r"password of 'tim\x1b[2J': x\x1b[31mred",
         "md": r"password of 'tim\\x1b\[2J': x\\x1b\[31mred", "json": r"password of 'tim\u001b[2J': x\u001b[31mred"}


@pytest.mark.parametrize("fmt", sorted(SHOWN))
def test_escape_sequences_inside_tls_never_reach_the_output_raw(capsys, fmt):
    code, out, err = trace(capsys, "--reveal", "--format", fmt, str(DATA / f"{HOSTILE}.pcap"),
                           "--keylog", str(DATA / f"{HOSTILE}.keys"))
    assert code == 0 and err == ""
    assert "\x1b" not in out and "\x07" not in out
    assert "PWNED" in out and SHOWN[fmt] in out                 # decrypted, and shown escaped


@pytest.mark.parametrize("name", ["starttls_tls13_aes256gcm", "starttls_tls12_aes128gcm"])
def test_a_key_log_with_the_wrong_secret_says_the_records_did_not_decrypt(capsys, tmp_path, name):
    """The right client random with another secret (the last hex digit of every secret changed)."""
    wrong = tmp_path / "wrong.keys"
    lines = (DATA / f"{name}.keys").read_text().splitlines()
    wrong.write_text("\n".join(line[:-1] + ("0" if line[-1] != "0" else "1") if not line.startswith("#") else line
                               for line in lines) + "\n")
    code, out, err = trace(capsys, str(DATA / f"{name}.pcap"), "--keylog", str(wrong))
    assert code == 0 and err == "" and "C~" not in out and "PLAIN as 'tim'" not in out
    problems = [line for line in out.splitlines() if "did not decrypt" in line]
    assert len(problems) == 2 and "client" in problems[0] + problems[1] and "server" in problems[0] + problems[1]
    assert "0 records decrypted with the key log" in out


def test_a_damaged_finished_does_not_lose_the_rest_of_the_session(capsys, tmp_path):
    """TLS 1.3: the client's Finished (under the handshake key) damaged; the records after it are under the
    application key, which is tried when the handshake key fails (RFC 8446 §4.4.4)."""
    name = "implicit_tls13_aes256gcm"
    [report] = session_reports(DATA / f"{name}.pcap", DATA / f"{name}.keys")
    port = int(report.label.rsplit(":", 1)[1])
    capture = bytearray((DATA / f"{name}.pcap").read_bytes())
    at, finished = 24, None
    while at + 16 <= len(capture):                      # the client's segment that starts with ChangeCipherSpec
        incl = struct.unpack_from("<I", capture, at + 8)[0]
        ip = at + 16 + 14
        tcp = ip + (capture[ip] & 0x0F) * 4
        data = tcp + (capture[tcp + 12] >> 4) * 4
        to_port = struct.unpack_from(">H", capture, tcp + 2)[0]
        if to_port == port and capture[data:data + 6] == b"\x14\x03\x03\x00\x01\x01":
            finished = data + 6                          # then the Finished record: 17 03 03 len ...
        at += 16 + incl
    assert capture[finished] == 23
    length = int.from_bytes(capture[finished + 3:finished + 5], "big")
    capture[finished + 5 + length - 1] ^= 0x01           # its tag
    damaged = tmp_path / "finished.pcap"
    damaged.write_bytes(bytes(capture))
    code, out, _ = trace(capsys, str(damaged), "--keylog", str(DATA / f"{name}.keys"))
    assert code == 0 and sum("a client TLS record did not decrypt" in line for line in out.splitlines()) == 1
    assert "C~ ehlo fixture.test" in out and "PLAIN as 'tim': success" in out


EMBEDDED = DATA / "starttls_tls13_aes256gcm_embedded.pcapng"     # editcap --inject-secrets (README.md)


def test_keys_embedded_in_a_pcapng_are_used_without_keylog(capsys):
    code, out, err = trace(capsys, str(EMBEDDED))
    assert code == 0 and err == ""
    assert f"TLS 1.3, TLS_AES_256_GCM_SHA384: decrypted with the key log embedded in {EMBEDDED}." in out
    assert "C~ AUTH PLAIN ********" in out and "PLAIN as 'tim': success" in out


def test_embedded_keys_without_cryptography_are_one_line_and_the_rest_is_read(capsys, monkeypatch):
    monkeypatch.setattr(tls_keys, "has_cryptography", lambda: False)
    code, out, err = trace(capsys, "--summary", str(EMBEDDED))
    assert code == 0 and out.rstrip().endswith("no AUTH before STARTTLS; the rest is encrypted")
    assert err == (f"smtp-tutor trace: {EMBEDDED} embeds TLS keys (a pcapng Decryption Secrets Block); to decrypt "
                   "with them: pip install 'smtp-auth-tutor[tls]'\n")


def test_embedded_secrets_that_are_not_a_key_log_are_one_line(capsys, tmp_path):
    data = EMBEDDED.read_bytes()
    at = int.from_bytes(data[4:8], "little")                  # after the Section Header Block: editcap's DSB
    assert int.from_bytes(data[at:at + 4], "little") == 10    # Decryption Secrets Block; secrets type "TLSK"
    assert data[at + 8:at + 12] == (0x544C534B).to_bytes(4, "little")
    size = int.from_bytes(data[at + 12:at + 16], "little")
    hostile = bytearray(data)
    hostile[at + 16:at + 16 + size] = (b"\x00\x1b[2J" * size)[:size]
    path = tmp_path / "hostile.pcapng"
    path.write_bytes(bytes(hostile))
    code, out, err = trace(capsys, "--summary", str(path))
    assert code == 0 and "\x1b" not in err and err.count("\n") == 1
    assert "embeds TLS keys (a pcapng Decryption Secrets Block), not used:" in err and "binary data" in err
    assert out.rstrip().endswith("no AUTH before STARTTLS; the rest is encrypted")


def _tcp_payload_total(capture: bytes) -> int:
    """All TCP payload octets of a classic pcap (Ethernet, IPv4), counted here from the headers."""
    at, total = 24, 0
    while at + 16 <= len(capture):
        incl = struct.unpack_from("<I", capture, at + 8)[0]
        ip = at + 16 + 14
        tcp = ip + (capture[ip] & 0x0F) * 4
        total += int.from_bytes(capture[ip + 2:ip + 4], "big") - (tcp - ip) - (capture[tcp + 12] >> 4) * 4
        at += 16 + incl
    return total


def test_summary_says_no_key_with_the_octets(capsys):
    name, other = "implicit_tls12_chacha20", DATA / "starttls_tls12_aes128gcm.keys"
    octets = _tcp_payload_total((DATA / f"{name}.pcap").read_bytes())    # implicit TLS: every octet is TLS
    random = (DATA / f"{name}.keys").read_text().split("CLIENT_RANDOM ")[1][:16]
    code, out, _ = trace(capsys, "--summary", str(DATA / f"{name}.pcap"), "--keylog", str(other))
    assert code == 0
    assert out.rstrip().endswith(f"  encrypted, {octets} bytes; no key for this session in {other} (client random "
                                 f"{random}…)")
