"""The pieces of `trace --keylog`: the TLS 1.3 key schedule against RFC 8448's example handshake, the nonce
of RFC 8446 §5.3, NSS key log parsing, and TLS record / hello framing (bounded, one error per problem)."""

import os

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

from tutor.errors import InputError  # noqa: E402
from tutor.trace import tls_decrypt as td  # noqa: E402
from tutor.trace import tls_keys  # noqa: E402
from tutor.trace import tls_records as tr  # noqa: E402

AES128 = td.TLS13_SUITES[0x1301]


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# RFC 8448 §3 (Simple 1-RTT Handshake), TLS_AES_128_GCM_SHA256: traffic secret -> write key and IV
RFC8448 = [
    ("server handshake",
     "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
     "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc", "5d 31 3e b2 67 12 76 ee 13 00 0b 30"),
    ("client handshake",
     "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21",
     "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01", "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"),
    ("server application",
     "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43",
     "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56", "cf 78 2b 88 dd 83 54 9a ad f1 e9 84"),
]


@pytest.mark.parametrize("which, secret, key, iv", RFC8448, ids=[row[0] for row in RFC8448])
def test_traffic_keys_match_rfc8448(which, secret, key, iv):
    assert td.traffic_keys(h(secret), AES128) == (h(key), h(iv))


def test_nonce_is_the_iv_xored_with_the_padded_sequence_number():
    iv = h("5d 31 3e b2 67 12 76 ee 13 00 0b 30")
    assert td._xor_nonce(iv, 0) == iv
    assert td._xor_nonce(iv, 1) == h("5d 31 3e b2 67 12 76 ee 13 00 0b 31")
    assert td._xor_nonce(iv, 0x0102) == h("5d 31 3e b2 67 12 76 ee 13 00 0a 32")


def test_a_record_under_another_key_is_a_decrypt_error():
    reader = td.Tls13Reader(AES128, bytes(32))
    with pytest.raises(td.DecryptError):
        reader.decrypt(b"\x17\x03\x03\x00\x20", bytes(32))


# ---- key logs ----------------------------------------------------------------------------------------------
RANDOM = "ab" * 32


def test_key_log_lines_are_read_by_client_random():
    log = tls_keys.parse(f"# comment\n\nCLIENT_RANDOM {RANDOM} {'11' * 48}\r\n"
                         f"CLIENT_TRAFFIC_SECRET_0 {RANDOM} {'22' * 32}\n".encode(), "k")
    assert log.secrets(h(RANDOM)) == {"CLIENT_RANDOM": h("11" * 48), "CLIENT_TRAFFIC_SECRET_0": h("22" * 32)}
    assert log.secrets(h("cd" * 32)) == {} and log.skipped == 0


def test_bad_lines_are_counted_and_labels_not_needed_are_passed_over():
    log = tls_keys.parse(f"RSA {'00' * 8} {'11' * 48}\nCLIENT_RANDOM {RANDOM[:-2]} 11\n"
                         f"CLIENT_RANDOM {RANDOM} {'11' * 48}\n"
                         f"CLIENT_TRAFFIC_SECRET_N {'cd' * 32} {'22' * 32}\n".encode() + b"x" * 5000 + b"\n", "k")
    assert len(log) == 1 and log.skipped == 3           # RSA (an 8-octet field), a short random, the long junk
    assert log.secrets(h("cd" * 32)) == {}


@pytest.mark.parametrize("data, words", [
    (b"", "no key lines"),
    (b"hello\nworld\n", "no key lines"),
    (b"\x00\x01\x02" * 100, "binary data"),
])
def test_what_is_not_a_key_log_is_one_input_error(data, words):
    with pytest.raises(InputError, match=words):
        tls_keys.parse(data, "k")


# ---- framing -----------------------------------------------------------------------------------------------
def test_records_split_across_chunks_come_out_whole():
    reader = tr.RecordReader()
    record = b"\x17\x03\x03\x00\x03abc"
    assert reader.feed(record[:4]) == []
    assert reader.feed(record[4:] + record[:2]) == [(record[:5], b"abc")]
    assert reader.pending == 2


@pytest.mark.parametrize("data, words", [
    (b"GET / HTTP/1.1\r\n", "not a TLS record header"),
    (b"\x17\x03\x03\xff\xff", "longer than TLS allows"),
])
def test_what_is_not_a_record_stream_is_a_framing_error(data, words):
    with pytest.raises(tr.FramingError, match=words):
        tr.RecordReader().feed(data)


def test_a_huge_hello_is_refused_not_buffered():
    with pytest.raises(tr.FramingError, match="handshake message"):
        tr.HandshakeReader().feed(b"\x01\xff\xff\xff")


def test_bodies_not_needed_are_passed_over_without_being_kept():
    reader = tr.HandshakeReader()
    certificate = b"\x0b\x01\x00\x00" + b"c" * 0x10000           # 64 KiB certificate message, in pieces
    finished = b"\x14\x00\x00\x02ok"
    assert reader.feed(certificate[:1000]) == []
    assert len(reader._buffer) == 0
    assert reader.feed(certificate[1000:] + finished[:3]) == []
    assert reader.feed(finished[3:]) == [(tr.FINISHED, b"ok")]


