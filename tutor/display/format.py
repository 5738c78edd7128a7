"""Display items to text: plain lines (batch, --no-color, NO_COLOR, pipes) or prompt_toolkit formatted text.

Three kinds of line a learner must tell apart at a glance: `S:` server, `C:` client, `#` tutor note.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Protocol

from pygments.token import Token, _TokenType

from tutor.display import style as S

# kind -> (prefix, token of the prefix, token of the text)
KINDS: dict[str, tuple[str, _TokenType, _TokenType]] = {
    "C": ("C: ", S.PREFIX.Client, S.CLIENT),
    "S": ("S: ", S.PREFIX.Server, S.SERVER),
    "note": ("   # ", S.PREFIX.Note, S.NOTE),
    "sim": ("   [server] ", S.PREFIX.Sim, S.SIM),
    "detail": ("   . ", S.PREFIX.Note, S.DETAIL),
    "error": ("!  ", S.PREFIX.Error, S.ERROR),
    "warning": ("   ! ", S.PREFIX.Error, S.WARNING),
    "heading": ("-- ", S.HEADING, S.HEADING),
    "step": ("   ", Token.Text, S.STEP),
    "result": ("=> ", S.RESULT, S.RESULT),
    "echo": ("> ", S.ECHO, S.ECHO),
    "info": ("", Token.Text, Token.Text),
}


class Shown(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...


def plain(item: Shown) -> str:
    """One item as plain text; continuation lines are indented under the text."""
    prefix = KINDS.get(item.kind, KINDS["info"])[0]
    pad = "\n" + " " * len(prefix)
    return prefix + item.text.replace("\n", pad)


def plain_lines(items: Iterable[Shown]) -> str:
    return "".join(plain(i) + "\n" for i in items)


@cache
def classname(token: _TokenType) -> str:
    """prompt_toolkit's class for a pygments token (as style_from_pygments_cls names them)."""
    return "class:" + ".".join(["pygments", *token]).lower()


def formatted(item: Shown) -> list[tuple[str, str]]:
    """One item as (style, text) fragments, ending with a newline; wire lines syntax-highlighted."""
    prefix, prefix_token, text_token = KINDS.get(item.kind, KINDS["info"])
    fragments = [(classname(prefix_token), prefix)] if prefix else []
    text = item.text.replace("\n", "\n" + " " * len(prefix))
    if item.kind in ("C", "S"):
        fragments += _highlight(item.kind, text, text_token)
    else:
        fragments.append((classname(text_token), text))
    fragments.append(("", "\n"))
    return fragments


def formatted_lines(items: Iterable[Shown]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items:
        out += formatted(item)
    return out


def _highlight(kind: str, text: str, base: _TokenType) -> list[tuple[str, str]]:
    from tutor.display.lexer import SmtpLexer

    out = []
    for token, value in _lexer(SmtpLexer).get_tokens(f"{kind}: {text}"):
        if token in (S.PREFIX.Client, S.PREFIX.Server) or value == "\n":
            continue
        shown = base if token in (Token.Text, Token.Text.Whitespace) else token
        out.append((classname(shown), value))
    return out[1:] if out and out[0][1] == " " else out


@cache
def _lexer(cls):
    return cls()
