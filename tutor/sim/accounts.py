"""The simulated server's user accounts: name -> password, built in, from `--user NAME:PASSWORD` or a users file.

An account may carry a note (CSV's third field) and, through an `error=CODE` tag in it, an AUTH error policy
(tutor.sim.policy: 454, 534, 538, 432).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from tutor.errors import InputError
from tutor.escapes import check_utf8
from tutor.sim import account_files

# RFC 2195 §2's example user (so the RFC replays exactly under the fixed-challenge profile), and a simple one.
DEFAULT_USERS = {"tim": "tanstaaftanstaaf", "demo": "demo"}


class Accounts:
    """User names and their passwords; `lookup` is the SecretLookup the SASL server mechanisms call."""

    def __init__(self, users: Mapping[str, str] | None = None, notes: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None) -> None:
        self._users = dict(DEFAULT_USERS if users is None else users)
        self._notes = dict(notes or {})
        self._errors = dict(errors or {})            # name -> tutor.sim.policy code
        self._transitioned: set[str] = set()         # 432 policy: users who logged in once with PLAIN
        self._including: dict[tuple, Accounts] = {}
        self._scram: dict[tuple, object] = {}     # (user, hash, kind) -> ScramKeys, built once per account
        self._secret: bytes | None = None         # keys the made-up SCRAM salts of unknown users

    def server_secret(self, make: Callable[[], bytes]) -> bytes:
        """A secret shared by every connection using these accounts, made once by `make()`: the made-up salt of
        an unknown user then stays the same across connections, so probing twice reveals nothing."""
        if self._secret is None:
            self._secret = make()
        return self._secret

    def scram_keys(self, name: str, hash_: str, kind: str, salt: Callable[[], bytes], iterations: int):
        """The SCRAM record (salt, i, StoredKey, ServerKey) for `name`, built on first use and kept, as a real
        server keeps it instead of the password (RFC 5802 §3); None for an unknown user. `salt()` makes the
        salt when the record is built; `kind` separates records made in different ways ("random", "fixed")."""
        password = self._users.get(name)
        if password is None:
            return None
        key = (name, hash_, kind, iterations)
        if key not in self._scram:
            from tutor.sasl.scram_keys import make_keys
            try:
                self._scram[key] = make_keys(password, hash_, salt(), iterations)
            except InputError:      # SASLprep refuses the password (RFC 5802 §2.2): no SCRAM login can match
                self._scram[key] = None
        return self._scram[key]

    def error_for(self, name: str) -> str | None:
        """The account's AUTH error policy code (tutor.sim.policy), if its note has `error=CODE`."""
        return self._errors.get(name)

    def note_for(self, name: str) -> str:
        return self._notes.get(name, "")

    def transitioned(self, name: str) -> bool:
        """Has `name` done the 432 password transition (a PLAIN login) since the server started?"""
        return name in self._transitioned

    def mark_transitioned(self, name: str) -> None:
        self._transitioned.add(name)

    def including(self, extra: tuple[tuple[str, str, str], ...]) -> Accounts:
        """These accounts plus a profile's built-in (name, password, error) ones, made once and kept, so every
        connection shares one set (its SCRAM records, its password transitions). Given accounts win on a name."""
        if all(name in self._users for name, _, _ in extra):
            return self
        if extra not in self._including:
            users = {name: password for name, password, _ in extra if name not in self._users}
            errors = {name: code for name, _, code in extra if name in users}
            merged = Accounts({**self._users, **users}, self._notes, {**self._errors, **errors})
            merged._secret = self._secret
            self._including[extra] = merged
        return self._including[extra]

    def lookup(self, name: str) -> str | None:
        """The password of `name` (exact, case-sensitive match), or None for an unknown user."""
        return self._users.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._users)

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, name: object) -> bool:
        return name in self._users

    def __repr__(self) -> str:  # docs/ARCHITECTURE.md convention 14: never show a password
        return f"Accounts({', '.join(f'{n}:***' for n in self._users)})"

    @classmethod
    def default(cls) -> Accounts:
        """tim / tanstaaftanstaaf and demo / demo."""
        return cls(DEFAULT_USERS)

    @classmethod
    def from_specs(cls, specs: Iterable[str]) -> Accounts:
        """From `NAME:PASSWORD` strings (the password may itself contain ':'); InputError on a bad one."""
        users: dict[str, str] = {}
        for spec in specs:
            check_utf8(spec, "a --user value")   # named, not shown: it holds a password
            _add_spec(users, spec, f"--user {_shown(spec)}")
        if not users:
            raise InputError("no users given")
        return cls(users)

    @classmethod
    def from_file(cls, path: str | Path) -> Accounts:
        """From a file of `name:password` or CSV `name,password[,note]` lines (tutor.sim.account_files), at most
        USERS_FILE_LIMIT octets; blank lines, lines starting with '#' and a CSV header are skipped."""
        users: dict[str, str] = {}
        notes: dict[str, str] = {}
        errors: dict[str, str] = {}
        for number, line in enumerate(account_files.read_text(path).splitlines(), start=1):
            if line.strip() == "" or line.lstrip().startswith("#") or (number == 1 and account_files.is_header(line)):
                continue
            where = f"users file {path} line {number}"
            name, password, note = account_files.split_line(line, where)
            _add(users, name, password, where)
            _note(notes, errors, name, note, where)
        if not users:
            raise InputError(f"users file {path} has no users (expected lines of name:password or "
                             "name,password[,note])")
        return cls(users, notes, errors)

    def merged(self, other: Accounts) -> Accounts:
        """These accounts plus `other`'s (other wins on a shared name)."""
        return Accounts({**self._users, **other._users}, {**self._notes, **other._notes},
                        {**self._errors, **other._errors})


def _note(notes: dict[str, str], errors: dict[str, str], name: str, note: str, where: str) -> None:
    if note:
        notes[name] = note
    code = account_files.error_in(note)
    if code is not None:
        from tutor.sim import policy  # imports every mechanism: only for an account file's error codes

        try:
            errors[name] = policy.check_code(code, where)
        except ValueError as exc:
            raise InputError(str(exc)) from None


def _add_spec(users: dict[str, str], spec: str, where: str) -> None:
    name, colon, password = spec.partition(":")
    if not colon:
        raise InputError(f"{where}: expected NAME:PASSWORD")
    _add(users, name, password, where)


def _add(users: dict[str, str], name: str, password: str, where: str) -> None:
    if not name or name != name.strip() or any(c.isspace() for c in name):
        raise InputError(f"{where}: the user name must be non-empty and have no spaces")
    if not password:  # RFC 4616 §2: passwd = 1*SAFE
        raise InputError(f"{where}: the password must not be empty")
    if "\x00" in name + password:  # RFC 4616 §2: NUL cannot appear inside a field
        raise InputError(f"{where}: NUL characters are not allowed")
    if name in users:
        raise InputError(f"{where}: user {name!r} is given twice")
    users[name] = password


def _shown(spec: str) -> str:
    """A spec as it may appear in an error message: the password masked."""
    name, colon, _ = spec.partition(":")
    return f"{name}:***" if colon else "(no ':' in it)"
