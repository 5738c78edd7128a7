"""Command history in the user's XDG state directory, never holding a password or an AUTH answer.

Kept out: every line typed inside an AUTH exchange (answers, and helpers such as `:b64 encode PASSWORD`
used to make them), the initial response of `AUTH MECH ir`, helper password arguments (`:plain tim PASSWORD`
is kept as `:plain tim`, which asks again), any line with a base64 word that decodes to a credential (a PLAIN,
XOAUTH2 or OAUTHBEARER message, e.g. `:decode AHRpbQB0...`) and any line containing a password the tutor has
seen in this session. When a password becomes known later (sent by hand), lines already stored that hold it are removed.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from pathlib import Path

from prompt_toolkit.history import FileHistory

APP_DIR = "smtp-tutor"
MIN_SECRET = 3     # shorter "passwords" would match half of every line; they are matched as whole words
_BASE64_WORD = re.compile(r"[A-Za-z0-9+/]{6,}={0,2}")   # the shortest PLAIN message, \0a\0b, is 8 characters
MAX_HISTORY = 4 * 1024 * 1024   # octets: years of typing; a bigger file (or /dev/zero) is not read
MAX_BASE64_WORDS = 32   # looked at per line: a line is short, and this keeps a pasted wall of text cheap


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_STATE_HOME/smtp-tutor, else ~/.local/state/smtp-tutor (XDG Base Directory spec)."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / APP_DIR


def history_path(env: Mapping[str, str] | None = None) -> Path:
    return state_dir(env) / "history"


def contains_secret(line: str, secrets: Iterable[str]) -> bool:
    """True when a known password (or other secret) appears in the line."""
    tokens = set(line.split())
    return any(s in line if len(s) >= MIN_SECRET else s in tokens for s in secrets if s)


def credentials_in(line: str) -> list[str] | None:
    """The passwords and tokens that base64 words of the line decode to (a PLAIN, XOAUTH2 or OAUTHBEARER
    message: tutor.sasl.identify marks those fields secret); None when the line carries none."""
    from tutor.errors import InputError
    from tutor.protocol import b64
    from tutor.sasl.identify import identify

    found: list[str] = []
    for match in islice(_BASE64_WORD.finditer(line), MAX_BASE64_WORDS):
        if len(match.group()) % 4:
            continue
        try:
            data = b64.decode(match.group())
        except InputError:
            continue
        if b"\0" not in data and b"\x01" not in data:     # PLAIN separates with NUL, the bearer messages with ^A
            continue
        secrets = [f.value for f in identify(data, "", from_server=False).fields if f.secret]
        found += [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in secrets]
        found += [""] if secrets == [] and data.count(b"\0") == 2 else []   # PLAIN with an empty password
    return found if found else None


def without_initial_response(line: str) -> str:
    """`AUTH PLAIN dGlt...` -> `AUTH PLAIN`: the initial response carries credentials (RFC 4954 §4).

    Any whitespace separates the words (`AUTH<TAB>PLAIN blob` reaches servers that split on tabs)."""
    from tutor.sasl.registry import recorded_as_secret

    words = line.split(None, 2)
    if len(words) == 3 and words[0].upper() == "AUTH" and recorded_as_secret(words[1], 1):   # by role
        return f"{words[0]} {words[1]}"
    return line


def safe_form(line: str, *, in_auth: bool, secrets: Iterable[str],
              redact_command: Callable[[str], str | None]) -> str | None:
    """What may be stored for a typed line; None to store nothing."""
    if not line.strip() or in_auth:
        return None
    if line.startswith(":") and not line.startswith("::"):
        redacted = redact_command(line[1:])
        if redacted is None:
            return None
        line = ":" + redacted
    else:
        line = without_initial_response(line)
    if contains_secret(line, secrets) or credentials_in(line) is not None:
        return None
    return line


class SafeHistory(FileHistory):
    """A FileHistory (0600, in a 0700 directory) that stores only what `keep` returns for each line.

    When the file cannot be made or written, history lives in memory only and `problem` says why.
    """

    def __init__(self, path: str | os.PathLike, keep: Callable[[str], str | None]) -> None:
        target = Path(path)
        self.problem = ""
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not target.exists():
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            self.problem = f"{target}: {exc.strerror or exc}"
        self.problem = self.problem or _unreadable(target)
        super().__init__(str(target))
        self._keep = keep

    def append_string(self, string: str) -> None:
        safe = self._keep(string)
        if safe:
            super().append_string(safe)

    @property
    def _where(self) -> str:
        """The history file's name as text (FileHistory allows bytes and path objects too)."""
        return os.fsdecode(self.filename)

    def load_history_strings(self) -> Iterable[str]:
        self.problem = self.problem or _unreadable(Path(self._where))
        if self.problem:
            return      # nothing read from a file that is not a bounded regular file
        try:
            stored = list(super().load_history_strings())          # newest first
        except (OSError, UnicodeDecodeError) as exc:
            self.problem = self.problem or f"{self._where}: {getattr(exc, 'strerror', None) or exc}"
            return
        kept = [line for line in stored if credentials_in(line) is None]
        if len(kept) != len(stored):     # a credential kept by an older version: out of the file too
            try:
                self._rewrite(kept[::-1])
            except OSError as exc:
                self.problem = f"{self._where}: {exc.strerror or exc}"
        yield from kept

    def store_string(self, string: str) -> None:
        if self.problem:
            return
        try:
            super().store_string(string)
        except OSError as exc:
            self.problem = f"{self._where}: {exc.strerror or exc}"

    def scrub(self, secrets: Iterable[str]) -> int:
        """Remove stored lines that contain any of `secrets` (file and memory); returns how many went."""
        secrets = [s for s in secrets if s]
        self._loaded_strings = [s for s in self._loaded_strings if not contains_secret(s, secrets)]
        if self.problem:
            return 0
        try:
            return self._scrub_file(secrets)
        except OSError as exc:
            self.problem = f"{self._where}: {exc.strerror or exc}"
            return 0

    def _scrub_file(self, secrets: list[str]) -> int:
        stored = list(self.load_history_strings())[::-1]          # oldest first, from the file
        if self.problem:                                           # unreadable: never rewrite half of it
            return 0
        kept = [s for s in stored if not contains_secret(s, secrets)]
        if len(kept) != len(stored):
            self._rewrite(kept)
        return len(stored) - len(kept)

    def _rewrite(self, kept: list[str]) -> None:
        """Replace the file with `kept` (oldest first), atomically, 0600."""
        tmp = Path(str(self.filename) + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for entry in kept:
                out.write("\n# kept\n" + "".join(f"+{part}\n" for part in entry.split("\n")))
        os.replace(tmp, self.filename)


def _unreadable(path: Path) -> str:
    """Why the history file must not be read (not a regular file, or over MAX_HISTORY octets), else ""."""
    try:
        found = path.stat()
    except OSError:
        return ""       # missing: FileHistory starts empty; other errors show up when it is opened
    if not stat.S_ISREG(found.st_mode):
        return f"{path}: not a regular file"
    if found.st_size > MAX_HISTORY:
        return f"{path}: larger than {MAX_HISTORY // (1024 * 1024)} MB (move it away to start a new one)"
    return ""
