"""The one-shot helper commands through the real entry point (`python -m tutor`), RFC vectors from PROTOCOL.md."""

import json
import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}


def tutor(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, input=stdin,
                          env=ENV, timeout=30)


RFC2195_CHALLENGE = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
ARTICLE_CHALLENGE = "PDIzODkxLjEwMTU5ODM0OTNAcGlvbmVlci5ob3N0LXNlcnZlLm5ldApaAj4="


@pytest.mark.parametrize("args, expected", [
    # RFC 2195 §2 example
    (["cram", "tim", "tanstaaftanstaaf", RFC2195_CHALLENGE], "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"),
    (["cram", "tim", "tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>"],
     "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"),
    # draft-ietf-sasl-crammd5-09 vector
    (["cram", "joe", "tanstaaftanstaaf", "<1896.697170952@postoffice.example.net>"],
     "am9lIDNkYmM4OGYwNjI0Nzc2YTczN2IzOTA5M2Y2ZWI2NDI3"),
    # RFC 4616 §4 inputs
    (["plain", "tim", "tanstaaftanstaaf"], "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
    (["plain", "Kurt", "xipj3plmq", "--authzid", "Ursel"], "VXJzZWwAS3VydAB4aXBqM3BsbXE="),
    # RFC 4954 §4 example
    (["plain", "test", "1234", "--authzid", "test"], "dGVzdAB0ZXN0ADEyMzQ="),
    # LOGIN draft §2.3 example: user tim -> dGlt, password -> dGFuc3RhYWZ0YW5zdGFhZg==
    (["login", "tim", "tanstaaftanstaaf"], "dGlt\ndGFuc3RhYWZ0YW5zdGFhZg=="),
    (["b64", "encode", r"\0tim\0tanstaaftanstaaf"], "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
    (["b64", "decode", "VXNlcm5hbWU6"], "Username:"),
    (["b64", "decode", "VXNlciBOYW1lAA=="], r"User Name\0"),
])
def test_quiet_results_match_rfc_vectors(args, expected):
    done = tutor(*args, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_cram_shows_steps_then_result():
    done = tutor("cram", "tim", "tanstaaftanstaaf", RFC2195_CHALLENGE)
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert "<1896.697170952@postoffice.reston.mci.net>" in done.stdout
    assert "b913a602c7eda7a495b4e6e7334d3890" in done.stdout
    assert lines[-1] == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"


def test_article_challenge_is_flagged_but_hmac_uses_exact_bytes():
    done = tutor("cram", "tim", "tanstaaftanstaaf", ARTICLE_CHALLENGE, "--json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert data["challenge"] == r"<23891.1015983493@pioneer.host-serve.net\nZ\x02>"
    assert any("control characters" in w and "RFC 2195" in w for w in data["warnings"])
    import hashlib
    import hmac  # independent oracle: the HMAC over the exact decoded bytes
    raw = b"<23891.1015983493@pioneer.host-serve.net\nZ\x02>"
    assert data["digest"] == hmac.new(b"tanstaaftanstaaf", raw, hashlib.md5).hexdigest()


def test_b64_decode_shows_escapes_and_hex_dump():
    done = tutor("b64", "decode", ARTICLE_CHALLENGE)
    assert r"pioneer.host-serve.net\nZ\x02>" in done.stdout
    assert "0a 5a 02 3e" in done.stdout          # hex dump of the stray bytes
    assert "warning:" in done.stdout and "RFC 2195" in done.stdout   # it breaks RFC 2195's challenge grammar


@pytest.mark.parametrize("text, kind, field", [
    ("334 VXNlcm5hbWU6", "login-prompt-username", None),
    ("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=", "plain-message", ("authcid", "test")),
    ("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", "cram-response",
     ("digest", "b913a602c7eda7a495b4e6e7334d3890")),
    ("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "plain-message", ("password", "tanstaaftanstaaf")),
    ("warning: SASL LOGIN authentication failed: UGFzc3dvcmQ6", "login-prompt-password", None),
    ("334 " + RFC2195_CHALLENGE, "cram-challenge", None),
    # RFC 5802 §5 in SMTP framing (PROTOCOL.md §2.7)
    ("AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM", "scram-client-first", ("user", "user")),
    ("334 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9", "scram-server-final",
     ("server-signature", "rmF9pqV8S7suAoZWja4dJRkFsKQ=")),
    # Google's XOAUTH2 example and RFC 7628 §4.1
    ("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
     "xoauth2", ("user", "someuser@example.com")),
    ("bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNS"
     "bGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB", "oauthbearer", ("host", "server.example.com")),
])
def test_decode_recognises(text, kind, field):
    done = tutor("decode", text, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kind"] == kind
    if field:
        assert data["fields"][field[0]] == field[1]


@pytest.mark.parametrize("user, password, challenge, digest", [
    # draft-ietf-sasl-crammd5-09 vectors (PROTOCOL.md §2.5)
    ("Ali Baba", "Open, Sesame", "<68451038525716401353.0@localhost>", "6fa32b6e768f073132588e3418e00f71"),
    ("joe", "tanstaaftanstaaf", "<2262304172.6455022@gw2.gestalt.entity.net>", "2aa383bf320a941d8209a7001ef6aeb6"),
])
def test_cram_draft_vectors(user, password, challenge, digest):
    done = tutor("cram", user, password, challenge, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["digest"] == digest


def test_explain_code():
    done = tutor("explain", "535", "5.7.8")
    assert done.returncode == 0
    assert "credentials invalid" in done.stdout.lower() and "RFC 4954" in done.stdout


@pytest.mark.parametrize("args, fragment", [
    (["b64", "decode", "=AAA"], "'=' padding"),
    (["b64", "decode", "AB!D"], "alphabet"),
    (["b64", "encode", "bad\\q"], "unknown escape"),
    (["decode", ""], "nothing to decode"),
    (["cram", "tim", "pw", "bm90IGEgY2hhbGxlbmdl"], "not a CRAM-MD5 challenge"),
    (["explain", "999"], "200-599"),
    (["b64", "decode", "AAA=BBB"], "'=' padding may only appear at the end"),   # RFC 4954 §4: '=' in the middle
    (["b64", "decode", ""], "empty base64"),
    (["b64", "decode", "QUJ"], "not a multiple of 4"),
    (["cram", "tim", "pw", ""], "empty base64"),
    (["cram", "tim", "pw", "AB$C"], "alphabet"),
    (["decode", "hello world"], "not recognised"),
    (["decode", "334 !!!!"], "alphabet"),
    (["explain", "535", "9.9.9"], "RFC 3463"),
    # usage errors are one line too, with a pointer to --help instead of the whole usage block
    (["cram"], "the following arguments are required"),
    (["plain"], "see smtp-tutor plain --help"),
    (["b64", "rot13", "x"], "invalid choice"),
    (["plain", "a\\0", "x"], None),
])
def test_bad_input_is_one_line_exit_2(args, fragment):
    done = tutor(*args)
    if fragment is None:
        assert "Traceback" not in done.stderr
        return
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and fragment in done.stderr


def tutor_bytes(*args: bytes, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """The real entry point with raw argv bytes, as a shell passes $'\\xff'."""
    return subprocess.run([sys.executable.encode(), b"-m", b"tutor", *args], capture_output=True, input=stdin,
                          env=ENV, timeout=30)


@pytest.mark.parametrize("args, fragment", [
    ([b"b64", b"encode", b"\xff\xfe"], b"not valid UTF-8 (0xff 0xfe): write such bytes as escapes, e.g. \\xff"),
    ([b"b64", b"decode", b"\xff"], b"not valid UTF-8 (0xff)"),
    ([b"plain", b"\xff", b"pw"], b"the user argument is not valid UTF-8"),
    ([b"plain", b"tim", b"caf\xe9"], b"the password argument is not valid UTF-8 (0xe9)"),
    ([b"login", b"tim", b"\xe9"], b"not valid UTF-8"),
    ([b"cram", b"tim", b"pw", b"<1.2@h\xff>"], b"not valid UTF-8"),
    ([b"decode", b"\xff"], b"not valid UTF-8"),
    ([b"explain", b"535", b"\xff"], b"not valid UTF-8"),
    ([b"xoauth2", b"\xff", b"token"], b"not valid UTF-8"),
    ([b"token", b"\xff"], b"not valid UTF-8"),
])
def test_non_utf8_arguments_are_one_line_exit_2(args, fragment):
    done = tutor_bytes(*args)
    assert done.returncode == 2, done.stderr
    assert b"Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert fragment in done.stderr
    assert b"caf" not in done.stderr   # a password is named, never shown


def test_non_utf8_password_on_stdin_is_one_line_exit_2():
    done = tutor_bytes(b"plain", b"tim", stdin=b"\xff\n")
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert done.stderr.strip() == b"smtp-tutor: the password given is not valid UTF-8 (0xff): use UTF-8 text"


def test_utf8_arguments_still_work():
    done = tutor_bytes(b"plain", b"tim", "café".encode(), b"--quiet")
    assert done.returncode == 0 and done.stdout.strip() == b"AHRpbQBjYWbDqQ=="   # base64 of \0tim\0caf\xc3\xa9


def test_password_prompt_on_a_terminal_does_not_echo():
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "tutor", "plain", "tim", "--quiet"], env=ENV, encoding="utf-8",
                          timeout=20)
    try:
        child.expect("Password for tim")
        child.sendline("tanstaaftanstaaf")
        child.expect(pexpect.EOF)
        assert "tanstaaftanstaaf" not in child.before            # the terminal did not echo it
        assert "AHRpbQB0YW5zdGFhZnRhbnN0YWFm" in child.before    # RFC 4616 inputs, PROTOCOL.md §2.3
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_password_is_asked_when_omitted_and_not_echoed_from_stdin():
    done = tutor("plain", "tim", "--quiet", stdin="tanstaaftanstaaf\n")
    assert done.returncode == 0
    assert done.stdout.strip() == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"


def test_missing_password_without_input_is_clean_error():
    done = tutor("login", "tim", stdin="")
    assert done.returncode == 2 and "password" in done.stderr and "Traceback" not in done.stderr


def test_cli_knows_every_helper_without_importing_the_registry():
    from tutor.cli import HELPER_NAMES
    from tutor.helpers.registry import HELPERS
    assert tuple(HELPERS) == HELPER_NAMES


def test_top_level_help_lists_every_command():
    done = tutor("--help")
    assert done.returncode == 0
    for name in ("b64", "plain", "login", "cram", "decode", "explain", "serve", "trace", "lesson"):
        assert f"\n    {name} " in done.stdout


@pytest.mark.parametrize("argv, message", [
    (["login", "", ""], "smtp-tutor: LOGIN user name must not be empty"),
    (["login", "", "x"], "smtp-tutor: LOGIN user name must not be empty"),
    (["login", "tim", ""], "smtp-tutor: LOGIN password must not be empty"),
    (["plain", "", "x"], "smtp-tutor: PLAIN authcid must not be empty (RFC 4616 §2)"),
])
def test_empty_credentials_are_refused_alike(argv, message, capsys):
    from tutor import cli
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith(message) and err.count("\n") == 1 and out == ""
