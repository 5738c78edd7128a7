"""A cache of the parsed teaching prose (tutor/data/*.toml) under the XDG cache dir, so a start parses no TOML.

One file per TOML file, in marshal format (data only: no code runs when it is read), in a directory named after
the Python version, the tutor's version and where the tutor is installed (two installs of one version, say a
venv and an editable checkout, would otherwise rewrite each other's files on every start), and checked against
the source's path, size and modification time: an edited, replaced or upgraded file is parsed again. A missing,
unreadable, stale or corrupt cache file is ignored (the TOML is parsed as if there were none); a cache that cannot
be written is not an error either.
"""

from __future__ import annotations

import binascii
import marshal
import os
import sys

from tutor import __version__

FORMAT = 1   # bump when what is stored changes
_PY = f"py{sys.version_info[0]}{sys.version_info[1]}"
_INSTALL = f"{binascii.crc32(os.path.dirname(os.path.abspath(__file__)).encode('utf-8', 'surrogateescape')):08x}"


def cache_dir() -> str:
    """$XDG_CACHE_HOME/smtp-tutor/prose-<python>-<version>-<install> (~/.cache when XDG_CACHE_HOME is unset or
    relative; <install>: a CRC-32 of the package's directory)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "smtp-tutor", f"prose-{_PY}-{__version__}-{_INSTALL}")


def _stamp(source: str) -> tuple | None:
    try:
        info = os.stat(source)
    except OSError:
        return None
    return (FORMAT, os.path.abspath(source), info.st_size, info.st_mtime_ns)


def _file(name: str) -> str:
    return os.path.join(cache_dir(), f"{name}.marshal")


def read(name: str, source: str) -> dict | None:
    """The cached parse of `source`, or None if there is none that matches it exactly."""
    stamp = _stamp(source)
    if stamp is None:
        return None
    try:
        with open(_file(name), "rb") as cached:
            stored = marshal.loads(cached.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == stamp and isinstance(stored[1], dict)):
        return None
    return stored[1]


def write(name: str, source: str, data: dict) -> None:
    """Keep `data` (the parse of `source`) for the next start; silently nothing if it cannot be kept."""
    stamp = _stamp(source)
    if stamp is None:
        return
    target = _file(name)
    temporary = f"{target}.{os.getpid()}.tmp"
    try:
        payload = marshal.dumps((stamp, data))   # ValueError for values marshal cannot hold (TOML dates)
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        with open(temporary, "wb") as out:
            out.write(payload)
        os.replace(temporary, target)   # atomic: another start reads the old file or the new one, never half
    except (OSError, ValueError):
        try:
            os.unlink(temporary)
        except OSError:
            pass
