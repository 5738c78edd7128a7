"""The SMTP lexers as pygments plugins, in standard token types only, so any pygments style colours them.

Registered in pyproject.toml ([project.entry-points."pygments.lexers"]): `pygmentize -l smtp`, Sphinx's
`.. code-block:: smtp` and MkDocs' ```` ```smtp ```` use SmtpTranscriptLexer. Importing this module loads only
pygments and tutor.display.{lexer,style}: nothing of the REPL, the simulator or prompt_toolkit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pygments.token import Comment, Generic, Name, Text, _TokenType

from tutor.display.lexer import SmtpInputLexer, SmtpLexer
from tutor.display.style import PREFIX

__all__ = ["STANDARD_TOKENS", "SmtpInputLexer", "SmtpTranscriptLexer"]

# The tutor's own token types (Token.Tutor.*, styled only by TutorStyle) as the nearest standard ones: the
# client's `C:` as a prompt (what was typed), the server's `S:` as a built-in name, a `#` note as a comment.
STANDARD_TOKENS = {
    PREFIX.Client: Generic.Prompt,
    PREFIX.Server: Name.Builtin,
    PREFIX.Note: Comment.Single,
}


class SmtpTranscriptLexer(SmtpLexer):
    """SmtpLexer (same names and rules) with the tutor's prefix tokens mapped by STANDARD_TOKENS."""

    def get_tokens_unprocessed(self, text: str, stack: Iterable[str] = ("root",)
                               ) -> Iterator[tuple[int, _TokenType, str]]:
        after_note_mark = False
        for index, token, value in super().get_tokens_unprocessed(text, stack):
            if after_note_mark and token is Text:
                token = Comment.Single            # the note's words, after its `#`
            after_note_mark = token is PREFIX.Note
            yield index, STANDARD_TOKENS.get(token, token), value
