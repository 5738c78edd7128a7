"""Issue 11 §2: factual slips stay fixed everywhere (code, teaching TOML, lessons, READMEs), each checked
against its source: RFC 4954 §3/§4/§5, RFC 5321 §4.1.1.1/§4.1.4/§4.2, RFC 5802 §2.2/§3, RFC 7628 §3.1/§3.2.3,
RFC 8314, RFC 6409, IANA's SASL registry (CRAM-MD5: LIMITED), draft-ietf-sasl-crammd5-to-historic (2008,
expired), John the Ripper jumbo's hmacMD5_fmt_plug.c (reads `$cram_md5$` lines, format label HMAC-MD5).
"""

from __future__ import annotations

import base64
import re
import tomllib

import pytest
from citations import ROOT, project_files, toml_strings

from tutor import explain


def _texts() -> list[tuple[str, str]]:
    out = []
    for path in project_files():
        texts = toml_strings(path) if path.suffix == ".toml" else [path.read_text(encoding="utf-8")]
        out += [(str(path.relative_to(ROOT)), " ".join(t.replace("\\\n", " ").split())) for t in texts]
    return out


TEXTS = _texts()


def _lesson(name: str) -> str:
    data = tomllib.loads((ROOT / "lessons" / f"{name}.toml").read_text(encoding="utf-8"))
    return " ".join(" ".join(toml_strings_of(data)).split())


def toml_strings_of(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in toml_strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in toml_strings_of(v)]
    return []


def _step(name: str, step: str) -> str:
    data = tomllib.loads((ROOT / "lessons" / f"{name}.toml").read_text(encoding="utf-8"))
    found = [s for s in data["steps"] if s["id"] == step]
    assert found, (name, step)
    return " ".join(" ".join(toml_strings_of(found[0])).split())


WRONG = [
    ("CRAM-MD5 called historic", re.compile(r"CRAM-MD5 (is|was|has been) (now )?(moved to )?historic", re.I)),
    ("no 'John the Ripper cram_md5' format",
     re.compile(r"John the Ripper[^.;]{0,20}\bcram_?md5\b(?!\$)|format[= ]cram_?md5|--format=crammd5", re.I)),
    ("12288 is not a limit on AUTH lines",
     re.compile(r"limits? AUTH lines to 12288|12288[^.]{0,30}line limit\b", re.I)),
    ("RFC 4954 has 504 in §4, not §6", re.compile(r"504 5\.5\.4[^.;]{0,40}\(RFC 4954 §6\)|RFC 4954 §6 says 504")),
    ("AUTH/MAIL are not 'only defined after EHLO'", re.compile(r"only defined after EHLO", re.I)),
    ("programs read more than the code", re.compile(r"programs only read the code", re.I)),
    ("a new greeting does not start the session over", re.compile(r"new greeting starts the session over", re.I)),
    ("25 is not a submission port by RFC 8314", re.compile(r"ports? follows? RFC 8314|\b25 by default", re.I)),
]


@pytest.mark.parametrize(("what", "pattern"), WRONG, ids=[w for w, _ in WRONG])
def test_the_wrong_claim_appears_nowhere(what, pattern):
    hits = [(where, pattern.search(text).group(0)) for where, text in TEXTS if pattern.search(text)]
    assert not hits, f"{what}: {hits}"


def test_cram_md5_status_is_said_exactly():
    finding = explain.text("trace.finding.cram-offline", user="tim")
    for text in (finding, _step("05-cram-md5", "weak"), _lesson("11-scram-sha-256"), _lesson("10-myths-of-2002")):
        assert "never moved to Historic" in text or "expired" in text
        assert "draft-ietf-sasl-crammd5-to-historic" in text and "LIMITED" in text and "expired" in text
    assert "hashcat -m 10200" in finding and "HMAC-MD5" in finding
    weak = _step("05-cram-md5", "weak")
    assert "no longer considered to provide adequate protection" not in weak     # the old draft-ietf-sasl-crammd5 quote


