"""Users files for the simulator: read `name:password` lines or CSV `name,password[,note]`, make class accounts.

Reading is bounded (USERS_FILE_LIMIT: `serve --users /dev/zero` stops at once with one line); a class file is
written 0600, since it holds every student's password.
"""

from __future__ import annotations

import csv
import os
import secrets
from pathlib import Path

from tutor.errors import InputError

USERS_FILE_LIMIT = 1024 * 1024        # octets: some 20,000 accounts, far more than any class
MAKE_ACCOUNTS_LIMIT = 1000
CSV_HEADER = ("name", "password", "note")
ERROR_TAG = "error="                   # in a CSV note: `error=454` gives the account that AUTH reply (tutor.sim.policy)
_CONSONANTS = "bdfghjklmnprstvz"       # no c/q/x/w/y: each letter says one sound
_VOWELS = "aeiou"


def read_text(path: str | Path) -> str:
    """The file's text, at most USERS_FILE_LIMIT octets of UTF-8; InputError (one line) otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(USERS_FILE_LIMIT + 1)
    except OSError as exc:
        raise InputError(f"cannot read users file {path}: {exc.strerror or exc}") from None
    if len(data) > USERS_FILE_LIMIT:
        raise InputError(f"users file {path} is over {USERS_FILE_LIMIT // 1024} KiB: "
                         "expected a short list of name:password or name,password[,note] lines")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")   # spreadsheets often start a CSV with a BOM
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read users file {path}: it is not UTF-8 text (byte 0x{data[exc.start]:02x} "
                         f"at offset {exc.start})") from None


def split_line(line: str, where: str) -> tuple[str, str, str]:
    """(name, password, note) from `name:password` or CSV `name,password[,note]`: whichever separator comes first.

    A password may hold ':' or ',' (in CSV, quote it: `bob,"pa,ss"`); a user name holds neither.
    """
    colon, comma = line.find(":"), line.find(",")
    if colon >= 0 and (comma < 0 or colon < comma):
        name, _, password = line.partition(":")
        return name, password, ""
    if comma < 0:
        raise InputError(f"{where}: expected NAME:PASSWORD or NAME,PASSWORD[,NOTE]")
    try:
        fields = next(csv.reader([line], strict=True))
    except csv.Error:
        raise InputError(f"{where}: not valid CSV (check the quotes)") from None
    if len(fields) not in (2, 3):
        raise InputError(f"{where}: expected NAME,PASSWORD[,NOTE] (found {len(fields)} fields)")
    return fields[0], fields[1], fields[2] if len(fields) == 3 else ""


def is_header(line: str) -> bool:
    """A CSV header such as `name,password,note` (skipped)."""
    fields = tuple(field.strip().strip('"').lower() for field in line.split(","))
    return fields in (CSV_HEADER, CSV_HEADER[:2])


def error_in(note: str) -> str | None:
    """The `error=CODE` tag of a note, if any."""
    for word in note.split():
        if word.lower().startswith(ERROR_TAG):
            return word[len(ERROR_TAG):]
    return None


def pronounceable(rng: secrets.SystemRandom | None = None, syllables: int = 4) -> str:
    """A password a student can say and type: consonant-vowel syllables and two digits, e.g. `bakotimu42`.

    4 syllables of 16 x 5 and 2 digits: about 32 bits, plenty for a lab account a class uses for an hour.
    """
    rng = rng or secrets.SystemRandom()
    word = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))
    return word + f"{rng.randrange(100):02d}"


def make_class(count: int, prefix: str = "student") -> list[tuple[str, str]]:
    """`count` accounts student01... with fresh pronounceable passwords (from the secrets module)."""
    if not 1 <= count <= MAKE_ACCOUNTS_LIMIT:
        raise InputError(f"--make-accounts {count}: use 1 to {MAKE_ACCOUNTS_LIMIT}")
    width = max(2, len(str(count)))
    rng = secrets.SystemRandom()
    return [(f"{prefix}{number:0{width}d}", pronounceable(rng)) for number in range(1, count + 1)]


def write_csv(path: str | Path, accounts: list[tuple[str, str]]) -> None:
    """Write `name,password,note` to a new file, mode 0600; InputError if it exists or cannot be written."""
    lines = [",".join(CSV_HEADER)] + [f"{name},{password}," for name, password in accounts]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{path} already exists: it may hold passwords already handed out; "
                         "remove it or choose another name") from None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def make_class_file(count: int, path: str | Path) -> list[tuple[str, str]]:
    """`count` fresh class accounts, written to the new file `path` (0600) before they are used."""
    made = make_class(count)
    write_csv(path, made)
    return made
