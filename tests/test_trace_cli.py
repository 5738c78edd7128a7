"""`smtp-tutor trace`: formats, masking, --reveal, --password/--wordlist/--hashcat, stdin, bad input, exit codes."""

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest
import trace_pcapgen as gen

from tutor.cli import main
from tutor.transcript import Entry, Recorder, Transcript

DATA = Path(__file__).parent / "data" / "trace"
RFC2195 = ("S: 220 mx ESMTP\nC: EHLO x\nS: 250 AUTH CRAM-MD5\nC: AUTH CRAM-MD5\n"
           "S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\n"
           "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\nS: 235 2.7.0 ok\n")


def trace(capsys, *argv):
    code = main(["trace", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_listing_masks_passwords_everywhere(capsys):
    code, out, err = trace(capsys, str(DATA / "swaks_plain_lab.txt"))
    assert code == 0 and err == ""
    assert "AGRlbW8AZGVtbw==" not in out          # the base64 would give the password away too
    assert "password '********'" in out and "'demo': ********" in out
    assert "\x1b[" not in out                      # not a terminal: no colour


def test_reveal_shows_them(capsys):
    _, out, _ = trace(capsys, "--reveal", str(DATA / "swaks_plain_lab.txt"))
    assert "AUTH PLAIN AGRlbW8AZGVtbw==" in out and "password 'demo'" in out


def test_summary_one_line_per_session(capsys):
    code, out, _ = trace(capsys, "--summary", str(DATA / "lab_auth.pcap"))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 8
    assert lines[0].endswith("PLAIN demo success password in clear: ********")


def test_json_is_one_object_per_session(capsys):
    _, out, _ = trace(capsys, "--format", "json", str(DATA / "swaks_login_bad_lab.txt"))
    objs = [json.loads(line) for line in out.splitlines()]
    assert len(objs) == 1
    attempt = objs[0]["attempts"][0]
    assert (attempt["mechanism"], attempt["user"], attempt["result"], attempt["password"]) == \
        ("LOGIN", "tim", "failure", "********")
    assert "d3Jvbmc=" not in out and objs[0]["rows"]


def test_markdown_and_html(capsys):
    _, md, _ = trace(capsys, "--format", "md", str(DATA / "swaks_cram_lab.txt"))
    assert md.startswith("# smtp-tutor trace") and "### Findings" in md
    _, html, _ = trace(capsys, "--format", "html", str(DATA / "swaks_cram_lab.txt"))
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "&lt;" in html and "<pre" in html and ".trace" in html


def test_colour_on_request(capsys):
    _, out, _ = trace(capsys, "--color", "always", str(DATA / "swaks_cram_lab.txt"))
    assert "\x1b[" in out


def test_password_verifies_a_cram_exchange(capsys):
    _, out, _ = trace(capsys, "--password", "wonderland", str(DATA / "swaks_cram_lab.txt"))
    assert "password of 'alice' confirmed: ********" in out
    _, out, _ = trace(capsys, "--password", "nope", "--summary", str(DATA / "swaks_cram_lab.txt"))
    assert "open to an offline dictionary attack" in out


def test_wordlist_and_reveal(capsys, tmp_path):
    words = tmp_path / "w.txt"
    words.write_text("alice\nsecret\nwonderland\n")
    _, out, _ = trace(capsys, "--wordlist", str(words), "--reveal", "--summary", str(DATA / "smtplib_cram_lab.txt"))
    assert "CRAM-MD5 alice success CRAM-MD5 cracked: wonderland" in out


def test_hashcat_output(capsys, tmp_path):
    capture = tmp_path / "rfc.txt"
    capture.write_text(RFC2195)
    code, out, _ = trace(capsys, "--hashcat", str(capture))
    assert code == 0 and out == ("$cram_md5$PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
                                 "$dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\n")


def test_standard_input(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(RFC2195.encode())))
    code, out, _ = trace(capsys, "--summary", "-")
    assert code == 0 and "<stdin>" in out and "CRAM-MD5 tim success" in out


def test_log_line_from_the_issue_is_decoded(capsys, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text("Mar  3 10:00:01 mail postfix/submission/smtpd[4242]: warning: unknown[203.0.113.9]: "
                   "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n")
    code, out, _ = trace(capsys, str(log))
    assert code == 0
    assert "'Password:': a LOGIN prompt asking for the password" in out


def test_unknown_format_garbage_and_missing_file_exit_2(capsys, tmp_path):
    garbage = tmp_path / "junk.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    text = tmp_path / "prose.txt"
    text.write_text("Dear diary,\ntoday nothing happened.\n")
    code, out, err = trace(capsys, str(garbage), str(text), str(tmp_path / "missing"))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert "junk.bin: binary data that is neither pcap nor pcapng" in lines[0]
    assert "prose.txt: not a format the tracer reads" in lines[1]
    assert "missing: cannot read: No such file or directory" in lines[2]
    assert lines[-1].endswith("nothing could be read") and "Traceback" not in err


def test_a_bad_file_does_not_stop_the_good_one(capsys, tmp_path):
    bad = tmp_path / "cut.pcap"
    bad.write_bytes(gen.pcap(gen.wrap(gen.conversation([("S", b"220 x\r\n")]), 1))[:-5])
    code, out, err = trace(capsys, "--summary", str(bad), str(DATA / "swaks_plain_lab.txt"))
    assert code == 0 and "PLAIN demo success" in out
    assert "cut.pcap: truncated: the file ends inside packet record" in err


def test_truncated_pcap_alone_still_reports_what_it_read(capsys, tmp_path):
    packets = gen.wrap(gen.conversation([("S", b"220 x\r\n"), ("C", b"EHLO y\r\n"), ("S", b"250 AUTH PLAIN\r\n"),
                                         ("C", b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n")], close=False), 1)
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(gen.pcap(packets + packets[-1:])[:-3])
    code, out, err = trace(capsys, "--summary", str(cut))
    assert code == 0 and "PLAIN tim unanswered" in out and err.count("\n") == 1


def test_recorded_transcript_round_trip_is_0600_and_redacted(capsys, tmp_path):
    path = tmp_path / "session.jsonl"
    with Recorder(path) as rec:
        rec.session("sim:lab")
        for direction, data, secret in [("S", b"220 sim ESMTP", False), ("C", b"EHLO me", False),
                                        ("S", b"250 AUTH PLAIN", False),
                                        ("C", b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", True),
                                        ("S", b"235 2.7.0 ok", False)]:
            rec.add(Entry(direction, data, 1.0, False, secret))
        rec.add(Entry("note", t=1.0, key="sim.x", text="the server checked tim's password", source="server"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = path.read_text()
    assert "AHRpbQB0" not in saved and '"AUTH PLAIN *** (redacted)"' in saved
    code, out, _ = trace(capsys, str(path))
    assert code == 0 and "the credentials were redacted" in out and "the server checked" in out


def test_unredacted_transcript_gives_the_password(capsys, tmp_path):
    transcript = Transcript(target="sim:lab")
    for entry in [Entry("S", b"220 sim"), Entry("C", b"EHLO me"), Entry("S", b"250 AUTH LOGIN"),
                  Entry("C", b"AUTH LOGIN"), Entry("S", b"334 VXNlcm5hbWU6"), Entry("C", b"dGlt"),
                  Entry("S", b"334 UGFzc3dvcmQ6"), Entry("C", b"dGFuc3RhYWZ0YW5zdGFhZg==", secret=True),
                  Entry("S", b"235 ok")]:
        transcript.add(entry)
    path = transcript.save(tmp_path / "t.jsonl", redact=False)
    code, out, _ = trace(capsys, "--summary", "--reveal", str(path))
    assert "LOGIN tim success password in clear: tanstaaftanstaaf" in out


def test_bad_json_line_is_reported_and_skipped(capsys, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"type": "header", "version": 1, "target": "x"}\n{"type": "line", "dir": "S", "data": "220 x"}\n'
                    '{not json\n{"type": "line", "dir": "C", "data": "EHLO y"}\n')
    code, out, err = trace(capsys, str(path))
    assert code == 0 and "C: EHLO y" in out and "t.jsonl:3: not a transcript entry" in err


# ---- masking in every output format ---------------------------------------------------------------------------
SECRETS = ("tanstaaftanstaaf", "wonderland", "not-the-password", "dGFuc3RhYWZ0YW5zdGFhZg", "d29uZGVybGFuZA",
           "AGRlbW8AZGVtbw", "AGFsaWNlAHdvbmRlcmxhbmQ", "d3Jvbmc", "bm90LXRoZS1wYXNzd29yZA", "AHRpbQB0YW5zdGFhZnRh")
DOVECOT = ("Jun  3 10:00:00 mx dovecot: auth: Debug: client in: AUTH\t1\tPLAIN\tservice=smtp\t"
           "resp=AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n")
MASKED_INPUTS = ["swaks_plain_lab.txt", "swaks_login_bad_lab.txt", "swaks_starttls_lab.txt", "curl_login_lab.txt",
                 "smtplib_plain_bad_lab.txt", "openssl_starttls_lab.txt", "openssl_quiet_tls_lab.txt", "lab_auth.pcap",
                 "serve_any_ipv4_ipv6.pcap"]


@pytest.mark.parametrize("fmt", ["text", "md", "html", "json"])
@pytest.mark.parametrize("summary", [False, True], ids=["listing", "summary"])
def test_passwords_are_masked_in_every_output_format(capsys, tmp_path, fmt, summary):
    log = tmp_path / "debug.log"
    log.write_text(DOVECOT)
    files = [str(DATA / name) for name in MASKED_INPUTS] + [str(log)]
    options = ["--format", fmt, "--color", "always"] + (["--summary"] if summary else [])
    code, out, err = trace(capsys, *options, *files)
    assert code == 0 and err == ""
    assert not [s for s in SECRETS if s in out]
    assert "********" in out.replace("\\*", "*")          # Markdown prose escapes the mask's asterisks
    _, revealed, _ = trace(capsys, "--reveal", *options, *files)
    assert "tanstaaftanstaaf" in revealed and "not-the-password" in revealed


def test_summary_lines_end_without_trailing_space(capsys):
    _, out, _ = trace(capsys, "--summary", str(DATA / "postfix_lab.log"), str(DATA / "lab_auth.pcap"))
    assert out and all(line == line.rstrip() for line in out.splitlines())


def test_a_missing_word_list_is_a_usage_error_before_any_output(capsys):
    code, out, err = trace(capsys, "--wordlist", "/nonexistent/words.txt", str(DATA / "swaks_cram_lab.txt"))
    assert code == 2 and out == ""
    assert err == "smtp-tutor trace: /nonexistent/words.txt: cannot read the word list: No such file or directory\n"


def test_colours_come_from_the_repl_theme(capsys):
    from pygments.formatters import Terminal256Formatter
    from pygments.token import Text

    from tutor.display import style, trace_render
    assert trace_render.TutorStyle is style.TutorStyle
    assert all(style.TutorStyle.styles_token(token) for token in trace_render.TOKENS.values())
    _, out, _ = trace(capsys, "--color", "always", str(DATA / "swaks_plain_lab.txt"))
    for token, text in ((style.PREFIX.Client, "  C: "), (style.PREFIX.Server, "  S: "), (style.ERROR, "x")):
        fmt = Terminal256Formatter(style=style.TutorStyle)
        shown = io.StringIO()
        fmt.format([(token, text), (Text, "\n")], shown)
        assert shown.getvalue().split(text)[0] in out       # the same escape sequence the theme gives


def test_wordlist_finds_the_published_hashcat_and_john_examples(capsys, tmp_path):
    """PROTOCOL.md §2.5: hashcat -m 10200's example hashes (password `hashcat`) and John's (alice/wonderland)."""
    hashes = tmp_path / "hashes.txt"
    hashes.write_text("$cram_md5$MTI=$dXNlciBiOGYwNjk5MTE0YjA1Nzg4OTIyM2RmMDg0ZjgyMjQ2Zg==\n"
                      "$cram_md5$PG5vLXJlcGx5QGhhc2hjYXQubmV0Pg==$"
                      "dXNlciA0NGVhZmQyMmZlNzY2NzBmNmIyODc5MDgxYTdmNWY3MQ==\n"
                      "$cram_md5$PDE3ODkzLjEzMjA2NzkxMjNAdGVzc2VyYWN0LnN1c2FtLmluPg==$"
                      "YWxpY2UgNjRiMmE0M2MxZjZlZDY4MDZhOTgwOTE0ZTIzZTc1ZjA=\n")
    words = tmp_path / "words.txt"
    words.write_text("123456\npassword\nhashcat\nwonderland\n")
    code, out, _ = trace(capsys, "--wordlist", str(words), "--summary", "--reveal", str(hashes))
    assert code == 0
    assert [line.split("  ", 1)[1] for line in out.splitlines()] == [
        "CRAM-MD5 user unanswered CRAM-MD5 cracked: hashcat", "CRAM-MD5 user unanswered CRAM-MD5 cracked: hashcat",
        "CRAM-MD5 alice unanswered CRAM-MD5 cracked: wonderland"]
    _, out, _ = trace(capsys, "--hashcat", str(hashes))
    assert out == hashes.read_text()                       # read back in the exact form hashcat and john take
