"""The SMTP lexers as pygments plugins: found by name in the installed venv, standard tokens, light to import."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name as pygments_lexer
from pygments.token import (
    STANDARD_TYPES,
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Punctuation,
    String,
    Text,
    Whitespace,
)
from pygments.util import ClassNotFound

from tutor.display.lexer import SmtpInputLexer
from tutor.display.lexer_plugin import SmtpTranscriptLexer

VENV_BIN = Path(sys.executable).parent
NL, SP = (Whitespace, "\n"), (Whitespace, " ")
C, S = [(Generic.Prompt, "C"), (Generic.Prompt, ":"), SP], [(Name.Builtin, "S"), (Name.Builtin, ":"), SP]

# Several lines at once, as in a documentation page: each line starts afresh after an AUTH or a verb line.
TRANSCRIPT = ("S: 220 mail.example ESMTP\n"
              "C: EHLO laptop\n"
              "C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n"
              "   # PLAIN message\n"
              "S: 235 2.7.0 Authentication successful\n")
TRANSCRIPT_TOKENS = [
    *S, (Number, "220"), (Punctuation, " "), (Text, "mail.example"), SP, (Text, "ESMTP"), NL,
    *C, (Keyword, "EHLO"), SP, (Text, "laptop"), NL,
    *C, (Keyword, "AUTH"), SP, (Name.Constant, "PLAIN"), SP, (String, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), NL,
    (Whitespace, "   "), (Comment.Single, "#"), (Comment.Single, " PLAIN message"), NL,
    *S, (Number, "235"), (Punctuation, " "), (Number.Float, "2.7.0"), SP, (Text, "Authentication"), SP,
    (Text, "successful"), NL,
]


def get_lexer_by_name(alias: str):
    """pygments' own lookup, with what to do when this checkout's entry points were never installed."""
    try:
        return pygments_lexer(alias)
    except ClassNotFound:
        pytest.fail(f"no pygments lexer {alias!r}: entry points are registered at install time; "
                    "run .venv/bin/pip install -e '.[test]'")


@pytest.mark.parametrize("alias", ["smtp", "smtp-transcript", "smtp-session", "SMTP"])
def test_transcript_lexer_found_by_name(alias):
    assert type(get_lexer_by_name(alias)) is SmtpTranscriptLexer


def test_input_lexer_found_by_name():
    assert type(get_lexer_by_name("smtp-input")) is SmtpInputLexer


def test_transcript_tokens_are_standard_pygments_tokens():
    tokens = list(get_lexer_by_name("smtp").get_tokens(TRANSCRIPT))
    assert tokens == TRANSCRIPT_TOKENS
    assert all(token in STANDARD_TYPES for token, _ in tokens)      # so every pygments style knows them


def test_html_from_a_generic_style_colours_the_prefixes():
    html = highlight("C: EHLO x\nS: 250 ok\n   # a note\n", get_lexer_by_name("smtp"), HtmlFormatter(style="default"))
    assert '<span class="gp">C:</span>' in html
    assert '<span class="nb">S:</span>' in html
    assert '<span class="c1"># a note</span>' in html


def test_pygmentize_highlights_a_transcript_file(tmp_path):
    """The command documentation tools and users run, from the venv the tutor is installed in."""
    pygmentize = VENV_BIN / "pygmentize"
    assert pygmentize.exists(), f"{pygmentize} missing: pygments is a runtime dependency"
    transcript = tmp_path / "session.txt"
    transcript.write_text(TRANSCRIPT)
    done = subprocess.run([str(pygmentize), "-l", "smtp", "-f", "raw", str(transcript)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["Token.Name.Builtin\t'S'", "Token.Name.Builtin\t':'", "Token.Text.Whitespace\t' '"]
    assert "Token.Comment.Single\t' PLAIN message'" in lines
    assert "Token.Literal.String\t'AHRpbQB0YW5zdGFhZnRhbnN0YWFm'" in lines


def test_pygmentize_lists_the_lexers(tmp_path):
    done = subprocess.run([str(VENV_BIN / "pygmentize"), "-L", "lexers"], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert "* smtp, smtp-transcript, smtp-session:" in done.stdout
    assert "* smtp-input:" in done.stdout


def test_loading_the_plugin_imports_nothing_heavy(tmp_path):
    """Finding the lexer through the entry point loads pygments and tutor.display.{lexer,style} only."""
    code = ("import sys; from pygments.lexers import get_lexer_by_name; get_lexer_by_name('smtp'); "
            "get_lexer_by_name('smtp-input'); "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('tutor', 'prompt_toolkit'))))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tutor", "tutor.display", "tutor.display.lexer", "tutor.display.lexer_plugin",
                                   "tutor.display.style"]
