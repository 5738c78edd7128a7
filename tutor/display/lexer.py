"""Pygments lexers: SmtpInputLexer for what the learner types, SmtpLexer for C:/S: transcript lines."""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.token import Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from tutor.display.style import PREFIX

VERBS = r"(?i:ehlo|helo|mail|rcpt|data|rset|noop|quit|vrfy|expn|help|auth|starttls)"
# A complete base64 blob (RFC 4648 §4 shape, padding only at the end), on its own.
BASE64 = r"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}="
END = r"(?=\s|$)"


class SmtpInputLexer(RegexLexer):
    """A typed line: a `:command` with options, an SMTP command with addresses, or a base64 answer."""

    name = "SMTP input"
    aliases = ["smtp-input"]          # also a pygments plugin: `pygmentize -l smtp-input` (pyproject.toml)
    url = "https://www.rfc-editor.org/rfc/rfc5321"

    tokens = {
        "root": [
            (r"\n", Whitespace),
            (r"(:)(?=:)", String.Escape, "text"),                 # `::x` sends the literal line `:x`
            (r":[A-Za-z][\w-]*", Name.Function, "command"),
            (r"(?i:auth)" + END, Keyword, "auth"),
            (VERBS + END, Keyword, "args"),
            (r"\*(?=\s*$)", Operator),
            (r"(?:" + BASE64 + r")(?=\s*$)", String),
            (r"=(?=\s*$)", String),
            default("text"),
        ],
        "text": [(r"\n", Whitespace, "#pop"), (r"[^\n]+", Text)],
        "common": [
            (r"\n", Whitespace, "#pop"),
            (r"[ \t]+", Whitespace),
        ],
        "args": [
            include("common"),
            (r"<[^>\s]*>", Name.Tag),
            (r"(?i:from|to)(?=:)", Name.Attribute),
            (r":", Punctuation),
            (r"([A-Za-z][\w-]*)(=)", bygroups(Name.Attribute, Punctuation)),
            (r"[^\s<=]+", Text),
            (r"[<=]", Text),
        ],
        "auth": [
            include("common"),
            (r"[A-Za-z0-9_-]+" + END, Name.Constant, "auth-data"),
            (r"\S+", Text),
        ],
        "auth-data": [
            (r"\n", Whitespace, "#pop:2"),
            (r"[ \t]+", Whitespace),
            (r"(?:" + BASE64 + r"|=)" + END, String),
            (r"\S+", Text),
        ],
        "command": [
            include("common"),
            (r"--?[A-Za-z][\w-]*", Name.Attribute),
            (r"\d+" + END, Number),
            (r"(?:" + BASE64 + r")" + END, String),
            (r"\S+", Text),
        ],
    }


class SmtpLexer(RegexLexer):
    """Transcript lines as the tutor prints them: `S: 250-...`, `C: EHLO ...`, `   # note`."""

    name = "SMTP transcript"
    # Registered with pygments as tutor.display.lexer_plugin.SmtpTranscriptLexer (standard token types).
    aliases = ["smtp", "smtp-transcript", "smtp-session"]
    url = "https://www.rfc-editor.org/rfc/rfc5321"

    tokens = {
        "root": [
            (r"\n", Whitespace),
            (r"(S)(:)( ?)", bygroups(PREFIX.Server, PREFIX.Server, Whitespace), "server"),
            (r"(C)(:)( ?)", bygroups(PREFIX.Client, PREFIX.Client, Whitespace), "client"),
            (r"([ \t]*)(#)([^\n]*)", bygroups(Whitespace, PREFIX.Note, Text)),
            (r"[^\n]+", Text),
        ],
        "server": [
            (r"\n", Whitespace, "#pop"),
            (r"(\d{3})([ -]?)", bygroups(Number, Punctuation), "reply-text"),
            (r"[^\n]+", Text),
        ],
        "reply-text": [
            (r"\n", Whitespace, "#pop:2"),
            (r"[245]\.\d{1,3}\.\d{1,3}" + END, Number.Float),
            (r"(?:" + BASE64 + r")(?=\s*$)", String),
            (r"[ \t]+", Whitespace),
            (r"\S+", Text),
        ],
        "client": [     # `auth`/`args` replace this state: their newline rule pops back to root
            (r"\n", Whitespace, "#pop"),
            (r"(?i:auth)" + END, Keyword, ("#pop", "auth")),
            (VERBS + END, Keyword, ("#pop", "args")),
            (r"\*(?=\s*$)", Operator),
            (r"(?:" + BASE64 + r")(?=\s*$)", String),
            (r"[^\n]+", Text),
        ],
        "args": SmtpInputLexer.tokens["args"],
        "auth": SmtpInputLexer.tokens["auth"],
        "auth-data": SmtpInputLexer.tokens["auth-data"],
        "common": SmtpInputLexer.tokens["common"],
    }
