"""Workers grouped by the value a target expression compares with ``==``.

A target such as ``worker.lang == task.lang`` can only hold for the workers whose
``lang`` equals the task's, so the engine reads that group instead of scanning the
whole queue (issue 10: nothing in a routing pass scans all workers). The grouping
key must never separate two values the expression language finds equal: ``1`` and
``1.0`` share a key, ``true`` and ``1`` do not (see `expressions._same`). Keys may
join values that are not equal, because every candidate is still checked against the
whole expression; a value that cannot be keyed (nested too deep) is put in every group.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Generic, TypeVar

from switchboard.distribution.domain.expressions import (
    Expression,
    Getter,
    Path,
    reference_getter,
)

T = TypeVar("T")


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NOWHERE: Final = _Marker("NOWHERE")  # the value equals nothing (missing, null, or unkeyable)
EVERYWHERE: Final = _Marker("EVERYWHERE")  # the value cannot be keyed: it may equal anything
_NUMERIC = (int, float)


class _Never(Exception):
    """A value inside a list or object that `==` finds equal to nothing."""


class _Unkeyable(Exception):
    """A value `==` may find equal to others that no key here stands for."""


def equality_key(value: Any) -> Hashable:
    """A key that two values share whenever ``==`` finds them equal.

    NOWHERE for a value ``==`` finds equal to nothing (NULL at the top, or holding a
    type the language does not compare), EVERYWHERE when the value is too deep to key.
    """
    if value is None:
        return NOWHERE
    try:
        return _key(value)
    except _Never:
        return NOWHERE
    except (_Unkeyable, RecursionError):
        return EVERYWHERE


def _key(value: Any) -> Hashable:
    kind = type(value)
    if value is None:
        return ("z",)  # inside a list or object, null equals null
    if kind is bool:
        return ("b", value)
    if kind is str:
        return ("s", value)
    if kind in _NUMERIC:
        return ("n", value)  # 1 == 1.0 and hash(1) == hash(1.0)
    if isinstance(value, list | tuple):
        return ("l", tuple(_key(item) for item in value))
    if isinstance(value, Mapping):
        return ("m", frozenset((name, _key(item)) for name, item in value.items()))
    if isinstance(value, str):
        raise _Unkeyable  # a subclass of str: its own == decides
    raise _Never


@dataclass(frozen=True, slots=True)
class Probe:
    """Where a task's target reads a worker attribute (`path`, below `worker`) that must
    equal a value keyed `key` (NOWHERE: no worker can match)."""

    path: Path
    key: Hashable


@lru_cache(maxsize=4096)
def _getter(path: Path) -> Getter:
    return reference_getter(path)


def probe(expression: Expression | None, context: Mapping[str, Any]) -> Probe | None:
    """The first `==` conjunct of `expression` comparing a worker attribute with something
    the task decides (a task attribute, a constant), keyed by the task's side; None when
    there is none that narrows the search. `context` holds what is not `worker`."""
    if expression is None:
        return None
    for equality in expression.equalities:
        sides = (
            (equality.left, equality.right, equality.right_value),
            (equality.right, equality.left, equality.left_value),
        )
        for mine, other, constant in sides:
            if mine is None or len(mine) < 2 or mine[0] != "worker":
                continue
            if other is not None and other[0] == "worker":
                continue
            try:
                value = constant if other is None else _getter(other)(context)
            except (RecursionError, TypeError, ValueError):
                continue  # the whole expression will judge it
            key = equality_key(value)
            if key is not EVERYWHERE:
                return Probe(mine[1:], key)
    return None


class EqualityIndex(Generic[T]):
    """Items grouped by the key of the value at `path` in their context (a worker's)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._get = _getter(path)
        self.groups: dict[Hashable, dict[str, T]] = {}
        self.everywhere: dict[str, T] = {}
        self.where: dict[str, Hashable] = {}

    def add(self, sid: str, context: Mapping[str, Any], item: T) -> None:
        self.discard(sid)
        try:
            key = equality_key(self._get(context))
        except (RecursionError, TypeError, ValueError):  # evaluation would match nothing
            key = EVERYWHERE
        if key is NOWHERE:
            return
        self.where[sid] = key
        group = self.everywhere if key is EVERYWHERE else self.groups.setdefault(key, {})
        group[sid] = item

    def discard(self, sid: str) -> None:
        key = self.where.pop(sid, NOWHERE)
        if key is NOWHERE:
            return
        if key is EVERYWHERE:
            self.everywhere.pop(sid, None)
            return
        group = self.groups[key]
        del group[sid]
        if not group:
            del self.groups[key]

    def members(self, key: Hashable) -> list[T]:
        """The items whose value may equal one keyed `key`."""
        group = self.groups.get(key)
        found = list(group.values()) if group else []
        if self.everywhere:
            found.extend(self.everywhere.values())
        return found
