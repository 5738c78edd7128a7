"""The hostile corpus of test_hostile_trace (escape sequences in every input-carried string) written in each
format this branch added: detected as that format, read without a traceback, and nothing raw on any output;
the password stays masked unless --reveal."""

import json
import re

import pytest
from test_hostile_trace import HOSTILE, OUTPUTS, PASSWORD, TITLE, USER, _raw_controls, b64, exchange

from tutor.cli import main


def _prefixed(client: bytes, server: bytes, head: bytes = b"") -> bytes:
    return head + b"".join((client if side == "C" else server) + data + b"\n" for side, data in exchange())


def _keyed(template: bytes, head: bytes = b"") -> bytes:
    return head + b"".join(template.replace(b"@D", b"C" if side == "C" else b"S") + data + b"\n"
                           for side, data in exchange())


def _neomutt() -> bytes:
    out = [b"[2026-12-06 08:00:25]<2> mutt_socket_open() Connected to mx" + TITLE + b":25 on fd=4"]
    for side, data in exchange():
        fn = b"mutt_socket_write_d() 4> " if side == "C" else b"mutt_socket_readln_d() 4< "
        out.append(b"[2026-12-06 08:00:25]<2> " + fn + data)
    return b"\n".join(out) + b"\n"


def _exchange() -> bytes:
    head = (b"#Software: Microsoft Exchange Server\n#Fields: date-time,connector-id,session-id,sequence-number,"
            b"local-endpoint,remote-endpoint,event,data,context\n")
    rows = [b"2026-12-06T08:24:00.000Z,EX01,S1,0,10.0.0.1:587,10.0.0.9" + TITLE + b":1,+,,"]
    for n, (side, data) in enumerate(exchange(), 1):
        field = b'"' + data.replace(b'"', b'""') + b'"'
        rows.append(b"2026-12-06T08:24:00.000Z,EX01,S1,%d,10.0.0.1:587,10.0.0.9:1,%s,%s," % (
            n, b"<" if side == "C" else b">", field))
    rows.append(b"2026-12-06T08:24:00.000Z,EX01,S1,99,10.0.0.1:587,10.0.0.9:1,*," + USER + b",authenticated")
    return head + b"\n".join(rows) + b"\n"


def _dovecot() -> bytes:
    """A raw NUL makes a log line binary (skipped by tutor.trace.source), so the clear-text fields go without it."""
    user, password = USER.replace(b"\0", b""), PASSWORD.replace(b"\0", b"")
    resp = b64(b"\0" + user + b"\0" + password)
    return (b"Dec 06 07:58:00 auth: Debug: client in: AUTH\t1\tPLAIN\tservice=smtp\trip=127.0.0.1\tresp=" + resp + b"\n"
            b"Dec 06 07:58:00 auth: Info: passwd-file(" + user + b",127.0.0.1): Password mismatch (given password: "
            + password + b")\n"
            b"Dec 06 07:58:00 auth: Debug: passwd-file(" + user + b",127.0.0.1): PLAIN(" + password + b") != '"
            + password + b"'\n"
            b"Dec 06 07:58:01 auth: Debug: client passdb out: FAIL\t1\tuser=" + user + b"\n")


def _server_logs() -> bytes:
    return (b"2026-12-06 08:20:05 login authenticator failed for (x" + TITLE + b") [192.0.2.11]:5: 535 Incorrect "
            b"authentication data (set_id=" + USER.replace(b")", b"") + b")\n"
            b"Dec  6 08:22:01 mail sm-mta[5101]: q: AUTH=server, relay=x [192.0.2.20], authid="
            + USER.replace(b",", b"")
            + b", mech=PLAIN, bits=0\n"
            b"Dec  6 08:23:01 mail saslauthd[2212]: do_auth         : auth failure: [user=" + USER.replace(b"]", b"")
            + b"] [service=smtp] [realm=] [mech=pam] [reason=PAM auth error]\n")


