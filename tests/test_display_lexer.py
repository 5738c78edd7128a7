"""The SMTP lexers, token by token (exact lists, the trailing newline pygments adds included)."""

import pytest
from pygments.token import Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from tutor.display.lexer import SmtpInputLexer, SmtpLexer
from tutor.display.style import PREFIX

NL = (Whitespace, "\n")
SP = (Whitespace, " ")

INPUT = [
    ("EHLO laptop.example", [(Keyword, "EHLO"), SP, (Text, "laptop.example"), NL]),
    ("ehlo x", [(Keyword, "ehlo"), SP, (Text, "x"), NL]),
    # RFC 4954 §4 example
    ("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=",
     [(Keyword, "AUTH"), SP, (Name.Constant, "PLAIN"), SP, (String, "dGVzdAB0ZXN0ADEyMzQ="), NL]),
    ("AUTH EXTERNAL =", [(Keyword, "AUTH"), SP, (Name.Constant, "EXTERNAL"), SP, (String, "="), NL]),
    ("auth cram-md5", [(Keyword, "auth"), SP, (Name.Constant, "cram-md5"), NL]),
    ("MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com",
     [(Keyword, "MAIL"), SP, (Name.Attribute, "FROM"), (Punctuation, ":"), (Name.Tag, "<e=mc2@example.com>"), SP,
      (Name.Attribute, "AUTH"), (Punctuation, "="), (Text, "e+3Dmc2@example.com"), NL]),
    ("RCPT TO:<a@b.org>",
     [(Keyword, "RCPT"), SP, (Name.Attribute, "TO"), (Punctuation, ":"), (Name.Tag, "<a@b.org>"), NL]),
    ("DATA", [(Keyword, "DATA"), NL]),
    ("STARTTLS", [(Keyword, "STARTTLS"), NL]),
    # a base64 answer to a 334 (RFC 2195 example response)
    ("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
     [(String, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"), NL]),
    ("dGlt", [(String, "dGlt"), NL]),
    ("*", [(Operator, "*"), NL]),
    ("hello world", [(Text, "hello world"), NL]),
    ("abcde", [(Text, "abcde"), NL]),             # not base64: length 5
    (":b64 encode tim", [(Name.Function, ":b64"), SP, (Text, "encode"), SP, (Text, "tim"), NL]),
    (":connect sim:strict --tls",
     [(Name.Function, ":connect"), SP, (Text, "sim:strict"), SP, (Name.Attribute, "--tls"), NL]),
    (":explain 535", [(Name.Function, ":explain"), SP, (Number, "535"), NL]),
    (":decode VXNlcm5hbWU6", [(Name.Function, ":decode"), SP, (String, "VXNlcm5hbWU6"), NL]),
    ("::literal", [(String.Escape, ":"), (Text, ":literal"), NL]),
    ("", [NL]),
]


@pytest.mark.parametrize("line,tokens", INPUT, ids=[i[0] or "empty" for i in INPUT])
def test_input_lexer_tokens(line, tokens):
    assert list(SmtpInputLexer().get_tokens(line)) == tokens


TRANSCRIPT = [
    ("S: 250-AUTH PLAIN LOGIN",
     [(PREFIX.Server, "S"), (PREFIX.Server, ":"), SP, (Number, "250"), (Punctuation, "-"), (Text, "AUTH"), SP,
      (Text, "PLAIN"), SP, (Text, "LOGIN"), NL]),
    ("S: 535 5.7.8 Authentication credentials invalid",
     [(PREFIX.Server, "S"), (PREFIX.Server, ":"), SP, (Number, "535"), (Punctuation, " "), (Number.Float, "5.7.8"), SP,
      (Text, "Authentication"), SP, (Text, "credentials"), SP, (Text, "invalid"), NL]),
    ("S: 334 VXNlcm5hbWU6",
     [(PREFIX.Server, "S"), (PREFIX.Server, ":"), SP, (Number, "334"), (Punctuation, " "), (String, "VXNlcm5hbWU6"),
      NL]),
    ("C: AUTH LOGIN",
     [(PREFIX.Client, "C"), (PREFIX.Client, ":"), SP, (Keyword, "AUTH"), SP, (Name.Constant, "LOGIN"), NL]),
    ("C: dGlt", [(PREFIX.Client, "C"), (PREFIX.Client, ":"), SP, (String, "dGlt"), NL]),
    ("   # a note", [(Whitespace, "   "), (PREFIX.Note, "#"), (Text, " a note"), NL]),
]


@pytest.mark.parametrize("line,tokens", TRANSCRIPT, ids=[t[0] for t in TRANSCRIPT])
def test_transcript_lexer_tokens(line, tokens):
    assert list(SmtpLexer().get_tokens(line)) == tokens


def test_lexers_lex_every_character():
    text = "EHLO x\nAUTH PLAIN =\n:help auth\n*\n"
    assert "".join(v for _, v in SmtpInputLexer().get_tokens(text)) == text
