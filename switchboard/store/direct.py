"""Prepared statements run on the loop's sqlite3 connection directly (issue 10).

The write transaction's statements are a few shapes built once (an insert per table,
an update per set of columns, a read by key, the prepared queries) and run many times.
SQLAlchemy re-does per execution what does not change between runs: the execution
context, the compiled cache lookup, parameter and result processing through its
generic machinery. On the routing path that was most of a statement's CPU, more than
SQLite's own work. A statement registered with :func:`prepared` is compiled once per
set of parameter names into its SQL text, its parameter order and its bind and result
processors (SQLAlchemy's own, for the dialect), then run with ``sqlite3`` directly in the
same connection and transaction. Anything else (a statement built on the spot, an
expanding ``IN`` list, a statement SQLAlchemy renders at execution time) goes through
SQLAlchemy as before.

PostgreSQL takes the same path with asyncpg (:meth:`DirectStatements.run_asyncpg`):
there SQLAlchemy's async layer cost 191 us of CPU per statement against asyncpg's own
62 us (a read by key on this machine), and a task's lifecycle runs some thirty of them.
The statements run on the asyncpg connection under SQLAlchemy's, inside the
transaction SQLAlchemy began (see ``PgConnection`` in :mod:`switchboard.store.sql`).

Errors are SQLAlchemy's: an integrity error is :class:`sqlalchemy.exc.IntegrityError`
and any other driver error :class:`sqlalchemy.exc.DBAPIError`, as callers expect.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql.dml import Insert

Processor = Callable[[Any], Any] | None

MAX_PLANS = 2048  # compiled plans kept: the code has a few hundred shapes at most

# id(statement) -> statement: the statement is kept alive, so its id stays its own
_PREPARED: dict[int, Any] = {}


S = TypeVar("S")


def prepared(statement: S) -> S:
    """Mark a statement built once and reused: it may run on the driver directly."""
    if len(_PREPARED) >= MAX_PLANS:
        _PREPARED.clear()
    _PREPARED[id(statement)] = statement
    return statement


@dataclass(frozen=True, slots=True)
class Plan:
    """A statement compiled for direct runs."""

    sql: str
    names: tuple[str, ...]  # bound parameters, in the order the SQL takes them
    defaults: dict[str, Any]  # values compiled into the statement (a LIMIT, say)
    binds: tuple[Processor, ...]
    columns: tuple[str, ...]  # result keys (empty: no rows)
    results: tuple[Processor, ...]


class Row:
    """A result row: by position, and by name through `_mapping` (as SQLAlchemy's)."""

    __slots__ = ("_mapping", "_values")

    def __init__(self, columns: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._values = values
        self._mapping = dict(zip(columns, values, strict=True))

    def __getitem__(self, index: int) -> Any:
        return self._values[index]


class Result:
    """The part of SQLAlchemy's result the store uses: `first`, `all`, `rowcount`."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None = None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid  # the row inserted by a single-row INSERT

    def first(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Row]:
        return self._rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)


def _rowcount(status: str) -> int:
    """The rows a command touched, from its status tag (``UPDATE 3``, ``INSERT 0 1``)."""
    _command, _space, count = status.rpartition(" ")
    return int(count) if count.isdigit() else -1


class DirectStatements:
    """Compiled plans of prepared statements, for one dialect (SQLite's or asyncpg's)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, tuple[str, ...]], Plan | None] = {}

    def plan(self, statement: Any, keys: tuple[str, ...]) -> Plan | None:
        """The plan of a prepared statement run with parameters named `keys`; None when
        it is not prepared or cannot run directly."""
        if id(statement) not in _PREPARED:
            return None
        shape = (id(statement), keys)
        if shape in self._plans:
            return self._plans[shape]
        if len(self._plans) >= MAX_PLANS:
            self._plans.clear()
        plan = self._plans[shape] = self._compile(statement, keys)
        return plan

    def _compile(self, statement: Any, keys: tuple[str, ...]) -> Plan | None:
        # an INSERT takes its columns from the parameters, unless it lists its rows
        fills = isinstance(statement, Insert) and not statement._multi_values
        column_keys = list(keys) if fills else None
        compiled = statement.compile(dialect=self.dialect, column_keys=column_keys)
        names = compiled.positiontup
        if names is None or "POSTCOMPILE" in compiled.string:
            return None
        dialect = self.dialect
        binds = tuple(compiled.binds[name].type._cached_bind_processor(dialect) for name in names)
        defaults = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if name not in keys and bind.value is not None
        }
        result_columns = compiled._result_columns
        columns = tuple(entry[0] for entry in result_columns)
        try:
            results = tuple(
                entry[3]._cached_result_processor(dialect, None) for entry in result_columns
            )
        except (TypeError, ValueError):
            # a processor that needs the column's type as the driver describes it (a
            # numeric on PostgreSQL): SQLAlchemy runs the statement
            return None
        return Plan(compiled.string, tuple(names), defaults, binds, columns, results)

    def execute(self, raw: Any, plan: Plan, parameters: Any) -> Result:
        """Run `plan` on `raw` (the sqlite3 connection under SQLAlchemy's)."""
        many = isinstance(parameters, list)
        rows_in: Sequence[dict[str, Any]] = parameters if many else [parameters or {}]
        values = [self._values(plan, row) for row in rows_in]
        try:
            run = raw.executemany if many else raw.execute
            cursor = run(plan.sql, values if many else values[0])
            fetched = cursor.fetchall() if plan.columns else []
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(plan.sql, None, exc) from exc
        except sqlite3.Error as exc:
            raise DBAPIError(plan.sql, None, exc) from exc
        rowcount = cursor.rowcount
        lastrowid = None if many else cursor.lastrowid
        cursor.close()
        return Result([self._row(plan, values) for values in fetched], rowcount, lastrowid)

    async def run_asyncpg(self, raw: asyncpg.Connection, plan: Plan, parameters: Any) -> Result:
        """Run `plan` on `raw` (the asyncpg connection under SQLAlchemy's). Several rows
        of a statement without results go in one ``executemany``; a statement with
        results runs for one row of parameters (the caller sends others to SQLAlchemy)."""
        try:
            if isinstance(parameters, list):
                assert not plan.columns, "rows of a statement with results run one by one"
                await raw.executemany(plan.sql, [self._values(plan, row) for row in parameters])
                return Result([], -1)
            values = self._values(plan, parameters or {})
            if plan.columns:
                fetched = await raw.fetch(plan.sql, *values)
                return Result([self._row(plan, tuple(row)) for row in fetched], len(fetched))
            return Result([], _rowcount(await raw.execute(plan.sql, *values)))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(plan.sql, None, exc) from exc
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DBAPIError(plan.sql, None, exc) from exc

    @staticmethod
    def _values(plan: Plan, given: dict[str, Any]) -> tuple[Any, ...]:
        defaults = plan.defaults
        out = []
        for name, process in zip(plan.names, plan.binds, strict=True):
            value = given[name] if name in given else defaults.get(name)
            out.append(value if process is None else process(value))
        return tuple(out)

    @staticmethod
    def _row(plan: Plan, values: tuple[Any, ...]) -> Row:
        if any(process is not None for process in plan.results):
            values = tuple(
                value if process is None else process(value)
                for value, process in zip(values, plan.results, strict=True)
            )
        return Row(plan.columns, values)
