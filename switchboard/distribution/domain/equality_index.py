"""Workers grouped by the value a target expression compares with ``==`` or ``HAS``.

A target such as ``worker.lang == task.lang`` can only hold for the workers whose
``lang`` equals the task's, so the engine reads that group instead of scanning the
whole queue (issue 10: nothing in a routing pass scans all workers). In the same way
``worker.skills HAS task.skill`` (or ``task.skill IN worker.skills``) holds only for
the workers with an item of ``skills`` equal to the task's skill, so a worker is
grouped under each item of its list, and ``worker.lang IN task.langs`` only for the
workers whose ``lang`` is one of the task's (or has an item that is). The grouping
key must never separate two values the expression language finds equal: ``1`` and
``1.0`` share a key, ``true`` and ``1`` do not (see `expressions._same`). Keys may
join values that are not equal, because every candidate is still checked against the
whole expression; a value that cannot be keyed (nested too deep) is put in every group.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Generic, TypeVar, overload

from sortedcontainers import SortedList

from switchboard.distribution.domain.expressions import (
    Equality,
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
_SEQ = (list, tuple)


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


# how a worker's value is keyed: by the whole value (`==`), by each item of a list the
# value must hold (`worker.skills HAS x`), or by the value or each of its items when it
# must be one of a list's items (`worker.lang IN task.langs`)
WHOLE: Final = "whole"
ITEMS: Final = "items"
ELEMENT: Final = "element"


def _item_keys(items: Any) -> frozenset[Hashable]:
    """The keys of a list's items, each as `==` inside a list compares it (null equals
    null there); an item equal to nothing adds none. Raises _Unkeyable/RecursionError."""
    found = set()
    for item in items:
        try:
            found.add(_key(item))
        except _Never:
            continue
    return frozenset(found)


def worker_keys(value: Any, mode: str) -> frozenset[Hashable] | _Marker:
    """The keys a worker's value is grouped under (EVERYWHERE: it cannot be keyed)."""
    try:
        if mode != WHOLE and isinstance(value, _SEQ):
            return _item_keys(value)
    except (_Unkeyable, RecursionError):
        return EVERYWHERE
    if mode == ITEMS:
        return frozenset()  # only a list can hold anything
    key = equality_key(value)
    if key is NOWHERE:
        return frozenset()
    return key if key is EVERYWHERE else frozenset((key,))


def task_keys(value: Any, mode: str) -> frozenset[Hashable] | None:
    """The keys a worker must have one of, given the task's side (None: cannot narrow)."""
    try:
        if mode == WHOLE:
            key = equality_key(value)
            return (
                None if key is EVERYWHERE else frozenset() if key is NOWHERE else frozenset((key,))
            )
        if mode == ELEMENT:  # the task's side is the list the worker's value must be in
            return _item_keys(value) if isinstance(value, _SEQ) else frozenset()
        if value is None:  # ITEMS: the worker's list must hold the task's value
            return frozenset()
        if isinstance(value, _SEQ):  # ... or any of its items
            return _item_keys(value)
        try:
            return frozenset((_key(value),))
        except _Never:
            return frozenset()
    except (_Unkeyable, RecursionError):
        return None


@dataclass(frozen=True, slots=True)
class Probe:
    """Where a task's target reads a worker attribute (`path`, below `worker`) whose
    keys, as `mode` keys it, must include one of `keys` (none: no worker can match)."""

    path: Path
    keys: frozenset[Hashable]
    mode: str = WHOLE


@lru_cache(maxsize=4096)
def _getter(path: Path) -> Getter:
    return reference_getter(path)


def _sides(equality: Equality) -> Iterator[tuple[Path | None, Path | None, Any, str]]:
    """(worker side, task side, task constant, mode) for each way round the conjunct can
    be read."""
    left, right = equality.left, equality.right
    if equality.op == "==":
        yield left, right, equality.right_value, WHOLE
        yield right, left, equality.left_value, WHOLE
    else:  # left HAS right
        yield left, right, equality.right_value, ITEMS
        yield right, left, equality.left_value, ELEMENT


def probe(expression: Expression | None, context: Mapping[str, Any]) -> Probe | None:
    """The first `==` or `HAS` conjunct of `expression` comparing a worker attribute with
    something the task decides (a task attribute, a constant), keyed by the task's side;
    None when there is none that narrows the search. `context` holds what is not
    `worker`."""
    if expression is None:
        return None
    for equality in expression.equalities:
        for mine, other, constant, mode in _sides(equality):
            if mine is None or len(mine) < 2 or mine[0] != "worker":
                continue
            if other is not None and other[0] == "worker":
                continue
            try:
                value = constant if other is None else _getter(other)(context)
            except (RecursionError, TypeError, ValueError):
                continue  # the whole expression will judge it
            keys = task_keys(value, mode)
            if keys is not None:
                return Probe(mine[1:], keys, mode)
    return None