def _server_hello(suite: int, extensions: bytes) -> bytes:
    """RFC 8446 §4.1.3: legacy_version, random, legacy_session_id_echo<0..32>, cipher_suite,
    legacy_compression_method, extensions<6..2^16-1>."""
    return (b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(32) + suite.to_bytes(2, "big") + b"\x00"
            + len(extensions).to_bytes(2, "big") + extensions)


def test_server_hello_version_comes_from_supported_versions():
    hello = tr.server_hello(_server_hello(0x1302, b"\x00\x2b\x00\x02\x03\x04"))
    assert (hello.version, hello.suite, hello.random, hello.etm) == (0x0304, 0x1302, bytes(range(32)), False)


def test_server_hello_encrypt_then_mac_is_seen():
    hello = tr.server_hello(_server_hello(0xC023, b"\x00\x16\x00\x00"))
    assert (hello.version, hello.etm) == (0x0303, True)


def test_a_cut_server_hello_is_a_framing_error():
    with pytest.raises(tr.FramingError):
        tr.server_hello(_server_hello(0x1301, b"\x00\x2b\x00\x09\x03")[:-1] + b"")


# ---- what is inside ----------------------------------------------------------------------------------------
def _flow(smtp_known: bool):
    from tutor.trace.tls_flow import TlsFlow
    return TlsFlow(tls_keys.KeyLog("k.keys"), "s1", smtp_known=smtp_known)


def test_implicit_tls_that_carries_http_is_not_shown_as_smtp():
    flow = _flow(smtp_known=False)
    flow._plaintext("C", b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")
    assert [(type(r).__name__, getattr(r, "key", "")) for r in flow.out] == [("Mark", "trace_tls.mark.not-smtp")]
    flow.out = []
    flow._plaintext("S", b"220 looks like smtp but the flow was judged\r\n")
    assert flow.out == []


def test_implicit_tls_that_carries_smtp_is_read_line_by_line():
    flow = _flow(smtp_known=False)
    flow._plaintext("S", b"220 mx.example ESMTP\r\n250")
    flow._plaintext("S", b" ok\r\n")
    assert [(r.direction, r.data, r.tls) for r in flow.out] == [("S", b"220 mx.example ESMTP", True),
                                                                 ("S", b"250 ok", True)]


def test_a_handshake_that_fails_says_so_instead_of_no_key():
    flow = _flow(smtp_known=True)
    hello = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01\x01\x00\x00\x00"
    client_hello = b"\x01" + len(hello).to_bytes(3, "big") + hello
    flow.feed("C", b"\x16\x03\x01" + len(client_hello).to_bytes(2, "big") + client_hello, "x#1", 0.0)
    out = flow.feed("S", b"\x15\x03\x03\x00\x02\x02\x28", "x#2", 0.0)       # fatal handshake_failure (40)
    assert [(r.key, r.params) for r in out] == [("trace_tls.mark.handshake-failed", {"side": "server", "alert": 40})]
    assert flow.finish("x#3", 60) == []


def test_records_without_a_client_hello_say_why_no_key_is_found():
    flow = _flow(smtp_known=False)
    assert flow.feed("S", b"\x17\x03\x03\x00\x03abc", "x#1", 0.0) == []      # a capture started mid-connection
    [mark] = flow.finish("x#2", 8)
    assert (mark.key, mark.params["octets"], mark.params["file"]) == ("trace_tls.mark.no-client-hello", 8, "k.keys")


def test_client_records_in_a_capture_started_mid_connection_are_not_called_early_data():
    flow = _flow(smtp_known=False)
    assert flow.feed("C", b"\x17\x03\x03\x00\x03abc", "x#1", 0.0) == []
    assert [m.key for m in flow.finish("x#2", 8)] == ["trace_tls.mark.no-client-hello"]


def _client_hello(extensions: bytes) -> bytes:
    """RFC 8446 §4.1.2: legacy_version, random, legacy_session_id, cipher_suites, compression, extensions."""
    return (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
            + len(extensions).to_bytes(2, "big") + extensions)


def test_client_hello_gives_the_random_and_whether_early_data_is_offered():
    plain = tr.client_hello(_client_hello(b"\x00\x2b\x00\x03\x02\x03\x04"))
    early = tr.client_hello(_client_hello(b"\x00\x2b\x00\x03\x02\x03\x04\x00\x2a\x00\x00"))
    assert (plain.random, plain.early, early.early) == (bytes(range(32)), False, True)


def test_early_data_is_said_only_when_the_client_hello_offered_it():
    for extensions, expected in ((b"", []), (b"\x00\x2a\x00\x00", ["trace_tls.mark.early-data"])):
        flow = _flow(smtp_known=True)
        body = _client_hello(extensions)
        message = b"\x01" + len(body).to_bytes(3, "big") + body
        flow.feed("C", b"\x16\x03\x01" + len(message).to_bytes(2, "big") + message, "x#1", 0.0)
        out = flow.feed("C", b"\x17\x03\x03\x00\x03abc" * 2, "x#2", 0.0)
        assert [m.key for m in out] == expected


def test_an_encrypted_alert_before_the_hello_is_not_a_failed_handshake():
    flow = _flow(smtp_known=True)
    flow.client_random = bytes(32)
    assert flow.feed("S", b"\x15\x03\x03\x00\x1a" + bytes(26), "x#1", 0.0) == []   # TLS 1.2 close_notify, GCM
