"""The store's query language: conditions on record fields, orderings and aggregates.

Every store adapter (memory, SQLite, PostgreSQL) understands exactly these terms,
so a service states *what* it wants once and each adapter decides *how*: SQL
compiles them to a WHERE clause, the memory adapter evaluates :func:`matches`.

Semantics, the same on every adapter (the store contract suite checks them):

* a comparison with a NULL field (or a NULL value) is false, as in SQL; only
  :func:`is_null` / :func:`not_null` test for NULL (``eq(f, None)`` is ``is_null``);
* ``isin(f, [])`` is false and ``notin(f, [])`` is true for non-NULL fields;
* orderings put NULLs first when ascending and last when descending;
* conditions passed side by side are AND-ed; :func:`any_of` ORs groups of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null")


@dataclass(frozen=True, slots=True)
class Cond:
    """`field op value` on one record field."""

    field: str
    op: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"unknown operator {self.op!r}")


@dataclass(frozen=True, slots=True)
class AnyOf:
    """True when every condition of at least one branch holds."""

    branches: tuple[tuple[Criterion, ...], ...]


Criterion = Cond | AnyOf


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Measure:
    """An aggregate over matching records: count(*), or sum/min/max/count_distinct of a field."""

    fn: str  # count | sum | min | max | count_distinct
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Inc:
    """An update value that adds `amount` to the field's current value."""

    amount: int


def eq(field: str, value: Any) -> Cond:
    return Cond(field, "is_null") if value is None else Cond(field, "==", value)


def ne(field: str, value: Any) -> Cond:
    return Cond(field, "not_null") if value is None else Cond(field, "!=", value)


def lt(field: str, value: Any) -> Cond:
    return Cond(field, "<", value)


def le(field: str, value: Any) -> Cond:
    return Cond(field, "<=", value)


def gt(field: str, value: Any) -> Cond:
    return Cond(field, ">", value)


def ge(field: str, value: Any) -> Cond:
    return Cond(field, ">=", value)


def isin(field: str, values: Iterable[Any]) -> Cond:
    return Cond(field, "in", tuple(values))


def notin(field: str, values: Iterable[Any]) -> Cond:
    return Cond(field, "not_in", tuple(values))


def is_null(field: str) -> Cond:
    return Cond(field, "is_null")


def not_null(field: str) -> Cond:
    return Cond(field, "not_null")


def any_of(*branches: Criterion | Sequence[Criterion]) -> AnyOf:
    """OR of branches; a branch is one criterion or a sequence of them (AND-ed)."""
    return AnyOf(tuple((b,) if isinstance(b, Cond | AnyOf) else tuple(b) for b in branches))


def asc(field: str) -> Order:
    return Order(field)


def desc(field: str) -> Order:
    return Order(field, descending=True)


COUNT = Measure("count")


def counted(field: str) -> Measure:
    """How many matching records have a value (not NULL) in `field`."""
    return Measure("count", field)


def total(field: str) -> Measure:
    return Measure("sum", field)


def smallest(field: str) -> Measure:
    return Measure("min", field)


def largest(field: str) -> Measure:
    return Measure("max", field)


def distinct_count(field: str) -> Measure:
    return Measure("count_distinct", field)


# --- evaluation in Python (the memory adapter; also the reference semantics) ---------


def _compare(op: str, found: Any, value: Any) -> bool:
    if op == "is_null":
        return found is None
    if op == "not_null":
        return found is not None
    if found is None:
        return False
    if op == "in":
        return any(found == v for v in value if v is not None)
    if op == "not_in":
        return all(found != v for v in value if v is not None) and None not in value
    if value is None:
        return False
    return bool(_BINARY[op](found, value))


_BINARY: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def holds(criterion: Criterion, fields: Mapping[str, Any]) -> bool:
    if isinstance(criterion, Cond):
        return _compare(criterion.op, fields.get(criterion.field), criterion.value)
    return any(all(holds(c, fields) for c in branch) for branch in criterion.branches)


def matches(record: Any, where: Sequence[Criterion]) -> bool:
    """Whether a record (any object with these attributes) satisfies every criterion."""
    fields = record.__dict__
    return all(holds(c, fields) for c in where)


class _Key:
    """A sort key with SQL's NULL placement: NULLs first ascending, last descending."""

    __slots__ = ("values",)

    def __init__(self, values: tuple[tuple[bool, Any, bool], ...]) -> None:
        self.values = values

    def __lt__(self, other: _Key) -> bool:
        for (a_null, a, descending), (b_null, b, _) in zip(self.values, other.values, strict=True):
            if a_null or b_null:
                if a_null == b_null:
                    continue
                # ascending: NULL < value; descending: NULL sorts last, i.e. "greater"
                return a_null if not descending else b_null
            if a == b:
                continue
            return bool(a > b) if descending else bool(a < b)
        return False


def sort_key(order: Sequence[Order]) -> Callable[[Any], _Key]:
    def key(record: Any) -> _Key:
        fields = record.__dict__
        return _Key(
            tuple((fields.get(o.field) is None, fields.get(o.field), o.descending) for o in order)
        )

    return key


def measure(m: Measure, records: Sequence[Any]) -> Any:
    """One aggregate over records, with SQL's rules (NULLs ignored; empty min/max/sum is None)."""
    if m.fn == "count" and m.field is None:
        return len(records)
    assert m.field is not None
    values = [getattr(r, m.field) for r in records if getattr(r, m.field) is not None]
    if m.fn == "count":
        return len(values)
    if m.fn == "count_distinct":
        return len(set(values))
    if not values:
        return None
    if m.fn == "sum":
        return sum(values)
    return min(values) if m.fn == "min" else max(values)


R = TypeVar("R")


@dataclass(frozen=True)
class Query(Generic[R]):
    """A listing to page through: which records, in which order."""

    kind: type[R]
    where: tuple[Criterion, ...] = ()
    order: tuple[Order, ...] = ()

    def filtered(self, *more: Criterion) -> Query[R]:
        return Query(self.kind, (*self.where, *more), self.order)
