"""The SQL store adapter: SQLite (one process) and PostgreSQL (many), on SQLAlchemy Core.

Every write to a workspace happens inside :meth:`SqlStore.transaction`, which
serialises the writers that share its lock key:

* SQLite (one process): one asyncio lock for the database, held for the whole
  transaction; SQLite has a single writer anyway, so one lock is both simplest and
  free of ``database is locked`` upgrades.
* PostgreSQL (many processes): ``pg_advisory_xact_lock`` on the key, so two
  processes never plan reservations for the same workspace at once; the commit
  releases it. With ``group_commit``, writers queued on the same key in this process
  share that transaction and its one commit, each in a savepoint of its own
  (:mod:`switchboard.store.group_commit`; off by default, see that module).

Hooks registered with :meth:`SqlUnit.after_commit` run only once the transaction
committed: events are never pushed for work that was rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    delete,
    distinct,
    event,
    false,
    func,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from switchboard.kernel import turns
from switchboard.kernel.changes import Changes, NewWork
from switchboard.kernel.criteria import (
    AnyOf,
    Cond,
    Criterion,
    Inc,
    Measure,
    Order,
    matches,
)
from switchboard.kernel.errors import Conflict
from switchboard.store.cache import RecordCache
from switchboard.store.direct import MAX_PLANS, DirectStatements, prepared
from switchboard.store.direct import Row as DirectRow
from switchboard.store.group_commit import GroupCommitter
from switchboard.store.schema import RecordType, Schema
from switchboard.store.sid_keys import keyed_columns, sid_keys
from switchboard.store.tracking import CommitHook, Observers, Tracker
from switchboard.store.write_marks import BUMP, BUMP_ALL, LOCK_AND_MARK

R = TypeVar("R")
log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class LoopConnection:
    """A synchronous SQLite connection behind :class:`AsyncConnection`'s ``execute``.

    SQLite writes are serialised in this process anyway, and WAL with
    ``synchronous=NORMAL`` makes a commit a write to the log, not an fsync. Running the
    write transaction's statements on the event loop skips what each statement cost
    through aiosqlite (a greenlet switch and a hop to its thread and back: 0.46 ms of
    CPU for ``SELECT 1`` against 0.06 ms here), for a pause of the loop of about what
    the statement costs SQLite. Prepared statements run on the driver directly
    (:mod:`switchboard.store.direct`), unless SQLAlchemy event listeners or echo watch
    the engine: those see every statement through SQLAlchemy, as before.
    """

    def __init__(self, connection: Connection, direct: DirectStatements | None) -> None:
        self.sync = connection
        self.direct = direct

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if parameters is None or isinstance(parameters, dict):
            keys = tuple(parameters) if parameters else ()
        else:
            keys = tuple(parameters[0]) if parameters else ()
        sync = self.sync
        observed = sync._has_events or sync.engine._has_events or sync._echo
        plan = None if self.direct is None or observed else self.direct.plan(statement, keys)
        if plan is None or self.direct is None:  # (listeners and echo see SQLAlchemy's)
            return self.sync.execute(statement, parameters)
        return self.direct.execute(self.sync.connection.driver_connection, plan, parameters)


class PgConnection:
    """An :class:`AsyncConnection` to PostgreSQL whose prepared statements run on its
    asyncpg connection directly (:mod:`switchboard.store.direct`), in the transaction
    SQLAlchemy began on it (begun here when a direct statement comes first: what
    SQLAlchemy's cursor does). Anything else, and everything while event listeners or
    echo watch the engine, goes through SQLAlchemy."""

    def __init__(self, connection: AsyncConnection, direct: DirectStatements) -> None:
        self.connection = connection
        self.direct = direct
        self._adapter: Any = None  # SQLAlchemy's adapter around the asyncpg connection

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if isinstance(parameters, list) and len(parameters) == 1:
            parameters = parameters[0]
        many = isinstance(parameters, list)
        if many:
            keys = tuple(parameters[0]) if parameters else ()
        else:
            keys = tuple(parameters) if parameters else ()
        sync = self.connection.sync_connection
        # (the read engine has listeners of its own, for its isolation level: only those
        # that watch statements count)
        observed = (
            sync is None
            or sync._echo
            or bool(sync.dispatch.before_cursor_execute)
            or bool(sync.dispatch.after_cursor_execute)
        )
        plan = None if observed else self.direct.plan(statement, keys)
        if plan is None or (many and plan.columns):
            return await self.connection.execute(statement, parameters)
        adapter = self._adapter
        if adapter is None:
            raw = await self.connection.get_raw_connection()
            adapter = self._adapter = raw.dbapi_connection
        if adapter._transaction is None and not adapter.autocommit:
            await adapter._start_transaction()
        return await self.direct.run_asyncpg(adapter._connection, plan, parameters)


_INSERTS: dict[Any, Any] = {}  # by table


def _insert_of(rt: RecordType) -> Any:
    """One INSERT statement object per table: building it costs more than running it."""
    statement = _INSERTS.get(rt.table)
    if statement is None:
        statement = _INSERTS[rt.table] = prepared(rt.table.insert())
    return statement


_KEYED: dict[Any, tuple[str, ...]] = {}  # by table
_ADD_KEYS = sqlite_insert(sid_keys).on_conflict_do_nothing()


def _keyed(rt: RecordType) -> tuple[str, ...]:
    """The columns of a table stored as keys (store/sid_keys.py)."""
    names = _KEYED.get(rt.table)
    if names is None:
        names = _KEYED[rt.table] = keyed_columns(rt.table)
    return names


_RETURNING: dict[Any, Any] = {}  # by table
_LAST_ROWID = prepared(select(func.last_insert_rowid()))  # runs on the driver directly


def _insert_returning_of(rt: RecordType) -> Any:
    """An INSERT that returns the keys the database gave, in the order of its rows."""
    statement = _RETURNING.get(rt.table)
    if statement is None:
        assert rt.autoincrement is not None
        column = rt.table.c[rt.autoincrement]
        statement = rt.table.insert().returning(column, sort_by_parameter_order=True)
        _RETURNING[rt.table] = prepared(statement)  # one row: on asyncpg directly
    return statement


# rows of one numbered INSERT on PostgreSQL in a statement of their own shape (more go
# through SQLAlchemy's multi-row insert)
MAX_VALUES_ROWS = 16
_VALUES: dict[tuple[Any, tuple[str, ...], int], Any] = {}  # by table, columns, row count


def _numbered_values(
    rt: RecordType, rows: list[dict[str, Any]]
) -> tuple[Any, dict[str, Any]] | None:
    """A multi-row INSERT .. RETURNING the numbers, prepared per table, columns and row
    count (so it runs on asyncpg directly), and its parameters (``r<row>_<column>``);
    None when the rows do not all have the same columns."""
    columns = tuple(rows[0])
    if any(tuple(row) != columns for row in rows):
        return None
    shape = (rt.table, columns, len(rows))
    statement = _VALUES.get(shape)
    if statement is None:
        assert rt.autoincrement is not None
        listed = [
            {name: bindparam(f"r{i}_{name}", type_=rt.table.c[name].type) for name in columns}
            for i in range(len(rows))
        ]
        statement = rt.table.insert().values(listed).returning(rt.table.c[rt.autoincrement])
        if len(_VALUES) >= MAX_PLANS:
            _VALUES.clear()
        _VALUES[shape] = statement = prepared(statement)
    params = {f"r{i}_{name}": row[name] for i, row in enumerate(rows) for name in columns}
    return statement, params


_UPDATES: dict[tuple[Any, tuple[str, ...]], Any] = {}  # by table and changed columns
_DELETES: dict[Any, Any] = {}  # by table


def _update_of(rt: RecordType, columns: tuple[str, ...]) -> Any:
    """One UPDATE by key per table and set of changed columns, its values bound by name
    (``k0``.. for the key, ``v_<column>`` for the values): built once, run many times,
    several rows of one shape in one executemany."""
    shape = (rt.table, columns)
    statement = _UPDATES.get(shape)
    if statement is None:
        keyed = (rt.table.c[name] == bindparam(f"k{i}") for i, name in enumerate(rt.key))
        values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
        statement = _UPDATES[shape] = prepared(update(rt.table).where(*keyed).values(values))
    return statement


def _delete_of(rt: RecordType) -> Any:
    statement = _DELETES.get(rt.table)
    if statement is None:
        keyed = (rt.table.c[name] == bindparam(f"k{i}") for i, name in enumerate(rt.key))
        statement = _DELETES[rt.table] = prepared(delete(rt.table).where(*keyed))
    return statement


def _stored(rows: Sequence[Any]) -> list[Mapping[str, Any]]:
    """Rows read, as mappings of column to value. The direct path's rows hold a dict
    already; SQLAlchemy's `RowMapping` builds its keys again for every row a record is
    made from (a fifth of loading 100k waiting tasks), so those become dicts, with the
    names taken once."""
    if not rows or isinstance(rows[0], DirectRow):
        return [row._mapping for row in rows]
    names = tuple(rows[0]._mapping.keys())
    return [dict(zip(names, row, strict=True)) for row in rows]


class LazyConnection:
    """A read unit's connection, checked out of the pool at its first statement.

    Many reads are answered from the record cache alone (the workspace and the names a
    response shows); a checkout and the reset at check-in cost more than those reads.
    """

    def __init__(self, engine: AsyncEngine, direct: DirectStatements | None = None) -> None:
        self._engine = engine
        self._direct = direct  # PostgreSQL: prepared statements on asyncpg directly
        self._connection: AsyncConnection | None = None
        self._runner: AsyncConnection | PgConnection | None = None

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        await turns.checkpoint()
        if self._runner is None:
            self._connection = connection = await self._engine.connect()
            direct = self._direct
            self._runner = connection if direct is None else PgConnection(connection, direct)
        return await self._runner.execute(statement, parameters)

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection, self._runner = self._connection, None, None
            await connection.close()


class LazyLoopConnection:
    """A short read's connection on the event loop (SQLite), taken at its first statement.

    A read of a few rows by key costs SQLite microseconds; through aiosqlite it cost a
    hop to its thread and back for the statement and again for the reset at check-in
    (about 0.5 ms of CPU each). Only reads bounded by a key take this path: a long one
    would hold up every request on the loop.
    """

    def __init__(self, engine: Engine, direct: DirectStatements | None) -> None:
        self._engine = engine
        self._direct = direct
        self._connection: LoopConnection | None = None

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if self._connection is None:
            self._connection = LoopConnection(self._engine.connect(), self._direct)
        return await self._connection.execute(statement, parameters)

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.sync.close()


# what a SQL unit's `connection` is: statements go through its `execute`
SqlConnection = (
    AsyncConnection | PgConnection | LoopConnection | LazyConnection | LazyLoopConnection
)


def _loop_pragmas(dbapi_connection: Any, record: Any) -> None:
    """The write connection on the loop leaves checkpoints to `SqlStore._run_checkpoint`;
    when it restarts the WAL from its start, it also cuts the file back to
    `WAL_SIZE_LIMIT` (SQLite does both only on the connection that writes)."""
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


def _reader_pragmas(dbapi_connection: Any, record: Any) -> None:
    """Short reads on the loop: never write (nor checkpoint) from these connections."""
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=1")
    cursor.close()


def _passive_checkpoint(connection: Any) -> None:
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


# write transactions between two background checkpoints (SQLite's own default is one
# per 1,000 pages of WAL; a task creation writes about ten)
CHECKPOINT_EVERY = 100
# bytes of WAL file kept once the WAL restarts from its beginning (without a limit the
# file stays as large as it ever grew)
WAL_SIZE_LIMIT = 16 * 2**20
# WAL frames (pages) past which the writer makes sure the WAL starts over (SQLite's own
# automatic checkpoint size)
WAL_RESTART_FRAMES = 1_000


_ADVISORY_LOCK = prepared(text("SELECT pg_advisory_xact_lock(:key)"))


def _checked() -> None:
    """A PostgreSQL unit's copies were checked when it took its lock (`_lock_and_mark`)."""


async def _cover_marks(connection: Any, unit: SqlUnit, lock: str | None) -> None:
    """Bump the write marks of the workspaces whose in-flight rows the unit wrote
    beyond its own lock's (already bumped), so that other processes drop their copies."""
    scopes = unit.written_scopes()
    if scopes is None:
        await connection.execute(BUMP_ALL)
        return
    scopes.discard(lock)  # bumped when the unit took its lock (if a scope's)
    if scopes:
        await connection.execute(BUMP, {"names": sorted(scopes)})


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _condition(rt: RecordType, criterion: Criterion) -> ColumnElement[bool]:
    if isinstance(criterion, AnyOf):
        return or_(*(and_(*(_condition(rt, c) for c in branch)) for branch in criterion.branches))
    rt.refuse_coded((criterion.field,))
    column = rt.table.c[criterion.field]
    op, value = criterion.op, criterion.value
    if op == "is_null":
        return column.is_(None)
    if op == "not_null":
        return column.is_not(None)
    if op == "in":
        present = [v for v in value if v is not None]
        return column.in_(present) if present else false()
    if op == "not_in":
        if None in value:
            return false()
        return and_(column.is_not(None), column.not_in(value)) if value else column.is_not(None)
    if value is None:
        return false()
    comparisons: dict[str, Callable[[Any], ColumnElement[bool]]] = {
        "==": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    return comparisons[op](value)


_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
# `in` lists this long or shorter get a shape per length, with a parameter per value (so
# they run on the driver directly, see store/direct.py); longer ones expand at execution
FIXED_IN = 8
MAX_SHAPES = 512  # prepared SELECTs kept (per process): the code has far fewer shapes


class _Shapes:
    """Prepared statements by query shape (table, fields and operators, order, limit; or
    the grouping and measures of an aggregate), built once and reused with new values.
    SQLAlchemy memoizes a statement's cache key, so a reused statement skips rebuilding
    and re-keying it: a good share of a read's CPU."""

    def __init__(self) -> None:
        self._statements: dict[tuple[Any, ...], Any] = {}

    @staticmethod
    def _criteria(
        where: Sequence[Criterion],
    ) -> tuple[tuple[tuple[str, str], ...], dict[str, Any]] | None:
        """((field, operator) per criterion, parameters); None for what is not prepared:
        a `None` value, an `in` list that holds `None` or nothing, alternatives."""
        fields: list[tuple[str, str]] = []
        params: dict[str, Any] = {}
        for i, c in enumerate(where):
            if not isinstance(c, Cond) or c.value is None:
                return None
            if c.op == "in":
                if not c.value or None in c.value:
                    return None
                values = list(c.value)
                if len(values) <= FIXED_IN:  # one parameter each: runs on the driver directly
                    params.update({f"w{i}_{j}": value for j, value in enumerate(values)})
                    fields.append((c.field, f"in{len(values)}"))
                    continue
                params[f"w{i}"] = values
            elif c.op in _COMPARISONS:
                params[f"w{i}"] = c.value
            else:
                return None
            fields.append((c.field, c.op))
        return tuple(fields), params

    @staticmethod
    def _conditions(rt: RecordType, fields: tuple[tuple[str, str], ...]) -> list[Any]:
        conditions: list[Any] = []
        for i, (field, op) in enumerate(fields):
            # the column's type binds the values (a compact sid is stored as bytes)
            column = rt.table.c[field]
            if op == "in":
                rt.refuse_coded((field,))
                conditions.append(column.in_(bindparam(f"w{i}", expanding=True, type_=column.type)))
            elif op.startswith("in"):  # a short list: one parameter per value
                rt.refuse_coded((field,))
                count = int(op[2:])
                listed = [bindparam(f"w{i}_{j}", type_=column.type) for j in range(count)]
                conditions.append(column.in_(listed))
            else:
                conditions.append(_condition(rt, Cond(field, op, bindparam(f"w{i}"))))
        return conditions or [true()]

    def _keep(self, shape: tuple[Any, ...], statement: Any) -> Any:
        if len(self._statements) >= MAX_SHAPES:
            self._statements.clear()
        self._statements[shape] = prepared(statement)
        return statement

    def select(
        self, rt: RecordType, where: Sequence[Criterion], order: Sequence[Order], limit: int | None
    ) -> tuple[Any, dict[str, Any]] | None:
        """(statement, parameters), or None for a shape that is not prepared."""
        criteria = self._criteria(where)
        if criteria is None:
            return None
        fields, params = criteria
        shape = (rt.table, fields, tuple(order), limit)
        statement = self._statements.get(shape)
        if statement is None:
            statement = select(rt.table).where(*self._conditions(rt, fields))
            statement = statement.order_by(*_ordering(rt, order))
            if limit is not None:
                statement = statement.limit(limit)
            statement = self._keep(shape, statement)
        return statement, params

    def aggregate(
        self,
        rt: RecordType,
        by: Sequence[str],
        where: Sequence[Criterion],
        measures: dict[str, Measure],
    ) -> tuple[Any, dict[str, Any]] | None:
        """The same for `Unit.aggregate`: grouped by `by`, `measures` labelled by name."""
        criteria = self._criteria(where)
        if criteria is None:
            return None
        fields, params = criteria
        shape = ("aggregate", rt.table, tuple(by), fields, tuple(measures.items()))
        statement = self._statements.get(shape)
        if statement is None:
            keys = [rt.table.c[name] for name in by]
            labelled = [_measure(rt, m).label(name) for name, m in measures.items()]
            statement = select(*keys, *labelled).select_from(rt.table)
            statement = statement.where(*self._conditions(rt, fields))
            if keys:
                statement = statement.group_by(*keys).order_by(*keys)
            statement = self._keep(shape, statement)
        return statement, params


_SHAPES = _Shapes()


def _where(rt: RecordType, where: Sequence[Criterion]) -> list[ColumnElement[bool]]:
    return [_condition(rt, c) for c in where] or [true()]


def _ordering(rt: RecordType, order: Sequence[Order]) -> list[Any]:
    clauses = []
    for o in order:
        column = rt.table.c[o.field]
        clauses.append(column.desc().nulls_last() if o.descending else column.asc().nulls_first())
    named = {o.field for o in order}
    clauses += [rt.table.c[name].asc() for name in rt.key if name not in named]
    return clauses


def _measure(rt: RecordType, m: Measure) -> Any:
    if m.fn == "count" and m.field is None:
        return func.count()
    column = rt.table.c[m.field or ""]
    if m.fn == "count":
        return func.count(column)
    if m.fn == "count_distinct":
        return func.count(distinct(column))
    if m.fn == "sum":
        return func.sum(column)
    return func.min(column) if m.fn == "min" else func.max(column)


def _by_keys(rt: RecordType, where: Sequence[Criterion]) -> tuple[Any, ...] | None:
    """The keys, when the query is exactly `key IN (...)` on a one-column key."""
    if len(where) != 1 or not isinstance(where[0], Cond) or len(rt.key) != 1:
        return None
    only = where[0]
    if only.op != "in" or only.field != rt.key[0] or None in only.value:
        return None
    return tuple(only.value)


def _by_one_field(where: Sequence[Criterion]) -> tuple[str, Any] | None:
    """`(field, value)` when the query is exactly `field == value` on a workspace."""
    if len(where) != 1 or not isinstance(where[0], Cond):
        return None
    only = where[0]
    if only.op == "==" and only.field == "workspace_sid" and only.value is not None:
        return only.field, only.value
    return None


def _plain(value: Any) -> Any:
    """SQL sums come back as Decimal on PostgreSQL; records hold ints."""
    if value is not None and type(value).__name__ == "Decimal":
        return int(value)
    return value


class SqlUnit:
    """One transaction on one connection (see :class:`switchboard.kernel.ports.Unit`)."""

    def __init__(
        self,
        connection: SqlConnection,
        schema: Schema,
        dialect: str,
        *,
        writable: bool,
        cache: RecordCache | None = None,
        stale: Changes | None = None,
        known_keys: set[str] | None = None,
        recent: Callable[[], None] | None = None,
        scope: str | None = None,
    ) -> None:
        self.connection = connection
        # may answer reads by key from the cache's recent copies (the SQLite writer's
        # units: see RecordCache), once `recent()` made sure they are current
        self._recent = recent is not None and writable and cache is not None
        self._recent_check = recent
        # whose copies (PostgreSQL: the workspace whose lock the unit holds; SQLite: None)
        self.scope = scope
        # records deleted through `delete` (their workspaces count as written)
        self._gone: list[Any] = []
        # sids known to have a row in `sid_keys` (committed), shared by the store's units
        self._known_keys = known_keys
        self.schema = schema
        self.dialect = dialect
        self.writable = writable
        self._t = Tracker(schema, writable)
        self._cache = cache
        # written by earlier members of this unit's commit group, not yet committed
        self._stale = stale

    def _cached(self, kind: type[Any]) -> RecordCache | None:
        """The cache, for a kind it keeps and this unit has not written (its own writes
        are newer than any copy)."""
        cache = self._cache
        if cache is None or kind not in cache.kinds:
            return None
        stale = self._stale
        if stale is not None and (stale.unknown or kind in stale.kinds()):
            return None
        if self._t.written.of(kind) or any(k is kind for k, _w in self._t.written.sweeps):
            return None
        if any(type(r) is kind for r in (*self._t.new, *self._t.dead)):
            return None
        return cache

    def _recent_cache(self, kind: type[Any]) -> RecordCache | None:
        """The cache, when its recent copies of `kind` may answer this unit: not after
        the unit wrote rows of the kind it does not hold (a bulk write, a delete)."""
        cache = self._cache
        if not self._recent or cache is None or kind not in cache.recent_kinds:
            return None
        if self._recent_check is not None:
            self._recent_check()
            self._recent_check = None
        if any(k is kind for k, _w in self._t.written.sweeps):
            return None
        if any(type(r) is kind for r in self._t.dead):
            return None
        return cache

    def _recent_copy(self, cache: RecordCache, rt: RecordType, key: tuple[Any, ...]) -> Any:
        if key in self._t.written.of(rt.cls):
            return None  # written here, untracked (deleted, accumulated)
        if any(type(r) is rt.cls and rt.key_of(r) == key for r in self._t.new):
            return None
        hit = cache.recent(rt.cls, key, self.scope)
        return None if hit is None else self._t.adopt(rt, hit)

    @property
    def keeps_recent(self) -> bool:
        return self._recent

    def held(self) -> list[Any]:
        """The records this unit holds (read or written), as they stand."""
        return list(self._t.identity.values())

    # --- reads ------------------------------------------------------------------------

    async def _records(self, rt: RecordType, rows: Sequence[Any]) -> list[Any]:
        """The records of rows read, with the rows they refer to (a codec's `bases`)
        read too when the query did not find them."""
        stored = _stored(rows)
        bases = None
        wanted = rt.codec.bases(stored) if rt.codec is not None and stored else None
        if wanted:
            [key] = rt.key
            bases = {row[key]: row for row in stored}
            missing = sorted(wanted - bases.keys())
            if missing:
                query = select(rt.table).where(rt.table.c[key].in_(missing))
                for base in _stored((await self.connection.execute(query)).all()):
                    bases[base[key]] = base
        return [self._t.adopt(rt, rt.record(row, bases)) for row in stored]

    async def get(self, kind: type[R], key: Any) -> R | None:
        rt = self.schema.of(kind)
        normal = rt.normal_key(key)
        known = self._t.known(rt, normal)
        if known is not None:
            return known  # type: ignore[no-any-return]
        for record in self._t.new:
            if type(record) is kind and rt.key_of(record) == normal:
                return record
        recent = self._recent_cache(kind)
        if recent is not None:
            hit = self._recent_copy(recent, rt, normal)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        cache = self._cached(kind)
        if cache is not None:
            hit = cache.get(kind, normal)
            if hit is not None:
                return self._t.adopt(rt, hit)  # type: ignore[no-any-return]
            epoch = cache.epoch
        if self._t.dead:
            # a pending delete (and what it cascades to) must be gone from the row read;
            # pending inserts and changes cannot alter it: their records answered above
            await self._autoflush()
        row = (await self.connection.execute(rt.by_key, rt.key_params(normal))).first()
        if row is None:
            return None
        [record] = await self._records(rt, [row])
        if cache is not None:
            cache.put(kind, normal, record, epoch)
        return record  # type: ignore[no-any-return]

    async def select(
        self,
        kind: type[R],
        *where: Criterion,
        order: Sequence[Order] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[R]:
        rt = self.schema.of(kind)
        recent = self._recent_cache(kind) if not order and limit is None and not offset else None
        if recent is not None and (keys := _by_keys(rt, where)) is not None:
            return await self._select_by_keys(recent, rt, keys)
        listed = _by_one_field(where) if not order and limit is None and not offset else None
        cache = self._cached(kind) if listed is not None else None
        if cache is not None and listed is not None:
            hit = cache.get_list(kind, *listed)
            if hit is not None:
                return [self._t.adopt(rt, r) for r in hit]
            epoch = cache.epoch
        await self._autoflush()
        prepared = None if offset else _SHAPES.select(rt, where, order, limit)
        if prepared is not None:
            rows = (await self.connection.execute(*prepared)).all()
        else:
            query = select(rt.table).where(*_where(rt, where)).order_by(*_ordering(rt, order))
            if limit is not None:
                query = query.limit(limit)
            if offset:
                query = query.offset(offset)
            rows = (await self.connection.execute(query)).all()
        found = await self._records(rt, rows)
        if cache is not None and listed is not None:
            cache.put_list(kind, *listed, found, epoch)
        return found

    async def _select_by_keys(
        self, cache: RecordCache, rt: RecordType, keys: tuple[Any, ...]
    ) -> list[Any]:
        """`key IN keys`: the recent copies, and the rest read (in key order, as SQL)."""
        found: dict[Any, Any] = {}
        missing = []
        for key in set(keys):
            record = self._t.known(rt, (key,)) or self._recent_copy(cache, rt, (key,))
            if record is None:
                missing.append(key)
            else:
                found[key] = record
        if missing:
            await self._autoflush()
            where = (Cond(rt.key[0], "in", tuple(sorted(missing))),)
            prepared = _SHAPES.select(rt, where, (), None)
            if prepared is None:
                query = select(rt.table).where(*_where(rt, where))
                rows = (await self.connection.execute(query)).all()
            else:
                rows = (await self.connection.execute(*prepared)).all()
            for record in await self._records(rt, rows):
                found[rt.key_of(record)[0]] = record
        return [found[key] for key in sorted(found)]

    async def first(
        self, kind: type[R], *where: Criterion, order: Sequence[Order] = ()
    ) -> R | None:
        found = await self.select(kind, *where, order=order, limit=1)
        return found[0] if found else None

    async def count(self, kind: type[Any], *where: Criterion) -> int:
        [row] = await self.aggregate(kind, (), *where, n=Measure("count"))
        return int(row["n"])

    async def exists(self, kind: type[Any], *where: Criterion) -> bool:
        rt = self.schema.of(kind)
        await self._autoflush()
        query = select(rt.table.c[rt.key[0]]).where(*_where(rt, where)).limit(1)
        return (await self.connection.execute(query)).first() is not None

    async def values(
        self, kind: type[Any], field: str, *where: Criterion, distinct: bool = False
    ) -> list[Any]:
        rt = self.schema.of(kind)
        await self._autoflush()
        query = select(rt.table.c[field]).where(*_where(rt, where))
        query = query.distinct() if distinct else query.order_by(*_ordering(rt, ()))
        return [row[0] for row in (await self.connection.execute(query)).all()]

    async def aggregate(
        self, kind: type[Any], by: Sequence[str], *where: Criterion, **measures: Measure
    ) -> list[dict[str, Any]]:
        rt = self.schema.of(kind)
        await self._autoflush()
        prepared = _SHAPES.aggregate(rt, by, where, measures)
        if prepared is not None:
            rows = (await self.connection.execute(*prepared)).all()
        else:
            keys = [rt.table.c[name] for name in by]
            labelled = [_measure(rt, m).label(name) for name, m in measures.items()]
            query = select(*keys, *labelled).select_from(rt.table).where(*_where(rt, where))
            if keys:
                query = query.group_by(*keys).order_by(*keys)
            rows = (await self.connection.execute(query)).all()
        names = [*by, *measures]
        return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in rows]

    # --- writes -----------------------------------------------------------------------

    def add(self, record: Any) -> None:
        self._t.require_writable()
        self.schema.of(type(record))
        self._t.new.append(record)

    async def delete(self, record: Any) -> None:
        self._t.require_writable()
        rt = self.schema.of(type(record))
        if any(r is record for r in self._t.new):
            self._t.new = [r for r in self._t.new if r is not record]
            return
        self._t.forget(rt, record)
        self._forget_cascade(rt, [rt.key_of(record)])
        self._t.dead.append(record)
        self._gone.append(record)
        self._t.note_cascades(rt, rt.key_of(record))

    def _forget_cascade(self, rt: RecordType, keys: list[tuple[Any, ...]]) -> None:
        """Tracked children of deleted rows are gone too (the database cascades them)."""
        for cascade in rt.cascades:
            child = self.schema.of(cascade.child)
            parents = {key[0] for key in keys}
            gone = [
                record
                for (cls, _k), record in list(self._t.identity.items())
                if cls is cascade.child and getattr(record, cascade.column) in parents
            ]
            for record in gone:
                self._t.forget(child, record)
            if gone:
                self._forget_cascade(child, [child.key_of(r) for r in gone])

    async def update_where(
        self, kind: type[Any], values: Mapping[str, Any], *where: Criterion
    ) -> int:
        self._t.require_writable()
        rt = self.schema.of(kind)
        rt.refuse_coded(values)
        await self._autoflush()
        await self._give_keys(rt, [values])
        sql_values = {
            name: (rt.table.c[name] + value.amount if isinstance(value, Inc) else value)
            for name, value in values.items()
        }
        result = await self.connection.execute(
            update(rt.table).where(*_where(rt, where)).values(sql_values)
        )
        self._t.written.sweep(kind, where)
        for (cls, _key), record in list(self._t.identity.items()):
            if cls is kind and matches(record, where):
                for name, value in values.items():
                    new = getattr(record, name) + value.amount if isinstance(value, Inc) else value
                    setattr(record, name, new)
                self._t.settle(record)
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_where(self, kind: type[Any], *where: Criterion) -> int:
        self._t.require_writable()
        rt = self.schema.of(kind)
        await self._autoflush()
        gone = [
            record
            for (cls, _key), record in list(self._t.identity.items())
            if cls is kind and matches(record, where)
        ]
        for record in gone:
            self._t.forget(rt, record)
        self._forget_cascade(rt, [rt.key_of(r) for r in gone])
        result = await self.connection.execute(delete(rt.table).where(*_where(rt, where)))
        self._t.written.sweep(kind, where)
        if rt.cascades:  # children of rows nobody read: say "do not know"
            self._t.written.unknown = True
        return int(getattr(result, "rowcount", 0) or 0)

    async def accumulate(
        self, kind: type[Any], rows: Sequence[Mapping[str, Any]], add: Sequence[str]
    ) -> None:
        self._t.require_writable()
        if not rows:
            return
        rt = self.schema.of(kind)
        await self._autoflush()
        await self._give_keys(rt, rows)
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        statement = insert(rt.table).values([dict(row) for row in rows])
        statement = statement.on_conflict_do_update(
            index_elements=list(rt.key),
            set_={name: rt.table.c[name] + statement.excluded[name] for name in add},
        )
        await self.connection.execute(statement)
        for row in rows:
            self._t.written.note(kind, tuple(row[name] for name in rt.key))
        for row in rows:  # tracked copies are stale now: read them again when asked
            known = self._t.known(rt, tuple(row[name] for name in rt.key))
            if known is not None:
                self._t.forget(rt, known)

    async def _autoflush(self) -> None:
        if self.writable:
            await self.flush()

    async def flush(self) -> None:
        """Inserts (in the order added, consecutive rows of a table in one executemany),
        then updates of changed fields, then deletes."""
        if not self.writable:
            return
        try:
            await self._insert_new()
            await self._update_changed()
            dead, self._t.dead = self._t.dead, []
            for record in dead:
                rt = self.schema.of(type(record))
                await self.connection.execute(_delete_of(rt), rt.key_params(rt.key_of(record)))
                self._t.note(rt, record)
        except IntegrityError as exc:
            raise Conflict(f"The change conflicts with existing data: {exc.orig}") from None

    async def _update_changed(self) -> None:
        """Changed fields by key; consecutive changes of one shape (table and columns) in
        one executemany. A record is settled once its statement has run."""
        batch: list[tuple[RecordType, Any, dict[str, Any]]] = []
        statement: Any = None
        for rt, record, changed in self._t.changes():
            if rt.codec is not None:  # a coded column may depend on any other
                changed = {k: v for k, v in rt.row(record).items() if k not in rt.key}
            shape = _update_of(rt, tuple(changed))
            if shape is not statement and batch:
                await self._run_updates(statement, batch)
                batch = []
            statement = shape
            await self._give_keys(rt, [changed])
            params = rt.key_params(rt.key_of(record))
            params.update({f"v_{name}": value for name, value in changed.items()})
            batch.append((rt, record, params))
        if batch:
            await self._run_updates(statement, batch)

    async def _run_updates(
        self, statement: Any, batch: list[tuple[RecordType, Any, dict[str, Any]]]
    ) -> None:
        await self.connection.execute(statement, [params for _rt, _record, params in batch])
        for rt, record, _params in batch:
            self._t.settle(record)
            self._t.note(rt, record)

    async def _insert_new(self) -> None:
        new, self._t.new = self._t.new, []
        # rows the database numbers go last, in the order added: nothing added in the
        # same flush can refer to a number not given yet, and a commit's events (added
        # between its tasks and reservations) then go in one statement, not one each
        plain: list[tuple[RecordType, Any]] = []
        numbered_last: list[tuple[RecordType, Any]] = []
        for record in new:
            rt = self.schema.of(type(record))
            name = rt.autoincrement
            unnumbered = name is not None and getattr(record, name) is None
            (numbered_last if unnumbered else plain).append((rt, record))
        batches: list[tuple[RecordType, list[Any]]] = []
        for rt, record in plain + numbered_last:
            if batches and batches[-1][0] is rt:
                batches[-1][1].append(record)
            else:
                batches.append((rt, [record]))
        for rt, records in batches:
            name = rt.autoincrement
            # rows the database numbers; on SQLite one after the other (see below)
            numbered = name is not None and all(getattr(r, name) is None for r in records)
            rows = rt.rows(records, consecutive=numbered and self.dialect == "sqlite")
            if name is not None:
                for row in rows:
                    if row[name] is None:
                        del row[name]
            await self._give_keys(rt, rows)
            if numbered:
                await self._insert_numbered(rt, records, rows)
                continue
            await self.connection.execute(_insert_of(rt), rows)
            for record in records:
                if rt.autoincrement is None or getattr(record, rt.autoincrement) is not None:
                    self._t.adopt(rt, record)
                    self._t.note(rt, record)

    async def _give_keys(self, rt: RecordType, rows: Sequence[Mapping[str, Any]]) -> None:
        """Every sid these rows hold in a keyed column has its row in `sid_keys` before
        they are written (store/sid_keys.py; SQLite only): otherwise the key it is
        written as would be NULL."""
        names = _keyed(rt)
        if not names or self.dialect != "sqlite":
            return
        wanted = {row[name] for row in rows for name in names if row.get(name) is not None}
        known = self._known_keys
        new = wanted - known if known is not None else wanted
        if not new:
            return
        await self.connection.execute(_ADD_KEYS, [{"sid": sid} for sid in sorted(new)])
        if known is not None:
            self.after_commit(lambda: known.update(new))

    async def _insert_numbered(
        self, rt: RecordType, records: list[Any], rows: list[dict[str, Any]]
    ) -> None:
        """Rows the database numbers, and their records told their numbers (an event's
        sid is derived from its number). SQLite numbers the rows of one statement
        consecutively (the largest rowid plus one, and this transaction is the only
        writer), so the last one tells them all; PostgreSQL returns them."""
        name = rt.autoincrement
        assert name is not None
        listed = (
            _numbered_values(rt, rows)
            if self.dialect == "postgresql" and 1 < len(rows) <= MAX_VALUES_ROWS
            else None
        )
        returned: Any
        if listed is not None:
            returned = await self.connection.execute(*listed)
            # the database numbers the rows in the order of the VALUES list (as
            # SQLAlchemy's own sorted multi-row insert assumes of INSERT .. SELECT)
            keys: Sequence[int] = sorted(key for (key,) in returned.all())
        elif self.dialect == "postgresql":
            returned = await self.connection.execute(_insert_returning_of(rt), rows)
            keys = [key for (key,) in returned.all()]
        elif len(rows) == 1:  # one row: the cursor says its rowid (sqlite3's lastrowid)
            single: Any = await self.connection.execute(_insert_of(rt), rows[0])
            keys = [single.lastrowid]
        else:
            await self.connection.execute(_insert_of(rt), rows)
            [(last,)] = (await self.connection.execute(_LAST_ROWID)).all()
            keys = range(last - len(rows) + 1, last + 1)
        for record, key in zip(records, keys, strict=True):
            setattr(record, name, key)

    def after_commit(self, hook: Callable[[], Awaitable[None] | None]) -> None:
        self._t.add_hook(hook)

    def changed(self) -> Changes:
        return self._t.with_claim(self._t.changed())

    def written_scopes(self) -> set[str] | None:
        """The workspaces whose in-flight rows (the schema's recent kinds) this unit
        wrote, by their scope field; None when it cannot tell (a bulk write it cannot
        place, a change it does not know). See store/write_marks.py."""
        recent = self.schema.recent
        if not recent:
            return set()
        changes = self._t.changed()
        if changes.unknown:
            return None
        field = self.schema.recent_scope
        gone = {(type(r), self.schema.of(type(r)).key_of(r)): r for r in self._gone}
        scopes: set[str] = set()
        for kind, where in changes.sweeps:
            if kind in recent:
                scope = self._scope_of_sweep(where, gone.values())
                if scope is None:
                    return None
                scopes.add(scope)
        for kind in recent:
            for key in changes.of(kind):
                record = self._t.identity.get((kind, key)) or gone.get((kind, key))
                scope = None if record is None else getattr(record, field, None)
                if scope is None:
                    return None
                scopes.add(scope)
        return scopes

    def _scope_of_sweep(self, where: Sequence[Criterion], gone: Any) -> str | None:
        """The workspace a bulk write stays in: named by its criteria, or the one of a
        record it hangs off (`task_sid == T`, a cascade from deleting T)."""
        field = self.schema.recent_scope
        for criterion in where:
            if not isinstance(criterion, Cond) or criterion.op != "==":
                continue
            if criterion.field == field:
                return str(criterion.value)
            for record in (*self._t.identity.values(), *gone):
                scope = getattr(record, field, None)
                if scope is not None and getattr(record, "sid", None) == criterion.value:
                    return str(scope)
        return None

    def claim(self, opens: str, work: NewWork | None = None) -> None:
        self._t.claim(opens, self._t.changed(), work)

    async def _committed(self) -> None:
        await self._t.run_hooks()


class SqlStore:
    """Engine, connections and serialised write transactions."""

    def __init__(
        self,
        url: str,
        schema: Schema,
        *,
        echo: bool = False,
        group_commit: bool = False,
    ) -> None:
        self.url = url
        self.schema = schema
        self.kind = "sqlite" if url.startswith("sqlite") else "postgresql"
        # parameters (sealed tokens, hashes) never appear in errors or logs (issue 11)
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.kind == "sqlite" and (":memory:" in url or url.endswith("sqlite+aiosqlite://")):
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        elif self.kind == "postgresql":
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        # read units on PostgreSQL: no BEGIN and ROLLBACK around their statements (two
        # round trips each). Under READ COMMITTED every statement takes its own snapshot
        # inside a transaction as well, so a read sees the same either way
        self._read_engine: AsyncEngine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.kind == "postgresql"
            else self.engine
        )
        # SQLite files: write transactions on the event loop (see LoopConnection); reads
        # stay on aiosqlite, so that a long report does not hold up every request
        self.loop_engine: Engine | None = None
        self._short_reads: Engine | None = None
        self._writer: Connection | None = None
        self._commits_since_checkpoint = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self._catch_up = False  # the writer copies what the last checkpoint left
        if self.kind == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            if "poolclass" not in kwargs:
                self.loop_engine = create_engine(
                    url.replace("+aiosqlite", "+pysqlite", 1),
                    echo=echo,
                    hide_parameters=True,
                    connect_args={"check_same_thread": False},
                )
                event.listen(self.loop_engine, "connect", _loop_pragmas)
                # short reads on the loop (LazyLoopConnection): a pool that never waits,
                # since a wait would block the loop
                self._short_reads = create_engine(
                    url.replace("+aiosqlite", "+pysqlite", 1),
                    echo=echo,
                    hide_parameters=True,
                    connect_args={"check_same_thread": False},
                    pool_size=4,
                    max_overflow=-1,
                )
                event.listen(self._short_reads, "connect", _reader_pragmas)
        self._direct = DirectStatements(self.loop_engine.dialect) if self.loop_engine else None
        self._pg_direct = (
            DirectStatements(self.engine.dialect) if self.kind == "postgresql" else None
        )
        self.observers = Observers()
        self.cache = (
            RecordCache(
                schema.cached,
                schema.recent
                if self.loop_engine is not None or self.kind == "postgresql"
                else frozenset(),
            )
            if schema.cached or schema.recent
            else None
        )
        # the writer connection's `PRAGMA data_version` at its last transaction
        self._data_version: int | None = None
        # PostgreSQL: each lock's write mark as this process's last commit under it left
        # it (store/write_marks.py)
        self._marks: dict[str, int] = {}
        self._global_lock = asyncio.Lock()
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # sids with a committed row in `sid_keys` (SQLite: store/sid_keys.py)
        self.known_keys: set[str] = set()
        self._groups = (
            GroupCommitter(self._begin_locked)
            if group_commit and self.kind == "postgresql"
            else None
        )

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"

    def _local_lock(self, lock: str | None) -> asyncio.Lock:
        if self.kind == "sqlite":
            return self._global_lock
        return asyncio.Lock() if lock is None else self._locks[lock]

    @asynccontextmanager
    async def read(self, *, short: bool = False) -> AsyncIterator[SqlUnit]:
        connection: LazyConnection | LazyLoopConnection
        if short and self._short_reads is not None:
            connection = LazyLoopConnection(self._short_reads, self._direct)
        else:
            connection = LazyConnection(self._read_engine, self._pg_direct)
        try:
            yield SqlUnit(connection, self.schema, self.kind, writable=False, cache=self.cache)
        finally:
            await connection.close()

    @asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[SqlUnit]:
        await turns.checkpoint()  # before the lock: a paused writer must not hold it
        if lock is not None and self._groups is not None:
            async with self._grouped(lock) as unit:
                yield unit
            return
        if self.loop_engine is not None:
            async with self._loop_transaction() as unit:
                yield unit
            await self._after_commit(lock, unit)
            return
        mark = None
        async with self._local_lock(lock), self.engine.begin() as begun:
            connection: AsyncConnection | PgConnection = begun
            if self._pg_direct is not None:
                connection = PgConnection(begun, self._pg_direct)
                if lock is not None and self.schema.is_scope(lock):
                    mark = await self._lock_and_mark(connection, lock)
                elif lock is not None:
                    await connection.execute(_ADVISORY_LOCK, {"key": lock_key(lock)})
            unit = SqlUnit(
                connection,
                self.schema,
                self.kind,
                writable=True,
                cache=self.cache,
                known_keys=self.known_keys,
                recent=_checked if mark is not None else None,
                scope=lock,
            )
            yield unit
            await unit.flush()
            if self._pg_direct is not None:
                await _cover_marks(connection, unit, lock)
        if mark is not None:  # committed: the copies kept now are of this count
            assert lock is not None
            self._marks[lock] = mark
        await self._after_commit(lock, unit)

    async def _lock_and_mark(self, connection: PgConnection, lock: str) -> int:
        """Take `lock` and bump its write mark; drop the lock's copies unless the mark
        says nobody wrote under it since this process's last commit."""
        row = (
            await connection.execute(LOCK_AND_MARK, {"name": lock, "key": lock_key(lock)})
        ).first()
        assert row is not None
        mark = int(row[0])
        if self._marks.get(lock) != mark - 1 and self.cache is not None:
            self.cache.drop_scope(lock)
        return mark

    @asynccontextmanager
    async def _loop_transaction(self) -> AsyncIterator[SqlUnit]:
        """On the one writer connection, kept open (writers take turns under the lock)."""
        assert self.loop_engine is not None
        async with self._global_lock:
            if self._writer is None:
                self._writer = self.loop_engine.connect()
                self._data_version = None
            connection = self._writer
            try:
                if self._catch_up:
                    await self._catch_up_wal(connection)
                with connection.begin():
                    unit = SqlUnit(
                        LoopConnection(connection, self._direct),
                        self.schema,
                        self.kind,
                        known_keys=self.known_keys,
                        writable=True,
                        cache=self.cache,
                        recent=lambda: self._check_data_version(connection),
                    )
                    yield unit
                    await unit.flush()
            except DBAPIError as exc:
                if isinstance(exc, IntegrityError):
                    raise
                self._writer = None  # a connection that failed is not used again
                with contextlib.suppress(Exception):
                    connection.close()
                raise
            self._commits_since_checkpoint += 1
            if self._commits_since_checkpoint >= CHECKPOINT_EVERY and not self._checkpointing():
                self._commits_since_checkpoint = 0
                self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())

    def _check_data_version(self, connection: Connection) -> None:
        """Another connection (another process) committed since this writer's last
        transaction: the recent copies may be stale, drop them."""
        raw = connection.connection.driver_connection
        assert raw is not None
        [(version,)] = raw.execute("PRAGMA data_version").fetchall()
        if version != self._data_version and self.cache is not None:
            self.cache.drop_recent()
        self._data_version = version

    def _checkpointing(self) -> bool:
        """A checkpoint runs on this loop now (one left by a closed loop does not count)."""
        task = self._checkpoint
        return (
            task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()
        )

    async def _run_checkpoint(self) -> None:
        """Copy the WAL back into the database file on aiosqlite's thread: a checkpoint
        writes pages and calls fsync, and on the loop that stalled every request (the
        writer connection does not checkpoint by itself, see `_loop_pragmas`)."""
        try:
            async with self.engine.connect() as connection:
                result = await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                busy_frames_copied: tuple[Any, ...] = tuple(result.one())
                frames = int(busy_frames_copied[1])
            # the writer copies the rest (frames committed meanwhile) before its next write
            self._catch_up = frames >= WAL_RESTART_FRAMES
        except Exception:  # the next one catches up; the WAL only grows meanwhile
            log.warning("checkpointing the SQLite WAL failed", exc_info=True)
        finally:
            self._checkpoint = None

    async def _catch_up_wal(self, connection: Connection) -> None:
        """Copy what was committed while the thread checkpointed, writes held back.

        Under steady writes the thread's checkpoint alone never lets the WAL start over:
        SQLite writes from the WAL's beginning again only when every frame is back in
        the database file, and the loop commits new frames while the thread copies (a
        steady 50 tasks/s grew the file by 16 MB/s, without end). The frames committed
        meanwhile are few: the writer connection copies them on a thread (the copy
        waits on two fsyncs; the loop serves everything but writes meanwhile), and the
        write that follows starts the WAL over and cuts the file to `WAL_SIZE_LIMIT`
        (unless a reader still reads an older snapshot: then the next round does)."""
        self._catch_up = False
        raw = connection.connection.driver_connection
        copy = asyncio.get_running_loop().run_in_executor(None, _passive_checkpoint, raw)
        try:
            await asyncio.shield(copy)
        except asyncio.CancelledError:  # the thread still has the writer: wait it out
            with contextlib.suppress(Exception):
                await copy
            raise
        except Exception:  # the next round catches up; the WAL only grows meanwhile
            log.warning("checkpointing the SQLite WAL failed", exc_info=True)

    async def _begin_locked(self, lock: str) -> AsyncConnection:
        """A connection in a transaction that holds `lock`'s advisory lock."""
        connection = await self.engine.connect()
        try:
            started = await connection.begin()
            assert started.is_active
            # the mark too, so that other processes' copies of the workspace go
            if self.schema.is_scope(lock):
                await connection.execute(LOCK_AND_MARK, {"name": lock, "key": lock_key(lock)})
            else:
                await connection.execute(_ADVISORY_LOCK, {"key": lock_key(lock)})
        except BaseException:
            await connection.close()
            raise
        return connection

    @asynccontextmanager
    async def _grouped(self, lock: str) -> AsyncIterator[SqlUnit]:
        """A unit in a savepoint of `lock`'s commit group; exits once the group committed."""
        assert self._groups is not None
        async with self._groups.member(lock) as group:
            # prepared statements on asyncpg directly, as outside groups (ADR 0021)
            direct = self._pg_direct
            unit = SqlUnit(
                group.connection if direct is None else PgConnection(group.connection, direct),
                self.schema,
                self.kind,
                known_keys=self.known_keys,
                writable=True,
                cache=self.cache,
                stale=group.written,
            )
            savepoint = await group.connection.begin_nested()
            try:
                yield unit
                await unit.flush()
                await _cover_marks(group.connection, unit, lock)
            except BaseException:
                # only this member's work is undone; if even that fails, the group's
                # commit fails too and every member hears of it
                with contextlib.suppress(Exception):
                    await savepoint.rollback()
                raise
            await savepoint.commit()
            group.written.merge(unit.changed())
        await self._after_commit(lock, unit)

    async def _after_commit(self, lock: str | None, unit: SqlUnit) -> None:
        changes = unit.changed()
        self.forget(changes)
        cache = self.cache
        if unit.keeps_recent and cache is not None:
            schema = self.schema
            scope, field = unit.scope, schema.recent_scope
            for record in unit.held():
                kind = type(record)
                if kind in cache.recent_kinds and (
                    scope is None or getattr(record, field, None) == scope
                ):
                    cache.keep_recent(kind, schema.of(kind).key_of(record), record, scope)
        await unit._committed()
        self.observers.told(lock, changes)

    def forget(self, changes: Changes) -> None:
        if self.cache is not None:
            self.cache.forget(changes)

    def observe(self, hook: CommitHook) -> None:
        self.observers.add(hook)

    async def dispose(self) -> None:
        if self._groups is not None:
            await self._groups.wait_closed()
        await self.engine.dispose()
        if self._checkpointing():
            assert self._checkpoint is not None
            await self._checkpoint
        if self.loop_engine is not None:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self.loop_engine.dispose()
        if self._short_reads is not None:
            self._short_reads.dispose()
