"""The simulator's limits: over-long lines (RFC 5321 §4.5.3.1.4/§4.5.3.1.9 vs RFC 4954 §4), failed logins (RFC 4954 §9).

Expected replies are written out byte for byte from the reply table's wording and the RFC codes.
"""

import pytest
from peers import Talk

from tutor.protocol.framing import LineReader, LineTooLong
from tutor.sim import SimServer

LONG_LINE = "500 5.5.2 Line too long (limit 512 octets)"                       # RFC 5321 §4.5.3.1.9: 500
AUTH_TOO_LONG = "500 5.5.6 Authentication Exchange line is too long"         # RFC 4954 §6: 500 5.5.6


def ready(profile="lab", **options) -> Talk:
    talk = Talk(profile, **options)
    talk("EHLO client.example")
    return talk


def in_chunks(talk: Talk, line: bytes, size: int = 4096) -> str:
    """Send `line` + CRLF in pieces, as a socket delivers it; the reply text."""
    data, out = line + b"\r\n", b""
    for start in range(0, len(data), size):
        out += talk.raw(data[start:start + size]).data
    return out.decode()


# ---- issue 16: a junk line over the 12 KB framing limit, outside AUTH ---------------------------------------

@pytest.mark.parametrize("line", [b"x" * 20000, b"NOOP " + b"y" * 13000, b"MAIL FROM:<" + b"a" * 13000 + b">"],
                         ids=["junk", "noop", "mail"])
def test_a_line_over_12k_outside_auth_gets_500_line_too_long(line):
    talk = ready()
    assert in_chunks(talk, line) == LONG_LINE + "\r\n"
    assert "sim.command.too-long" in talk.notes()
    assert not [key for key in talk.notes() if key.startswith("sim.auth.")]


def test_a_line_over_12k_before_ehlo_is_line_too_long_too():
    talk = Talk()
    assert in_chunks(talk, b"z" * 30000) == LONG_LINE + "\r\n"


def test_an_auth_command_over_12k_keeps_the_rfc4954_reply():
    talk = ready()
    assert in_chunks(talk, b"AUTH PLAIN " + b"A" * 13000) == AUTH_TOO_LONG + "\r\n"
    assert "sim.auth.command-too-long" in talk.notes()
    assert talk("NOOP") == "250 2.0.0 Ok"   # the session goes on


def test_an_auth_line_over_12k_inside_the_exchange_keeps_the_rfc4954_reply():
    talk = ready()
    assert talk("AUTH LOGIN") == "334 VXNlcm5hbWU6"
    assert in_chunks(talk, b"B" * 13000) == AUTH_TOO_LONG + "\r\n"
    assert "sim.auth.line-too-long" in talk.notes()
    assert talk("NOOP") == "250 2.0.0 Ok"


def test_lowercase_auth_verb_is_still_an_auth_command():
    assert in_chunks(ready(), b"auth plain " + b"A" * 13000) == AUTH_TOO_LONG + "\r\n"


def test_framing_keeps_the_head_of_a_discarded_line():
    reader = LineReader(100)
    reader.receive_data(b"AUTH PLAIN " + b"A" * 200)
    assert reader.next_line() is None
    reader.receive_data(b"A" * 50 + b"\r\nNOOP\r\n")
    item = reader.next_line()
    assert item == LineTooLong(100, 11 + 200 + 50 + 2, b"AUTH PLAIN AAAAA")
    assert reader.next_line().data == b"NOOP"


# ---- issue 11 §3 / issue 13: --max-auth-failures N (default 3, 0 = never) ----------------------------------

WRONG = "AUTH PLAIN AHRpbQB3cm9uZw=="            # \0tim\0wrong
FAILED = "535 5.7.8 Authentication credentials invalid"


def closing(limit: int) -> str:
    return (f"421 4.7.0 sim.smtp-tutor.test Too many failed authentication attempts ({limit}), closing connection;"
            " reconnect to try again")


def test_a_higher_limit_allows_more_failures_then_closes_with_the_limit_in_the_reply():
    talk = ready(max_auth_failures=5)
    for _ in range(4):
        assert talk(WRONG) == FAILED
    assert talk.send(WRONG) == [FAILED, closing(5)]
    assert talk.last.close and talk.server.closed


def test_zero_means_never_close():
    talk = ready(max_auth_failures=0)
    for _ in range(12):
        assert talk(WRONG) == FAILED
    assert not talk.server.closed
    assert talk("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm") == "235 2.7.0 Authentication successful"


def test_the_421_note_says_the_limit_the_flag_and_the_way_on():
    talk = ready(max_auth_failures=1)
    talk(WRONG)
    words = next(n for n in talk.last.notes if n.key == "sim.auth.too-many").text()
    assert "limit is 1" in words and "--max-auth-failures N" in words and ":connect sim" in words
    assert "RFC 4954 §9" in words


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_a_bad_limit_is_an_input_error(bad):
    from tutor.errors import InputError

    with pytest.raises(InputError, match="0 or more"):
        SimServer("lab", max_auth_failures=bad)


def test_lessons_get_a_higher_limit_than_the_default():
    from tutor.sim import DEFAULT_MAX_AUTH_FAILURES, LESSON_MAX_AUTH_FAILURES

    assert DEFAULT_MAX_AUTH_FAILURES == 3 and LESSON_MAX_AUTH_FAILURES > DEFAULT_MAX_AUTH_FAILURES
    talk = ready(max_auth_failures=LESSON_MAX_AUTH_FAILURES)
    for _ in range(LESSON_MAX_AUTH_FAILURES - 1):
        assert talk(WRONG) == FAILED
    assert not talk.server.closed


def _run(args: list[str], **kwargs):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen([sys.executable, "-m", "tutor", *args], cwd=root,
                            env=dict(os.environ, PYTHONPATH=str(root)),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_serve_takes_max_auth_failures_and_smtplib_meets_the_421():
    import re
    import smtplib

    process = _run(["serve", "--port", "0", "--quiet", "--max-auth-failures", "2"])
    try:
        line = process.stdout.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo("student.example")
            assert client.docmd("AUTH", "PLAIN AHRpbQB3cm9uZw==") == (535, b"5.7.8 Authentication credentials invalid")
            code, text = client.docmd("AUTH", "PLAIN AHRpbQB3cm9uZw==")
            assert code == 535
            code, text = client.getreply()
            assert (code, text) == (421, b"4.7.0 sim.smtp-tutor.test Too many failed authentication attempts (2), "
                                         b"closing connection; reconnect to try again")
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.mark.parametrize("args", [["serve", "--max-auth-failures", "-1"], ["--max-auth-failures", "x", "--batch"]])
def test_a_bad_max_auth_failures_is_refused_with_exit_2(args):
    process = _run(args)
    out, err = process.communicate("", timeout=30)
    assert process.returncode == 2
    assert "is not a count: use 0 or more (0 = never close)" in err


def test_the_shell_takes_max_auth_failures():
    process = _run(["--batch", "--max-auth-failures", "4"])
    out, err = process.communicate("EHLO x\n" + "AUTH PLAIN AHRpbQB3cm9uZw==\n" * 4, timeout=30)
    assert out.count("S: 535 5.7.8 Authentication credentials invalid") == 4
    assert ("S: 421 4.7.0 sim.smtp-tutor.test Too many failed authentication attempts (4), closing connection; "
            "reconnect to try again") in out
