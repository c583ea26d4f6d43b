"""Sids stored as small keys on SQLite: a column type for sids that many rows repeat.

An `events` row names its account, workspace, workflow and queue, and two indexes start
with the workspace: 18 bytes each as compact sids (compact_sid.py), repeated in every
row and index entry although a workspace has a handful of such sids (issue 10, disk per
task). :class:`KeyedSid` stores each as the number of its row in `sid_keys` (one to three
digits), and SQL itself translates both ways: a bound sid becomes
`(SELECT key FROM sid_keys WHERE sid = ?)` and a read column
`(SELECT sid FROM sid_keys WHERE key = column)`, so that code, filters and records see
sids as before. The store gives a sid its key before it writes a row that holds it
(:meth:`switchboard.store.sql.SqlUnit.flush`). PostgreSQL keeps text: the type changes
nothing there, and `sid_keys` stays empty.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Integer, String, Table, bindparam, cast, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.types import Boolean, TypeDecorator, TypeEngine

from switchboard.store.schema import metadata

sid_keys = Table(
    "sid_keys",
    metadata,
    Column("key", Integer, primary_key=True),
    Column("sid", String(64), nullable=False, unique=True),
)


def _key_of(value: Any) -> ColumnElement[Any]:
    """The stored form of a sid: its key, as text (the column's affinity, so that an
    index on the column serves the comparison)."""
    found = select(sid_keys.c.key).where(sid_keys.c.sid == type_coerce(value, String))
    return cast(found.scalar_subquery(), String)


class _SqliteKeyed(TypeDecorator[str]):
    """The SQLite form: bound and read through `sid_keys`."""

    impl = String
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return _key_of(bindvalue)

    def column_expression(self, column: Any) -> Any:
        found = select(sid_keys.c.sid).where(sid_keys.c.key == type_coerce(column, Integer))
        return found.scalar_subquery()


class KeyedIn(ColumnElement[bool]):
    """`column IN (sids)` for a keyed column: on SQLite the keys of the sids (a bound
    expression per element is not possible in an expanding IN), elsewhere the sids."""

    inherit_cache = False
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no `= 1` after it in a WHERE

    def __init__(self, column: ColumnElement[Any], sids: Any) -> None:
        self.column = column
        self.sids = sids


@compiles(KeyedIn)
def _keyed_in(element: KeyedIn, compiler: SQLCompiler, **kw: Any) -> str:
    plain = type_coerce(element.column, String)
    return compiler.process(plain.in_(element.sids), **kw)


@compiles(KeyedIn, "sqlite")
def _keyed_in_sqlite(element: KeyedIn, compiler: SQLCompiler, **kw: Any) -> str:
    plain = type_coerce(element.column, String)
    keys = select(cast(sid_keys.c.key, String)).where(sid_keys.c.sid.in_(_as_text(element.sids)))
    return compiler.process(plain.in_(keys), **kw)


def _as_text(sids: Any) -> Any:
    """Sids bound as text (not through the keyed type, which would bind their keys)."""
    if isinstance(sids, BindParameter):  # an expanding list, its values given later
        return bindparam(sids.key, sids.value, expanding=True, type_=String())
    return [type_coerce(s, String) if isinstance(s, BindParameter) else s for s in sids]


class KeyedSid(TypeDecorator[str]):
    """A sid column whose values repeat across many rows: a key on SQLite, text elsewhere
    (the DDL is `VARCHAR(length)` on both)."""

    impl = String
    cache_ok = True

    def __init__(self, length: int = 34) -> None:
        super().__init__(length)

    class comparator_factory(TypeDecorator.Comparator[str]):
        def in_(self, other: Any) -> ColumnElement[bool]:
            if isinstance(other, list | tuple | set | frozenset):
                return KeyedIn(self.expr, list(other))
            if isinstance(other, BindParameter) and other.expanding:
                return KeyedIn(self.expr, other)
            found: ColumnElement[bool] = super().in_(other)  # type: ignore[assignment]
            return found

        def not_in(self, other: Any) -> ColumnElement[bool]:
            return ~self.in_(other)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            text = self.impl_instance
            assert isinstance(text, String)
            length = text.length
            return dialect.type_descriptor(_SqliteKeyed(length))
        return dialect.type_descriptor(self.impl_instance)


KEYED_SID = KeyedSid()


def keyed_columns(table: Table) -> tuple[str, ...]:
    """The columns of a table whose sids are stored as keys."""
    return tuple(column.name for column in table.columns if isinstance(column.type, KeyedSid))
