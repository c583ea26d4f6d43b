"""The memory store adapter: the whole store in dictionaries, for tests and single-process use.

It follows the same schema facts as the SQL adapters (keys, unique constraints,
cascades; see :mod:`switchboard.store.schema`) and the same query semantics
(:mod:`switchboard.kernel.criteria`); the store contract suite runs one set of
tests against it, SQLite and PostgreSQL.

A write unit works on copies: queries see the unit's own changes laid over the
committed records, and commit swaps the changed records in at once (no await in
between, so no other task ever sees half a transaction). Write units run one at a
time, like SQLite's single writer.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from switchboard.kernel.changes import Changes, NewWork
from switchboard.kernel.criteria import (
    Cond,
    Criterion,
    Inc,
    Measure,
    Order,
    asc,
    holds,
    measure,
    sort_key,
)
from switchboard.kernel.errors import Conflict
from switchboard.store.schema import RecordType, Schema
from switchboard.store.tracking import CommitHook, Observers, Tracker

R = TypeVar("R")
Key = tuple[Any, ...]
# records carrying this field are also indexed by it (every tenant-scoped query names it)
INDEXED = "workspace_sid"


class _Table:
    """The committed records of one type, by key, plus an index by workspace."""

    def __init__(self, rt: RecordType) -> None:
        self.rt = rt
        self.rows: dict[Key, Any] = {}
        self.indexed = INDEXED in rt.fields
        self.by_workspace: dict[Any, set[Key]] = defaultdict(set)
        self.sequence = itertools.count(1)

    def put(self, record: Any) -> None:
        key = self.rt.key_of(record)
        old = self.rows.get(key)
        if old is not None and self.indexed:
            self.by_workspace[getattr(old, INDEXED)].discard(key)
        self.rows[key] = record
        if self.indexed:
            self.by_workspace[getattr(record, INDEXED)].add(key)

    def remove(self, key: Key) -> None:
        old = self.rows.pop(key, None)
        if old is not None and self.indexed:
            self.by_workspace[getattr(old, INDEXED)].discard(key)

    def candidates(self, where: Sequence[Criterion]) -> Iterator[tuple[Key, Any]]:
        if self.indexed:
            for c in where:
                if isinstance(c, Cond) and c.field == INDEXED and c.op == "==":
                    rows = self.rows
                    for key in list(self.by_workspace.get(c.value, ())):
                        yield key, rows[key]
                    return
        yield from list(self.rows.items())


class _Row:
    """A bag of fields, so group keys sort with the records' NULL rules."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)


