"""A hostile corpus through every tracer importer and every output format: no traceback, and no raw control
byte on standard output or standard error (issue 12 §2), except the colour SGR the renderer itself writes.

Each input hides escape sequences where a capture can carry them: the EHLO name, a PLAIN authcid and password,
LOGIN answers, a 334 challenge, reply texts, log lines, a recorded note, a CRAM-MD5 user, the file name.
"""

import base64
import json
import re

import pytest
import trace_pcapgen as gen

from tutor.cli import main
from tutor.trace.importers.detect import FORMATS

TITLE = b"\x1b]0;PWNED\x07"            # OSC: retitles the terminal window
CLEAR = b"\x1b[2J"                      # CSI: clears the screen
C1 = "\u009b31m".encode()               # 8-bit CSI
BIDI = "\u202etxt.exe".encode()         # right-to-left override
HOSTILE = TITLE + CLEAR + C1 + BIDI + b"<script>alert(1)</script>[x](http://evil)\r\x1b[1A\x07\x00\x7f"
USER = b"u" + HOSTILE
PASSWORD = b"p" + HOSTILE


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def exchange() -> list[tuple[str, bytes]]:
    """A session whose every input-carried string is hostile."""
    return [("S", b"220 mx" + CLEAR + b" ESMTP"), ("C", b"EHLO x" + TITLE),
            ("S", b"250-mx" + C1), ("S", b"250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2"),
            ("C", b"AUTH PLAIN " + b64(b"\0" + USER + b"\0" + PASSWORD)), ("S", b"535 5.7.8 no" + TITLE),
            ("C", b"AUTH LOGIN"), ("S", b"334 " + b64(b"User" + CLEAR)), ("C", b64(USER)),
            ("S", b"334 " + b64(b"Pass" + BIDI)), ("C", b64(PASSWORD)), ("S", b"535 5.7.8 no"),
            ("C", b"AUTH CRAM-MD5"), ("S", b"334 " + b64(b"<1." + TITLE + b"@mx>")),
            ("C", b64(USER + b" 0123456789abcdef0123456789abcdef")), ("S", b"235 ok" + HOSTILE),
            ("C", b"AUTH XOAUTH2 " + b64(b"user=" + USER + b"\x01auth=Bearer " + PASSWORD + b"\x01\x01")),
            ("S", b"503 already" + HOSTILE), ("C", b"QUIT"), ("S", b"221 bye")]


def _text(prefix_c: bytes, prefix_s: bytes, head: bytes = b"") -> bytes:
    lines = [(prefix_c if side == "C" else prefix_s) + data for side, data in exchange()]
    return head + b"\n".join(lines) + b"\n"


def _tutor() -> bytes:
    def show(data: bytes) -> str:          # the transcript's own visible-escape form, and some raw controls
        return data.decode("latin-1")
    objs = [{"type": "header", "version": 1, "target": HOSTILE.decode("latin-1"), "session": "1\x1b[2J"}]
    objs += [{"type": "line", "dir": side, "data": show(data).replace("\\", "\\\\")} for side, data in exchange()]
    objs.append({"type": "note", "source": "tutor", "key": "x", "text": HOSTILE.decode("latin-1")})
    return "\n".join(json.dumps(o) for o in objs).encode() + b"\n"


def _log() -> bytes:
    user = USER.decode("latin-1")
    return ("Jun  3 10:00:00 mx dovecot: auth: Debug: client in: AUTH\t1\tPLAIN\tservice=smtp\tresp="
            + b64(b"\0" + USER + b"\0" + PASSWORD).decode() + "\n"
            f"Jun  3 10:00:01 mx postfix/smtpd[1]: warning: x[192.0.2.1]: SASL LOGIN authentication failed: "
            f"UGFzc3dvcmQ6, sasl_username={user}\n"
            f"Jun  3 10:00:02 mx postfix/smtpd[1]: x: client=x[192.0.2.1], sasl_method=PLAIN, sasl_username={user}\n"
            ).encode("latin-1")


def _hashcat() -> bytes:
    response = b64(USER + b" 0123456789abcdef0123456789abcdef")
    return b"$cram_md5$" + b64(b"<1." + TITLE + b"@mx>") + b"$" + response + b"\n"


def _pcap() -> bytes:
    lines = [(side, data + b"\r\n") for side, data in exchange()]
    return gen.pcap(gen.wrap(gen.conversation(lines), 1))


def _smtplib() -> bytes:
    out = [b"connect: to ('127.0.0.1', 25) None"]
    for side, data in exchange():
        out.append(b"send: " + repr((data + b"\r\n").decode("latin-1")).encode() if side == "C"
                   else b"reply: " + repr(data + b"\r\n").encode())
    return b"\n".join(out) + b"\n"


CORPUS = {
    "tutor": _tutor, "swaks": lambda: _text(b" -> ", b"<-  ", b"=== Trying 192.0.2.1:25...\n"),
    "rfc": lambda: _text(b"C: ", b"S: "), "curl": lambda: _text(b"> ", b"< ", b"*   Trying 192.0.2.1:25...\n"),
    "smtplib": _smtplib, "openssl": lambda: _text(b"", b"",
                                                  b"CONNECTED(00000003)\n---\nSSL handshake has read 1 bytes\n---\n"),
    "log": _log, "hashcat": _hashcat, "pcap": _pcap,
    "pcap.gz": lambda: __import__("gzip").compress(_pcap()),          # read through the decompressor
}
OUTPUTS = [["--color", "never"], ["--color", "always"], ["--format", "md"], ["--format", "html"],
           ["--format", "json"], ["--summary", "--color", "never"], ["--summary", "--color", "always"],
           ["--summary", "--format", "md"], ["--summary", "--format", "html"], ["--summary", "--format", "json"],
           ["--hashcat"]]
