"""The schema: which record class lives in which table, with its keys and cascades.

Each package declares its tables on :data:`metadata` (SQLAlchemy Core) and binds
each to its record dataclass. The SQL adapters read and write those tables; the
memory adapter takes the same facts from them (primary key, unique constraints,
`ON DELETE CASCADE` foreign keys), so both adapters follow one description.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import MetaData, Select, String, Table, UniqueConstraint, bindparam, select

from switchboard.store.direct import prepared

SID = String(34)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


@dataclass(frozen=True)
class Cascade:
    """Deleting a `parent` record deletes the `child` records whose `column` holds its key."""

    child: type[Any]
    column: str


class RowCodec(Protocol):
    """A table whose rows are stored in another form than its records hold (set as
    ``Table.info["codec"]``): the SQL store writes :meth:`encode`'s row and builds records
    from :meth:`decode`'s, so the records are the same as without it. The `columns` it
    changes are never compared or bulk-updated by value in SQL (criteria and
    `update_where` on them are refused); the memory store keeps records as they are."""

    columns: frozenset[str]

    def encode(self, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    def encode_many(
        self, rows: Sequence[Mapping[str, Any]], consecutive: bool
    ) -> list[dict[str, Any]]:
        """Rows written together, in order (`consecutive`: the database numbers them one
        after the other, so a row may refer to an earlier one by the difference)."""
        ...

    def bases(self, stored: Sequence[Mapping[str, Any]]) -> set[Any]:
        """The keys of the rows these stored rows refer to (read with them)."""
        ...

    def decode(
        self, stored: Mapping[str, Any], bases: Mapping[Any, Mapping[str, Any]] | None = None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RecordType:
    cls: type[Any]
    table: Table
    key: tuple[str, ...]
    fields: tuple[str, ...]
    autoincrement: str | None
    uniques: tuple[tuple[str, ...], ...]
    cascades: tuple[Cascade, ...] = ()
    codec: RowCodec | None = None

    @cached_property
    def by_key(self) -> Select[Any]:
        """`SELECT` of one row by its key, built once: SQLAlchemy memoizes a statement's
        cache key, so a reused statement skips rebuilding and re-keying it per read."""
        keyed = (self.table.c[name] == bindparam(f"k{i}") for i, name in enumerate(self.key))
        return prepared(select(self.table).where(*keyed))

    def key_params(self, normal: tuple[Any, ...]) -> dict[str, Any]:
        return {f"k{i}": value for i, value in enumerate(normal)}

    def key_of(self, record: Any) -> tuple[Any, ...]:
        fields = record.__dict__
        return tuple(fields[name] for name in self.key)

    def normal_key(self, key: Any) -> tuple[Any, ...]:
        return key if isinstance(key, tuple) else (key,)

    def row(self, record: Any) -> dict[str, Any]:
        """The row as stored (through the table's codec, when it has one)."""
        fields = record.__dict__
        row = {name: fields[name] for name in self.fields}
        return row if self.codec is None else self.codec.encode(row)

    def rows(self, records: Sequence[Any], consecutive: bool) -> list[dict[str, Any]]:
        """The rows of records written together, in order, as stored."""
        if self.codec is None:
            return [self.row(record) for record in records]
        fields = [{name: r.__dict__[name] for name in self.fields} for r in records]
        return self.codec.encode_many(fields, consecutive)

    def record(
        self, stored: Mapping[str, Any], bases: Mapping[Any, Mapping[str, Any]] | None = None
    ) -> Any:
        """The record of a stored row (through the table's codec, when it has one;
        `bases`: stored rows by key, among them those the row refers to)."""
        if self.codec is None:
            return self.cls(**stored)
        return self.cls(**self.codec.decode(stored, bases))

    def refuse_coded(self, names: Any) -> None:
        """Criteria and bulk updates compare stored values: not on coded columns."""
        if self.codec is None:
            return
        coded = self.codec.columns.intersection(names)
        if coded:
            raise ValueError(
                f"{self.table.name}.{sorted(coded)[0]} is stored coded: "
                "it cannot be compared or bulk-updated in SQL"
            )


class Schema:
    """Record classes and their tables; built once by the composition root."""

    def __init__(
        self,
        bindings: Mapping[type[Any], Table],
        cached: frozenset[type[Any]] = frozenset(),
        recent: frozenset[type[Any]] = frozenset(),
        recent_scope: str = "workspace_sid",
        scope_prefix: str = "",
    ) -> None:
        # configuration: read on every request, rarely changed; SQL stores keep copies
        self.cached = cached
        # the work in flight: SQL stores keep the copies they last committed
        self.recent = recent
        # the field of a recent record that names the lock its writers take (on
        # PostgreSQL its copies are kept and dropped per lock: store/write_marks.py)
        self.recent_scope = recent_scope
        # how the lock names that are scopes begin (a workspace sid's prefix): only their
        # locks keep write marks, so that other locks (one per conversation, say) add
        # no rows to `write_marks`
        self.scope_prefix = scope_prefix
        self._types: dict[type[Any], RecordType] = {}
        by_table = {table.name: cls for cls, table in bindings.items()}
        cascades: dict[type[Any], list[Cascade]] = defaultdict(list)
        for cls, table in bindings.items():
            for column in table.columns:
                for fk in column.foreign_keys:
                    parent = by_table.get(fk.column.table.name)
                    if parent is not None and fk.ondelete == "CASCADE":
                        cascades[parent].append(Cascade(cls, column.name))
        for cls, table in bindings.items():
            self._types[cls] = _record_type(cls, table, tuple(cascades[cls]))

    def is_scope(self, lock: str) -> bool:
        return lock.startswith(self.scope_prefix)

    def of(self, cls: type[Any]) -> RecordType:
        try:
            return self._types[cls]
        except KeyError:
            raise TypeError(f"{cls.__name__} is not a record type of this store") from None

    def types(self) -> list[RecordType]:
        return list(self._types.values())


def _record_type(cls: type[Any], table: Table, cascades: tuple[Cascade, ...]) -> RecordType:
    fields = tuple(f.name for f in dataclasses.fields(cls))
    columns = tuple(column.name for column in table.columns)
    if set(fields) != set(columns):
        raise TypeError(
            f"{cls.__name__} fields {sorted(fields)} do not match table {table.name} "
            f"columns {sorted(columns)}"
        )
    key = tuple(column.name for column in table.primary_key.columns)
    autoincrement = (
        table.autoincrement_column.name if table.autoincrement_column is not None else None
    )
    uniques = tuple(
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ) + tuple((column.name,) for column in table.columns if column.unique)
    codec: RowCodec | None = table.info.get("codec")
    return RecordType(cls, table, key, fields, autoincrement, uniques, cascades, codec)
