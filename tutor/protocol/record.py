"""Record: the base of the protocol core's small immutable value classes (replies, commands, lines, events).

It gives what `@dataclass(frozen=True)` gave them (a repr of the fields, equality and a hash by the compared
fields, FrozenInstanceError on assignment) without the cost of defining one: a dataclass execs generated source
for each of its methods when its module is imported (~0.5 ms a class), and the REPL imports these before its first
prompt (docs/PERFORMANCE.md, "REPL start-up"). A subclass lists its fields in `__slots__` (in order) and writes
its `__init__` with `_set`; `_compared` names the fields equality and the hash use (default: all of them).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from operator import attrgetter
from typing import Any, ClassVar

_set = object.__setattr__   # how an __init__ fills a field (as a frozen dataclass's does)


class Record:
    """An immutable value: fields in `__slots__`, compared (and hashed) by those in `_compared`."""

    __slots__ = ()
    _compared: ClassVar[tuple[str, ...] | None] = None   # None: every field in __slots__
    _key: ClassVar[Any] = staticmethod(lambda record: ())   # the compared fields' values, set per subclass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        compared = cls.__slots__ if cls._compared is None else cls._compared
        if compared:
            cls._key = attrgetter(*compared)

    def __repr__(self) -> str:
        names: tuple[str, ...] = self.__slots__
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key(self) == other._key(other)

    def __hash__(self) -> int:
        return hash(self._key(self))

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
