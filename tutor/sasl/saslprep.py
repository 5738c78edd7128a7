"""SASLprep (RFC 4013), the stringprep (RFC 3454) profile SCRAM uses to normalise user names and passwords."""

from __future__ import annotations

import stringprep
import unicodedata

from tutor.errors import InputError

# RFC 4013 §2.3: prohibited output, as (stringprep table test, table name, what it is).
PROHIBITED = (
    (stringprep.in_table_c12, "C.1.2", "a non-ASCII space"),
    (stringprep.in_table_c21, "C.2.1", "an ASCII control character"),
    (stringprep.in_table_c22, "C.2.2", "a non-ASCII control character"),
    (stringprep.in_table_c3, "C.3", "a private use character"),
    (stringprep.in_table_c4, "C.4", "a non-character code point"),
    (stringprep.in_table_c5, "C.5", "a surrogate code point"),
    (stringprep.in_table_c6, "C.6", "a character inappropriate for plain text"),
    (stringprep.in_table_c7, "C.7", "a character inappropriate for canonical representation"),
    (stringprep.in_table_c8, "C.8", "a character that changes display properties or is deprecated"),
    (stringprep.in_table_c9, "C.9", "a tagging character"),
)


class SASLprepError(InputError):
    """A string SASLprep refuses; `char` is the offending character and `table` the RFC 3454 table (or "bidi")."""

    def __init__(self, message: str, char: str, table: str) -> None:
        super().__init__(message)
        self.char = char
        self.table = table


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def _map(text: str) -> str:
    """RFC 4013 §2.1: non-ASCII spaces (C.1.2) become U+0020; "commonly mapped to nothing" (B.1) are dropped."""
    return "".join(" " if stringprep.in_table_c12(c) else c for c in text if not stringprep.in_table_b1(c))


def _prohibit(text: str, allow_unassigned: bool) -> None:
    """RFC 4013 §2.3 prohibited output and §2.5 unassigned code points (stored strings refuse them)."""
    for char in text:
        for test, table, what in PROHIBITED:
            if test(char):
                raise SASLprepError(f"SASLprep (RFC 4013 §2.3) prohibits {_code(char)}: {what} "
                                    f"(RFC 3454 table {table})", char, table)
        if not allow_unassigned and stringprep.in_table_a1(char):
            raise SASLprepError(f"SASLprep (RFC 4013 §2.5) refuses {_code(char)} in a stored string such as a "
                                f"password: it is unassigned in Unicode 3.2 (RFC 3454 table A.1)", char, "A.1")


def _bidi(text: str) -> None:
    """RFC 4013 §2.4 / RFC 3454 §6: right-to-left text may hold no left-to-right character and must start
    and end with a right-to-left character."""
    rtl = [c for c in text if stringprep.in_table_d1(c)]
    if not rtl:
        return
    ltr = next((c for c in text if stringprep.in_table_d2(c)), None)
    if ltr is not None:
        raise SASLprepError(f"SASLprep (RFC 4013 §2.4) refuses mixed directions: right-to-left {_code(rtl[0])} "
                            f"together with left-to-right {_code(ltr)} (RFC 3454 §6)", ltr, "bidi")
    for end in (text[0], text[-1]):
        if not stringprep.in_table_d1(end):
            raise SASLprepError(f"SASLprep (RFC 4013 §2.4) refuses right-to-left text that does not start and "
                                f"end with a right-to-left character; {_code(end)} is not one (RFC 3454 §6)",
                                end, "bidi")


def saslprep(text: str, allow_unassigned: bool = False) -> str:
    """The SASLprep form of `text`; SASLprepError (an InputError) if SASLprep prohibits it.

    `allow_unassigned=False` treats `text` as a stored string (passwords, RFC 5802 §2.2 Normalize);
    True treats it as a query (user names, RFC 5802 §5.1). Printable ASCII comes back unchanged.
    """
    if text.isascii() and text.isprintable():
        return text             # fast path: no mapping, NFKC or table applies to printable ASCII
    mapped = _map(text)
    normal = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)  # RFC 4013 §2.2, Unicode 3.2 as stringprep uses
    _prohibit(normal, allow_unassigned)
    _bidi(normal)
    return normal