class MemoryUnit:
    """One transaction over the memory store (see :class:`switchboard.kernel.ports.Unit`)."""

    def __init__(self, store: MemoryStore, *, writable: bool) -> None:
        self.store = store
        self.schema = store.schema
        self.writable = writable
        self._t = Tracker(store.schema, writable)
        self._deleted: set[tuple[type[Any], Key]] = set()

    # --- the unit's view: committed records with this unit's changes on top ------------

    def _own(self, rt: RecordType, key: Key, committed: Any) -> Any:
        known = self._t.known(rt, key)
        if known is not None:
            return known
        return self._t.adopt(rt, copy.copy(committed))

    def _view(self, rt: RecordType, where: Sequence[Criterion]) -> list[Any]:
        """Matching records, each already this unit's own copy."""
        found = []
        for key, committed in self.store.table(rt).candidates(where):
            if (rt.cls, key) in self._deleted:
                continue
            current = self._t.known(rt, key) or committed
            if all(holds(c, current.__dict__) for c in where):
                found.append(self._own(rt, key, committed))
        for record in self._t.new:
            if type(record) is rt.cls and all(holds(c, record.__dict__) for c in where):
                found.append(record)
        return found

    async def get(self, kind: type[R], key: Any) -> R | None:
        rt = self.schema.of(kind)
        normal = rt.normal_key(key)
        if (kind, normal) in self._deleted:
            return None
        known = self._t.known(rt, normal)
        if known is not None:
            return known  # type: ignore[no-any-return]
        committed = self.store.table(rt).rows.get(normal)
        if committed is not None:
            return self._own(rt, normal, committed)  # type: ignore[no-any-return]
        for record in self._t.new:
            if type(record) is kind and rt.key_of(record) == normal:
                return record
        return None

    async def select(
        self,
        kind: type[R],
        *where: Criterion,
        order: Sequence[Order] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[R]:
        rt = self.schema.of(kind)
        records = self._view(rt, where)
        named = {o.field for o in order}
        records.sort(key=sort_key([*order, *(asc(k) for k in rt.key if k not in named)]))
        end = None if limit is None else offset + limit
        return records[offset:end]

    async def first(
        self, kind: type[R], *where: Criterion, order: Sequence[Order] = ()
    ) -> R | None:
        found = await self.select(kind, *where, order=order, limit=1)
        return found[0] if found else None

    async def count(self, kind: type[Any], *where: Criterion) -> int:
        return len(self._view(self.schema.of(kind), where))

    async def exists(self, kind: type[Any], *where: Criterion) -> bool:
        return bool(self._view(self.schema.of(kind), where))

    async def values(
        self, kind: type[Any], field: str, *where: Criterion, distinct: bool = False
    ) -> list[Any]:
        records = await self.select(kind, *where)
        found = [getattr(r, field) for r in records]
        return list(dict.fromkeys(found)) if distinct else found

    async def aggregate(
        self, kind: type[Any], by: Sequence[str], *where: Criterion, **measures: Measure
    ) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        for record in self._view(self.schema.of(kind), where):
            groups[tuple(getattr(record, name) for name in by)].append(record)
        if not by and not groups:
            groups[()] = []
        ordered = sorted(
            groups.items(),
            key=lambda item: sort_key([asc(n) for n in by])(
                _Row(dict(zip(by, item[0], strict=True)))
            ),
        )
        return [
            {
                **dict(zip(by, key, strict=True)),
                **{name: measure(m, records) for name, m in measures.items()},
            }
            for key, records in ordered
        ]

    # --- writes ---------------------------------------------------------------------

    def add(self, record: Any) -> None:
        self._t.require_writable()
        rt = self.schema.of(type(record))
        if rt.autoincrement is not None and getattr(record, rt.autoincrement) is None:
            setattr(record, rt.autoincrement, next(self.store.table(rt).sequence))
        self._t.new.append(record)

    async def delete(self, record: Any) -> None:
        self._t.require_writable()
        rt = self.schema.of(type(record))
        if any(r is record for r in self._t.new):
            self._t.new = [r for r in self._t.new if r is not record]
            return
        key = rt.key_of(record)
        self._deleted.add((rt.cls, key))
        self._t.forget(rt, record)
        for cascade in rt.cascades:
            child = self.schema.of(cascade.child)
            for dependent in self._view(child, [Cond(cascade.column, "==", key[0])]):
                await self.delete(dependent)

    async def update_where(
        self, kind: type[Any], values: Mapping[str, Any], *where: Criterion
    ) -> int:
        self._t.require_writable()
        records = self._view(self.schema.of(kind), where)
        for record in records:
            for name, value in values.items():
                new = getattr(record, name) + value.amount if isinstance(value, Inc) else value
                setattr(record, name, new)
        return len(records)

    async def delete_where(self, kind: type[Any], *where: Criterion) -> int:
        self._t.require_writable()
        records = self._view(self.schema.of(kind), where)
        for record in records:
            await self.delete(record)
        return len(records)

    async def accumulate(
        self, kind: type[Any], rows: Sequence[Mapping[str, Any]], add: Sequence[str]
    ) -> None:
        self._t.require_writable()
        rt = self.schema.of(kind)
        for row in rows:
            existing = await self.get(kind, tuple(row[name] for name in rt.key))
            if existing is None:
                self.add(kind(**row))
                continue
            for name in add:
                setattr(existing, name, getattr(existing, name) + row[name])

    async def flush(self) -> None:
        """Nothing to write before commit: queries already see the unit's changes."""

    def after_commit(self, hook: Callable[[], Awaitable[None] | None]) -> None:
        self._t.add_hook(hook)

    def changed(self) -> Changes:
        found = self._t.changed()
        for cls, key in self._deleted:
            found.note(cls, key)
        return self._t.with_claim(found)

    def claim(self, opens: str, work: NewWork | None = None) -> None:
        self._t.claim(opens, self.changed(), work)

    # --- commit -------------------------------------------------------------------------

    def _commit(self) -> None:
        """Check unique constraints, then swap everything in (synchronously: atomic)."""
        writes = [*(record for _rt, record, _changed in self._t.changes()), *self._t.new]
        self._check_unique(writes)
        for cls, key in self._deleted:
            self.store.table(self.schema.of(cls)).remove(key)
        for record in writes:
            self.store.table(self.schema.of(type(record))).put(copy.copy(record))
        self._t.written = self.changed()
        self._deleted = set()
        for record in self._t.new:
            self._t.adopt(self.schema.of(type(record)), record)
        self._t.new = []

    def _check_unique(self, writes: list[Any]) -> None:
        for record in writes:
            rt = self.schema.of(type(record))
            own = rt.key_of(record)
            for columns in rt.uniques:
                values = tuple(getattr(record, c) for c in columns)
                if None in values:
                    continue
                where = [Cond(c, "==", v) for c, v in zip(columns, values, strict=True)]
                clash = [r for r in self._view(rt, where) if rt.key_of(r) != own]
                if clash:
                    raise Conflict(
                        f"The change conflicts with existing data: {rt.table.name} "
                        f"{', '.join(columns)} = {values} already exists"
                    )

    async def _committed(self) -> None:
        await self._t.run_hooks()


class MemoryStore:
    """Every record in dictionaries; one writer at a time."""

    kind = "memory"
    url = "memory://"
    is_sqlite = False

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._tables: dict[type[Any], _Table] = {}
        self._writer = asyncio.Lock()
        self.observers = Observers()

    def table(self, rt: RecordType) -> _Table:
        table = self._tables.get(rt.cls)
        if table is None:
            table = self._tables[rt.cls] = _Table(rt)
        return table

    @asynccontextmanager
    async def read(self, *, short: bool = False) -> AsyncIterator[MemoryUnit]:
        yield MemoryUnit(self, writable=False)

    @asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[MemoryUnit]:
        async with self._writer:
            unit = MemoryUnit(self, writable=True)
            yield unit
            unit._commit()
        await unit._committed()
        self.observers.told(lock, unit.changed())

    def observe(self, hook: CommitHook) -> None:
        self.observers.add(hook)

    def forget(self, changes: Changes) -> None:
        """Nothing is copied: every read is of the records themselves."""

    async def dispose(self) -> None:
        self._tables.clear()