CORPUS = {
    "msmtp": lambda: _prefixed(b"--> ", b"<-- ", b"using account specified on command line\n"),
    "gsasl": lambda: _prefixed(b"", b"", "Trying ‘mx’...\n".encode()),
    "netsmtp": lambda: _prefixed(b"Net::SMTP=GLOB(0x55)>>> ", b"Net::SMTP=GLOB(0x55)<<< ",
                                 b"Net::SMTP>>> Net::SMTP(3.14)\n"),
    "phpmailer": lambda: _prefixed(b"2026-12-06 07:58:49\tCLIENT -> SERVER: ",
                                   b"2026-12-06 07:58:49\tSERVER -> CLIENT: "),
    "nodemailer": lambda: _keyed(b"[2026-12-06 07:59:02] DEBUG [Ab1] @D: "),
    "thunderbird": lambda: _prefixed(b"2026-12-06 08:15:00.1 UTC - [Parent 1: Main Thread]: I/SMTP SMTP Send: ",
                                     b"2026-12-06 08:15:00.1 UTC - [Parent 1: Main Thread]: I/SMTP SMTP Response: "),
    "neomutt": _neomutt,
    "thunderbird-js": lambda: _prefixed(b"mailnews.smtp: C: ", b"mailnews.smtp: S: ",
                                        b"mailnews.smtp: Connecting to smtp://mx:25\n"),
    "mutt": lambda: _prefixed(b"[2026-12-06 08:13:25] 4> ", b"[2026-12-06 08:13:25] 4< ",
                              b"[2026-12-06 08:13:25] Connected to mx:25 on fd=4\n"),
    "jakarta": lambda: _prefixed(b"", b"", b'DEBUG SMTP: trying to connect to host "mx", port 25, isSSL false\n'
                                 b"DEBUG SMTP: protocolConnect login, host=mx, user=" + USER
                                 + b", password=<non-null>\n"),
    "exim-debug": lambda: _prefixed(b" 4711 SMTP<< ", b" 4711 SMTP>> "),
    "exchange": _exchange,
    "log": lambda: _dovecot() + _server_logs(),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-importers")
    files = {}
    for fmt, make in CORPUS.items():
        path = folder / f"{fmt}\x1b]0;x\x07.txt"
        path.write_bytes(make())
        files[fmt] = path
    return files


def test_each_hostile_file_is_detected_as_its_format(corpus, capsys):
    for fmt, path in corpus.items():
        main(["trace", "--format", "json", str(path)])
        out, err = capsys.readouterr()
        assert {json.loads(line)["source"] for line in out.splitlines()} == {fmt.removesuffix("-js")}, (fmt, err)


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: "-".join(a.strip("-") for a in o))
@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "revealed"])
def test_no_raw_control_byte_and_masked_password(corpus, capsys, output, reveal):
    colour = "always" in output
    for fmt, path in corpus.items():
        code = main(["trace", *output, *(["--reveal"] if reveal else []), str(path)])
        out, err = capsys.readouterr()
        assert code in (0, 2) and "Traceback" not in err, (fmt, err)
        assert _raw_controls(out, colour) == [] and _raw_controls(err, False) == [], (fmt, output)
        if not reveal:
            assert not re.search(r"p(\\+x1b|\\+u001b)\]0;PWNED", out), (fmt, output)
        if "html" in output:
            assert "<script>" not in out


def test_hostile_dovecot_password_is_found_and_masked(corpus, capsys):
    main(["trace", "--color", "never", str(corpus["log"])])
    masked, _ = capsys.readouterr()
    main(["trace", "--color", "never", "--reveal", str(corpus["log"])])
    revealed, _ = capsys.readouterr()
    assert "given password: p\\x1b]0;PWNED" in revealed and "(given password: ********" in masked
    assert not re.search(r"given password: p", masked) and "PLAIN(********" in masked
    assert HOSTILE not in revealed.encode()