SGR = re.compile("\x1b\\[[0-9;]*m")
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _raw_controls(text: str, colour: bool) -> list[str]:
    return RAW.findall(SGR.sub("", text) if colour else text)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    files = {}
    for fmt, make in CORPUS.items():
        path = folder / f"{fmt}\x1b[2J.cap"                 # a hostile file name too
        path.write_bytes(make())
        files[fmt] = path
    return files


def test_the_corpus_is_read_as_the_format_it_is_made_for(corpus, capsys):
    for fmt, path in corpus.items():
        main(["trace", "--format", "json", "--reveal", str(path)])
        out, err = capsys.readouterr()
        sources = {json.loads(line)["source"] for line in out.splitlines()}
        assert sources == {fmt.split(".")[0]}, (fmt, err)


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: "-".join(a.strip("-") for a in o))
@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "revealed"])
def test_no_raw_control_byte_in_any_format(corpus, capsys, output, reveal):
    colour = "always" in output
    for fmt, path in corpus.items():
        code = main(["trace", *output, *(["--reveal"] if reveal else []), str(path)])
        out, err = capsys.readouterr()
        assert code in (0, 2) and "Traceback" not in err, (fmt, err)
        assert _raw_controls(out, colour) == [], (fmt, output)
        if not reveal:                               # the password, in any escaped form, stays masked
            assert not re.search(r"p(\\+x1b|\\+u001b)\]0;PWNED", out), (fmt, output)
        assert _raw_controls(err, False) == [], (fmt, err)
        if "html" in output:
            assert "<script>" not in out
        if "md" in output:
            assert "[x](http" not in re.sub(r"`[^`\n]*`", "", out)      # a code span shows it as text


def test_the_escapes_are_visible_not_dropped(corpus, capsys):
    main(["trace", "--color", "never", "--reveal", str(corpus["rfc"])])
    out, _ = capsys.readouterr()
    assert "\\x1b]0;PWNED\\x07" in out and "\\x1b[2J" in out
    assert "\\u202e" in out or "\\xe2\\x80\\xae" in out     # the RLO, as a code point or as its UTF-8 bytes


@pytest.mark.parametrize("forced", sorted(FORMATS))
def test_every_importer_reads_every_hostile_file_without_a_traceback(corpus, capsys, forced):
    for fmt, path in corpus.items():
        code = main(["trace", "--input-format", forced, "--color", "never", "--reveal", str(path)])
        out, err = capsys.readouterr()
        assert code in (0, 2) and "Traceback" not in err and "unreadable input" not in err, (forced, fmt, err)
        assert _raw_controls(out + err, False) == [], (forced, fmt)


def test_mutated_inputs_never_raise_anything_but_a_one_line_error():
    """A bounded, repeatable fuzz: 300 mutations (fixed seed) of the hostile corpus and the real fixtures, each
    read by a detected or a forced importer."""
    import gzip
    import random
    from pathlib import Path

    from tutor.errors import InputError
    from tutor.trace.pipeline import trace_bytes
    rng = random.Random(12)
    seeds = [make() for make in CORPUS.values()]
    seeds += [p.read_bytes() for p in sorted((Path(__file__).parent / "data" / "trace").iterdir())]
    formats = [None, *sorted(FORMATS)]
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(len(data) or 1)
            roll = rng.random()
            if roll < 0.5:
                data[at:at + 1] = bytes([rng.randrange(256)])
            elif roll < 0.75:
                del data[at:at + rng.randint(1, 200)]
            elif roll < 0.95:
                data[at:at] = rng.randbytes(rng.randint(1, 40))
            else:
                del data[at:]
        blob = gzip.compress(bytes(data)) if rng.random() < 0.1 else bytes(data)
        try:
            trace_bytes(blob, "fuzz", fmt=rng.choice(formats))
        except InputError:
            pass


def test_one_escaping_function_per_output_format():
    from tutor import escapes
    assert escapes.for_terminal("a\x1b]0;t\x07b\x9b\u202e\t") == "a\\x1b]0;t\\x07b\\x9b\\u202e\\t"
    shown = escapes.show(b"x\x1b[2J\\y")                      # already visible text comes out unchanged
    assert escapes.for_terminal(shown) == shown == "x\\x1b[2J\\\\y"
    assert escapes.for_terminal("Jürgen → ok") == "Jürgen → ok"
    assert escapes.for_html("<b a='1'>&\x1b") == "&lt;b a=&#x27;1&#x27;&gt;&amp;\\x1b"
    # Markdown source: the visible escape's backslash is itself escaped, so a reader sees \x07
    assert escapes.for_markdown("*a* [l](u) `c` <i>\x07") == "\\*a\\* \\[l\\](u) \\`c\\` &lt;i&gt;\\\\x07"
    assert escapes.for_markdown_code("a`b\x1b") == "a\u02cbb\\x1b"
    line = escapes.for_json({"u": "\x1b\x9b\u2028\x7f", "n": 1})
    assert json.loads(line) == {"u": "\x1b\x9b\u2028\x7f", "n": 1}
    assert _raw_controls(line, False) == [] and "\u2028" not in line
