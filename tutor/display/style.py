"""The one colour theme (a pygments Style) and the token types of tutor output; nothing else sets colours.

Only the terminal's own ANSI palette is used (never fixed RGB, never white/black/yellow), and prose keeps
the default foreground, so the theme reads on dark and light backgrounds alike.
"""

from __future__ import annotations

from pygments.style import Style
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String, Text, Token

Tutor = Token.Tutor
CLIENT, SERVER, NOTE, SIM = Tutor.Client, Tutor.Server, Tutor.Note, Tutor.Sim
DETAIL, ERROR, WARNING = Tutor.Detail, Tutor.Error, Tutor.Warning
HEADING, STEP, RESULT, ECHO = Tutor.Heading, Tutor.Step, Tutor.Result, Tutor.Echo
PREFIX = Tutor.Prefix        # PREFIX.Client, PREFIX.Server ... the `C:` / `S:` / `#` marks
TOOLBAR = Tutor.Toolbar      # inside prompt_toolkit's reversed bottom toolbar: emphasis only, no colour


class TutorStyle(Style):
    """Readable on dark and light terminals: ANSI palette colours plus bold and italic."""

    name = "smtp-tutor"
    background_color = None   # type: ignore[assignment]  # None keeps the terminal's own background
    styles = {
        Token: "",
        Text: "",
        Keyword: "bold ansigreen",             # SMTP verbs
        Name.Function: "bold ansimagenta",     # :commands
        Name.Constant: "bold ansicyan",        # SASL mechanism names
        Name.Tag: "ansiblue",                  # <addresses>
        Name.Attribute: "ansimagenta",         # FROM: TO: KEY= --options
        String: "ansicyan",                    # base64
        String.Escape: "ansimagenta",
        Number: "bold",                        # reply codes
        Number.Float: "",                      # enhanced status codes
        Operator: "bold ansired",              # "*" cancels an AUTH exchange
        Punctuation: "",
        Comment: "italic",
        Error: "ansired",
        CLIENT: "ansigreen",
        SERVER: "ansiblue",
        NOTE: "",
        SIM: "ansicyan",
        DETAIL: "italic",
        ERROR: "bold ansired",
        WARNING: "ansired",
        HEADING: "bold",
        STEP: "",
        RESULT: "bold ansigreen",
        ECHO: "bold",
        PREFIX.Client: "bold ansigreen",
        PREFIX.Server: "bold ansiblue",
        PREFIX.Note: "bold ansimagenta",
        PREFIX.Sim: "bold ansicyan",
        PREFIX.Error: "bold ansired",
        TOOLBAR.Good: "bold",
        TOOLBAR.Warn: "bold underline",
        TOOLBAR.Target: "bold",
    }
