"""Display items as plain text and as prompt_toolkit fragments; the one theme; colour choice."""

import argparse
import io

from prompt_toolkit.styles import style_from_pygments_cls

from tutor.cli.repl import use_color
from tutor.display import format as fmt
from tutor.display.style import TutorStyle
from tutor.session import Item


def test_three_kinds_of_line_have_their_own_prefix():
    lines = [fmt.plain(Item("S", "334 VXNlcm5hbWU6")), fmt.plain(Item("C", "dGlt")), fmt.plain(Item("note", "decodes"))]
    assert lines == ["S: 334 VXNlcm5hbWU6", "C: dGlt", "   # decodes"]


def test_continuation_lines_are_indented():
    assert fmt.plain(Item("note", "one\ntwo")) == "   # one\n     two"
    assert fmt.plain_lines([Item("error", "bad"), Item("info", "x")]) == "!  bad\nx\n"


def test_formatted_uses_theme_classes_and_highlights_wire_lines():
    frags = fmt.formatted(Item("S", "535 5.7.8 no"))
    assert frags[0] == ("class:pygments.tutor.prefix.server", "S: ")
    assert ("class:pygments.literal.number", "535") in frags
    assert ("class:pygments.literal.number.float", "5.7.8") in frags
    assert frags[-1] == ("", "\n")
    assert "".join(t for _, t in frags) == "S: 535 5.7.8 no\n"


def test_formatted_client_line_keeps_its_text():
    frags = fmt.formatted(Item("C", "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="))
    assert "".join(t for _, t in frags) == "C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\n"
    assert ("class:pygments.keyword", "AUTH") in frags


def test_every_style_class_used_exists_in_the_theme():
    style = style_from_pygments_cls(TutorStyle)
    names = {name for name, _ in style.style_rules}
    for kind in fmt.KINDS:
        for cls, _ in fmt.formatted(Item(kind, "x")):
            if cls:
                assert cls.removeprefix("class:") in names


def test_theme_uses_only_the_terminal_palette():
    for value in TutorStyle.styles.values():
        for word in value.split():
            assert not word.startswith("#"), "fixed RGB colours are unreadable on one background or the other"
            assert word not in ("ansiwhite", "ansiblack", "ansiyellow", "ansibrightyellow", "ansigray")


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_colour_choice(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    args = argparse.Namespace(no_color=False)
    assert use_color(args, Tty())
    assert not use_color(args, io.StringIO())                 # not a terminal
    assert not use_color(argparse.Namespace(no_color=True), Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(args, Tty())
