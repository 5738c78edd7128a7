"""Bytes as a learner types and reads them: `\\0`, `\\x01`, `\\n` escapes in, visible escapes and hex dumps out."""

from __future__ import annotations

import html
import re

from tutor.errors import InputError

_SIMPLE = {"0": 0, "a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, "e": 27, "\\": 92}
_SHOWN = {0: "\\0", 9: "\\t", 10: "\\n", 13: "\\r", 92: "\\\\"}


def parse(text: str) -> bytes:
    """Text with backslash escapes (`\\0`, `\\x01`, `\\n`, `\\\\`...) to bytes; other characters as UTF-8."""
    check_utf8(text, escapes_allowed=True)
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(text):
            raise InputError("a lone backslash ends the text; write \\\\ for a backslash")
        code = text[i + 1]
        if code == "x":
            digits = text[i + 2:i + 4]
            if len(digits) != 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise InputError(f"bad escape \\x{digits}: \\x needs two hex digits, e.g. \\x01")
            out.append(int(digits, 16))
            i += 4
        elif code in _SIMPLE:
            out.append(_SIMPLE[code])
            i += 2
        else:
            raise InputError(f"unknown escape \\{code}: use \\0 \\n \\r \\t \\xHH or \\\\")
    return bytes(out)


def check_utf8(text: str, what: str = "the text", escapes_allowed: bool = False) -> None:
    """InputError unless `text` is proper Unicode (command-line bytes that are not UTF-8 arrive as lone surrogates)."""
    if text.isascii() or not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return
    bad = [ord(c) - 0xDC00 for c in text if 0xDC80 <= ord(c) <= 0xDCFF]
    shown = " ".join(f"0x{b:02x}" for b in bad) or "a lone surrogate"
    example = bad[0] if bad else 0xFF
    hint = f"write such bytes as escapes, e.g. \\x{example:02x}" if escapes_allowed else "use UTF-8 text"
    raise InputError(f"{what} is not valid UTF-8 ({shown}): {hint}")


def show(data: bytes) -> str:
    """Bytes as readable text: printable ASCII as is, everything else as an escape (`\\0`, `\\n`, `\\x02`).

    Valid UTF-8 beyond ASCII is shown as its characters, so `Jürgen` stays readable.
    """
    if data.isascii():   # fast path for the usual wire line: printable ASCII, perhaps ending in CRLF
        text = data.decode("ascii")
        body, crlf = (text[:-2], "\\r\\n") if text.endswith("\r\n") else (text, "")
        if body.isprintable() and "\\" not in body:
            return body + crlf
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded = None
    if decoded is not None:
        return "".join(_show_char(c) for c in decoded)
    return "".join(_show_byte(b) for b in data)


def _show_char(c: str) -> str:
    code = ord(c)
    if code < 128:
        return _show_byte(code)
    if not c.isprintable():
        return "".join(_show_byte(b) for b in c.encode("utf-8"))
    return c


def _show_byte(b: int) -> str:
    if b in _SHOWN:
        return _SHOWN[b]
    if 32 <= b < 127:
        return chr(b)
    return f"\\x{b:02x}"


def is_printable(data: bytes) -> bool:
    """True when every byte is printable ASCII (space to tilde)."""
    return all(32 <= b < 127 for b in data)


def hexdump(data: bytes, width: int = 16) -> list[str]:
    """Classic offset / hex / ASCII lines."""
    lines = []
    for start in range(0, len(data), width):
        chunk = data[start:start + width]
        hexes = " ".join(f"{b:02x}" for b in chunk).ljust(width * 3 - 1)
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:08x}  {hexes}  |{ascii_}|")
    return lines


# ---- text from input, escaped for the output it goes to (one function per output format) -----------------
# C0 controls, DEL, C1 controls (U+009B is CSI on 8-bit terminals), and the invisible characters that reorder
# or hide text (bidirectional overrides and isolates, line and paragraph separators).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _escape_char(match: re.Match) -> str:
    code = ord(match.group())
    if code in _SHOWN:
        return _SHOWN[code]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """Text for a terminal (plain or coloured): control characters and escape sequences shown visibly
    (`ESC[2J` becomes `\\x1b[2J`), so nothing from a capture can move the cursor, retitle the window or hide
    text. Backslashes are left alone, so text already made visible by show() comes out unchanged."""
    return _UNSAFE.sub(_escape_char, text)


def for_html(text: str) -> str:
    """Text for an HTML page: made visible as for a terminal, then HTML-escaped (quotes too)."""
    return html.escape(for_terminal(text), quote=True)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def for_markdown(text: str) -> str:
    """Text for Markdown prose: made visible, HTML-escaped (Markdown passes raw HTML through) and with every
    character Markdown gives a meaning backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(for_terminal(text), quote=False))


def for_markdown_code(text: str) -> str:
    """Text for a Markdown code span: made visible; a backtick cannot end the span (shown as U+02CB)."""
    return html.escape(for_terminal(text), quote=False).replace("`", "\u02cb")


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def for_json(obj: object) -> str:
    """An object as one line of JSON: the data kept exact, but every control character written as a \\u
    escape (json escapes C0 itself; DEL, C1 and invisible reordering characters are escaped here too), so
    printing the line raw on a terminal is safe."""
    import json
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))