def test_john_the_ripper_is_named_by_its_real_format():
    texts = (_step("05-cram-md5", "weak"), _lesson("07-sniffer"),
             explain.text("sasl.note.cram.offline-attack", user="u"),
             explain.text("trace.finding.cram-offline", user="u"))
    for text in texts:
        assert "John the Ripper" in text and "HMAC-MD5" in text and "$cram_md5$" in text, text


def test_auth_line_length_is_taught_right():
    for text in (_step("03-auth-plain", "initial"), _step("12-oauth-bearer", "tokens"), _reply_explain(500)):
        assert "512" in text and "334 " in text and "MUST NOT" in text
        assert "12288" in text and "sufficient buffer" in text


def _reply_explain(code: int) -> str:
    from tutor.explain_codes import describe
    return " ".join(describe(code).explain.split())


def test_lesson_01_on_replies_and_a_second_ehlo():
    banner, helo = _step("01-smtp-basics", "banner"), _step("01-smtp-basics", "helo")
    assert "334" in banner and "EHLO" in banner and "RFC 5321 §4.2" in banner
    assert "RSET" in helo and "RFC 5321 §4.1.4" in helo and "does not log you out" in helo


def test_auth_is_an_ehlo_extension_not_an_ehlo_only_command():
    need_ehlo = explain.text("sequence.need-ehlo")
    assert "HELO or EHLO" in need_ehlo and "RFC 4954 §3" in need_ehlo and "RFC 5321 §2.2" in need_ehlo


def test_lesson_06_530_is_a_should_and_504_is_section_4():
    need_auth = _step("06-when-it-fails", "need-auth")
    assert "SHOULD" in need_auth and "policy" in need_auth and "STARTTLS must still work" in need_auth
    unknown = _step("06-when-it-fails", "unknown-mechanism")
    assert "RFC 4954 §4" in unknown and "§6" not in unknown


def test_lesson_09_auth_empty_means_unknown_submitter():
    text = _step("09-after-auth", "mail-from")
    assert "AUTH=<>" in text and "not known" in text and "RFC 4954 §5" in text


def test_lesson_11_salted_password_saslprep_and_iterations():
    compute, server_first = _step("11-scram-sha-256", "compute"), _step("11-scram-sha-256", "server-first")
    assert "Hi(Normalize(password), salt, i)" in compute and "SASLprep" in compute and "RFC 5802 §2.2" in compute
    assert "RFC 7677 §4" in server_first and "SHOULD be at least 4096" in server_first
    assert "15,000" in server_first and "2015" in server_first and "significantly higher" in server_first


def test_lesson_12_prefer_gs2_ctrl_a_and_who_says_what():
    text = _lesson("12-oauth-bearer")
    assert "prefer" in text and " want an OAuth" not in text and "app password" in text
    assert "`n,a=USER,`) followed by ^A" in text and "RFC 7628 §3.1" in text
    xo = _step("12-oauth-bearer", "answer-error")
    assert "Google" in xo and "not RFC 7628" in xo
    assert "%x01" in _step("12-oauth-bearer", "answer-oauthbearer-error")


def test_the_repl_attributes_each_bearer_error_answer_to_its_source():
    from tutor.display.annotations import challenge
    error = base64.b64encode(b'{"status":"401"}').decode()
    oauthbearer = challenge(error, "OAUTHBEARER")[0].text()
    xoauth2 = challenge(error, "XOAUTH2")[0].text()
    assert "AQ==" in oauthbearer and "RFC 7628 §3.2.3" in oauthbearer
    assert "empty line" in xoauth2 and "Google" in xoauth2 and "RFC 7628 does not cover XOAUTH2" in xoauth2


def test_port_defaults_name_the_right_rfcs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text in (readme, _connect_help(), explain.text("transport.cli.description")):
        text = " ".join(text.split())
        assert "RFC 8314" in text and "RFC 6409" in text and "465" in text and "587" in text
        assert re.search(r"25 \((SMTP )?relay", text), text


def _connect_help() -> str:
    data = tomllib.loads((ROOT / "tutor" / "data" / "repl.toml").read_text(encoding="utf-8"))
    return next(s for s in toml_strings_of(data) if s.startswith("`:connect sim`"))