class EqualityIndex(Generic[T]):
    """Items grouped by the keys of the value at `path` in their context (a worker's),
    as `mode` keys it."""

    def __init__(
        self, path: Path, mode: str = WHOLE, order: Callable[[T], Any] | None = None
    ) -> None:
        """`order`: also keep each group sorted by it (`members_in_order`)."""
        self.path = path
        self.mode = mode
        self._get = _getter(path)
        self.groups: dict[Hashable, dict[str, T]] = {}
        self.everywhere: dict[str, T] = {}
        self.where: dict[str, frozenset[Hashable] | _Marker] = {}
        self._order = order
        self._sorted: dict[Hashable, SortedList] = {}  # (order(item), sid) by group

    def add(self, sid: str, context: Mapping[str, Any], item: T) -> None:
        self.discard(sid)
        try:
            keys = worker_keys(self._get(context), self.mode)
        except (RecursionError, TypeError, ValueError):  # evaluation would match nothing
            keys = EVERYWHERE
        if keys is EVERYWHERE:
            self.where[sid] = keys
            self.everywhere[sid] = item
            return
        assert isinstance(keys, frozenset)
        if not keys:
            return
        self.where[sid] = keys
        for key in keys:
            self.groups.setdefault(key, {})[sid] = item
        if self._order is not None:
            rank = (self._order(item), sid)
            for key in keys:
                found = self._sorted.get(key)
                if found is None:
                    found = self._sorted[key] = SortedList()
                found.add(rank)

    def discard(self, sid: str) -> None:
        keys = self.where.pop(sid, None)
        if keys is None:
            return
        if keys is EVERYWHERE:
            self.everywhere.pop(sid, None)
            return
        assert isinstance(keys, frozenset)
        for key in keys:
            group = self.groups[key]
            item = group.pop(sid)
            if self._order is not None:
                self._sorted[key].remove((self._order(item), sid))
            if not group:
                del self.groups[key]
                self._sorted.pop(key, None)

    def members(self, keys: frozenset[Hashable]) -> list[T]:
        """The items whose value may match a task's side keyed `keys`."""
        if len(keys) == 1:
            [key] = keys
            group = self.groups.get(key)
            found = list(group.values()) if group else []
        else:
            union: dict[str, T] = {}
            for key in keys:
                union.update(self.groups.get(key, {}))
            found = list(union.values())
        if self.everywhere:
            found.extend(self.everywhere.values())
        return found

    def kept_in_order(self) -> bool:
        """Whether each group's kept order holds exactly its members, sorted (property
        tests check it after random histories)."""
        order = self._order
        if order is None:
            return not self._sorted
        return self._sorted.keys() == self.groups.keys() and all(
            list(self._sorted[key]) == sorted((order(item), sid) for sid, item in group.items())
            for key, group in self.groups.items()
        )

    def members_in_order(self, keys: frozenset[Hashable]) -> Sequence[T] | None:
        """`members(keys)` sorted by the index's order (None: no order kept). One group
        is read through its kept order (no copy); several, and the values that could
        not be keyed, are merged as they are read, so a reader that stops early pays
        for what it read."""
        order = self._order
        if order is None:
            return None
        found = [key for key in keys if key in self.groups]
        if len(found) == 1 and not self.everywhere:
            return SortedView(self._sorted[found[0]], self.groups[found[0]])
        sources: list[Iterator[tuple[Any, str, T]]] = [
            _tagged(self._sorted[key], self.groups[key]) for key in found
        ]
        if self.everywhere:
            ranked = sorted((order(item), sid) for sid, item in self.everywhere.items())
            sources.append(_tagged(ranked, self.everywhere))
        if not sources:
            return ()
        return _Merged(heapq.merge(*sources, key=lambda entry: entry[:2]))


class SortedView(Sequence[T]):
    """Items in the order of a sorted list of `(rank, sid)`, read through (no copy)."""

    def __init__(self, order: SortedList, items: Mapping[str, T]) -> None:
        self._order, self._items = order, items

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self._items[sid] for _rank, sid in self._order[index]]
        return self._items[self._order[index][1]]


def _tagged(
    ranked: Iterable[tuple[Any, str]], items: Mapping[str, T]
) -> Iterator[tuple[Any, str, T]]:
    for rank, sid in ranked:
        yield rank, sid, items[sid]


class _Merged(Sequence[T]):
    """Several groups' members in one order, each member once (a worker is in the group
    of each item of its list), taken from the merge only as far as they are read."""

    def __init__(self, merged: Iterator[tuple[Any, str, T]]) -> None:
        self._merged = merged
        self._items: list[T] = []
        self._last: tuple[Any, str] | None = None

    def _reach(self, index: int) -> None:
        while index < 0 or len(self._items) <= index:
            entry = next(self._merged, None)
            if entry is None:
                return
            rank, sid, item = entry
            if (rank, sid) == self._last:
                continue  # the same member, met again in another group
            self._last = (rank, sid)
            self._items.append(item)

    def __len__(self) -> int:
        self._reach(-1)
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice) or index < 0:
            self._reach(-1)
        else:
            self._reach(index)
        return self._items[index]
