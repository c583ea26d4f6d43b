"""The statistics aggregates in SQL (SQLite and PostgreSQL alike): the database groups.

Events keep their details in the `event_data` JSON text; a few figures need a
field of it in SQL (the task channel, the workflow step, the time a worker spent
in its previous activity). :class:`json_text` reads one field as text with each
database's own JSON function, so the aggregation stays in SQL and no request
loops over an event table in Python.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from switchboard.distribution.domain import statistics as st
from switchboard.distribution.domain.ports import Counts, RoutingRows
from switchboard.distribution.domain.statistics import (
    Aggregates,
    EventScope,
    TaskFigures,
    Waits,
)
from switchboard.distribution.persistence.event_rows import CODES, INLINE
from switchboard.distribution.persistence.tables import events, tasks, workers
from switchboard.kernel.ports import Unit
from switchboard.store.sql import SqlConnection, SqlUnit

_KEY = re.compile(r"^[A-Za-z_]+$")
# a selection this small is filtered in SQL; a larger one is grouped per worker and summed
MAX_IN_LIST = 500


class json_text(FunctionElement[str]):
    """`event_data.<key>` as text (NULL when absent); the key is a fixed identifier."""

    type = String()
    inherit_cache = True
    name = "json_text"

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        if not _KEY.match(key):
            raise ValueError(f"not a JSON key this module reads: {key!r}")
        # the key is a literal, so it is part of the statement and its cache key
        super().__init__(column, literal_column(f"'{key}'"))


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = element.clauses
    return f"json_extract({compiler.process(column, **kw)}, '$.' || {compiler.process(key, **kw)})"


@compiles(json_text)
def _json_text_default(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    """PostgreSQL (and any database with its `->>` operator): the column holds JSON text."""
    column, key = element.clauses
    return f"(CAST({compiler.process(column, **kw)} AS JSON) ->> {compiler.process(key, **kw)})"


def event_field(column: ColumnElement[Any], key: str) -> ColumnElement[str]:
    """`event_data.<key>` as text: by its full name (rows written before the compact
    form), else by its code (event_rows.CODES); only fields every row keeps inline
    (event_rows.INLINE: a linked row keeps no others)."""
    if key not in INLINE:
        raise ValueError(f"event_data.{key} is not kept in every row (event_rows.INLINE)")
    code = CODES.get(key)
    if code is None:
        return json_text(column, key)
    found: ColumnElement[str] = func.coalesce(json_text(column, key), json_text(column, code))
    return found


def json_int(column: ColumnElement[Any], key: str) -> ColumnElement[int]:
    """A numeric `event_data` field (stored as a number or as digits) as an integer."""
    return cast(event_field(column, key), BigInteger)


def as_int(value: Any) -> int:
    """SQL sums come back as int, Decimal (PostgreSQL numeric) or None (no rows)."""
    return 0 if value is None else int(value)


def _connection(unit: Unit) -> SqlConnection:
    if not isinstance(unit, SqlUnit):
        raise TypeError("SQL statistics need a SQL store")
    return unit.connection


def _key(e: FromClause, scope: EventScope) -> ColumnElement[str]:
    column: ColumnElement[str] = e.c[scope.group]
    return column


def _where(e: FromClause, scope: EventScope, *event_types: str) -> list[ColumnElement[bool]]:
    """The workspace, the window (both ends included), the types, the keys, the channel."""
    clauses: list[ColumnElement[bool]] = [
        e.c.workspace_sid == scope.workspace_sid,
        e.c.event_type.in_(event_types),
        e.c.event_date >= scope.window.start,
        e.c.event_date <= scope.window.end,
    ]
    if scope.keys is not None:
        clauses.append(_key(e, scope).in_(scope.keys))
    if scope.channel_sid is not None:
        # the channel column (the events that name their channel there), else the
        # payload (rows written before it did)
        in_payload = event_field(e.c.event_data, "task_channel_sid")
        clauses.append(or_(e.c.task_channel == scope.channel_sid, in_payload == scope.channel_sid))
    return clauses


def _later(a: ColumnElement[int], b: int) -> ColumnElement[int]:
    return case((a > b, a), else_=literal(b, BigInteger))


def _earlier(a: ColumnElement[int], b: int) -> ColumnElement[int]:
    return case((a < b, a), else_=literal(b, BigInteger))


def _in_list(column: ColumnElement[Any], selected: Collection[str] | None) -> list[Any]:
    if selected is None or len(selected) > MAX_IN_LIST:
        return []
    return [column.in_(sorted(selected))]


def _collect(rows: Sequence[Any], selected: Collection[str] | None) -> Aggregates:
    """Rows of `(activity, [worker,] count, total, min, max)` merged per activity."""
    found: Aggregates = {}
    for row in rows:
        if selected is not None:
            activity, worker, *figures = row
            if worker not in selected:
                continue
        else:
            activity, *figures = row
        count, total, low, high = (as_int(value) for value in figures)
        current = found.get(activity, st.DurationAggregate())
        found[activity] = current.merge(st.DurationAggregate(count, total, low, high))
    return found


def _wait_rows(scope: EventScope, kind: str) -> Subquery:
    """`(grp, wait)` per accepted reservation or canceled task in the window.

    Waits start at the task's creation (`task.created`), or for `in_queue` at
    the task's last entry into the reservation's queue before the acceptance.
    """
    a = events.alias()
    event_type = "task.canceled" if kind == "canceled" else "reservation.accepted"
    if kind == "in_queue":
        q = events.alias()
        entered = (
            select(func.max(q.c.event_date))
            .where(
                q.c.task_sid == a.c.task_sid,
                q.c.event_type == "task-queue.entered",
                q.c.task_queue_sid == a.c.task_queue_sid,
                q.c.seq < a.c.seq,
            )
            .scalar_subquery()
        )
        query = select(_key(a, scope).label("grp"), (a.c.event_date - entered).label("wait"))
    else:
        c = events.alias()
        created = and_(c.c.task_sid == a.c.task_sid, c.c.event_type == "task.created")
        query = select(
            _key(a, scope).label("grp"), (a.c.event_date - c.c.event_date).label("wait")
        ).join(c, created)
    return query.where(*_where(a, scope, event_type)).subquery()


class SqlStatistics:
    """:class:`~switchboard.distribution.domain.ports.StatisticsQueries` in SQL."""

    async def event_counts(
        self, unit: Unit, scope: EventScope, event_types: Sequence[str]
    ) -> Counts:
        e = events.alias()
        key = _key(e, scope)
        query = (
            select(key, e.c.event_type, func.count(), func.count(distinct(e.c.task_sid)))
            .where(*_where(e, scope, *event_types))
            .group_by(key, e.c.event_type)
        )
        counts: Counts = defaultdict(dict)
        result = await _connection(unit).execute(query)
        for group, event_type, n_events, n_tasks in result.all():
            if group is not None:
                counts[group][event_type] = (int(n_events), int(n_tasks))
        return counts

    async def wait_durations(
        self, unit: Unit, scope: EventScope, kind: str, thresholds: Sequence[int]
    ) -> dict[str, Waits]:
        """Aggregates and threshold counts in one query, percentiles in a second one."""
        rows = _wait_rows(scope, kind)
        present = rows.c.wait.is_not(None)
        above = [func.sum(case((rows.c.wait > s * 1000, 1), else_=0)) for s in thresholds]
        query = (
            select(
                rows.c.grp,
                func.count(),
                func.sum(rows.c.wait),
                func.min(rows.c.wait),
                func.max(rows.c.wait),
                *above,
            )
            .where(present)
            .group_by(rows.c.grp)
        )
        found: dict[str, Waits] = {}
        connection = _connection(unit)
        for group, count, total, low, high, *over in (await connection.execute(query)).all():
            aggregate = st.DurationAggregate(int(count), as_int(total), as_int(low), as_int(high))
            counts = {s: as_int(n) for s, n in zip(thresholds, over, strict=True)}
            found[group] = Waits(aggregate, above=counts)
        await _add_percentiles(connection, rows, present, found)
        return found

    async def routing_counts(self, unit: Unit, scope: EventScope) -> RoutingRows:
        e = events.alias()
        key = _key(e, scope)
        filter_index = json_int(e.c.event_data, "filter_index")
        target_index = json_int(e.c.event_data, "target_index")
        query = (
            select(key, filter_index, target_index, func.count())
            .where(*_where(e, scope, "reservation.accepted"))
            .group_by(key, filter_index, target_index)
        )
        rows: RoutingRows = defaultdict(list)
        for group, f_index, t_index, count in (await _connection(unit).execute(query)).all():
            rows[group].append((f_index, t_index, int(count)))
        return rows

    async def ended_stints(
        self, unit: Unit, scope: EventScope, workers: Collection[str] | None
    ) -> Aggregates:
        e, window = events.alias(), scope.window
        activity = event_field(e.c.event_data, "worker_previous_activity_sid")
        began = e.c.event_date - json_int(e.c.event_data, "worker_time_in_previous_activity_ms")
        clipped = _earlier(e.c.event_date, window.end) - _later(began, window.start)
        keys = [activity] if workers is None else [activity, e.c.worker_sid]
        query = (
            select(*keys, func.count(), func.sum(clipped), func.min(clipped), func.max(clipped))
            .where(
                e.c.workspace_sid == scope.workspace_sid,
                e.c.event_type == "worker.activity.update",
                e.c.event_date > window.start,
                began < window.end,
                *_in_list(e.c.worker_sid, workers),
            )
            .group_by(*keys)
        )
        return _collect((await _connection(unit).execute(query)).all(), workers)

    async def current_stints(
        self, unit: Unit, scope: EventScope, workers: Collection[str] | None, now: int
    ) -> Aggregates:
        window, w = scope.window, _workers
        until = min(now, window.end)
        if until <= window.start:
            return {}
        clipped = literal(until, BigInteger) - _later(w.c.date_status_changed, window.start)
        keys = [w.c.activity_sid] if workers is None else [w.c.activity_sid, w.c.sid]
        query = (
            select(*keys, func.count(), func.sum(clipped), func.min(clipped), func.max(clipped))
            .where(
                w.c.workspace_sid == scope.workspace_sid,
                w.c.date_status_changed < until,
                *_in_list(w.c.sid, workers),
            )
            .group_by(*keys)
        )
        return _collect((await _connection(unit).execute(query)).all(), workers)

    async def task_figures(
        self,
        unit: Unit,
        workspace_sid: str,
        group: str,
        keys: Sequence[str] | None,
        channel: str | None,
    ) -> dict[str, TaskFigures]:
        column: ColumnElement[str] = tasks.c[group]
        scope: list[ColumnElement[bool]] = [tasks.c.workspace_sid == workspace_sid]
        if keys is not None:
            scope.append(column.in_(keys))
        if channel is not None:
            scope.append(tasks.c.task_channel_sid == channel)
        figures: dict[str, TaskFigures] = defaultdict(TaskFigures)
        counted = (
            select(column, tasks.c.assignment_status, tasks.c.priority, func.count())
            .where(*scope, tasks.c.assignment_status.in_(st.LIVE_TASK_STATUSES))
            .group_by(column, tasks.c.assignment_status, tasks.c.priority)
        )
        connection = _connection(unit)
        for key, status, priority, count in (await connection.execute(counted)).all():
            figures[key].count(status, priority, int(count))
        await _add_oldest(connection, column, scope, figures)
        return figures


_workers = workers


async def _add_percentiles(
    connection: SqlConnection,
    rows: Subquery,
    present: ColumnElement[bool],
    found: dict[str, Waits],
) -> None:
    """The rows at the nearest ranks of each percentile, found with a window function."""
    if not found:
        return
    ranked = (
        select(
            rows.c.grp,
            rows.c.wait,
            func.row_number().over(partition_by=rows.c.grp, order_by=rows.c.wait).label("rn"),
            func.count().over(partition_by=rows.c.grp).label("n"),
        )
        .where(present)
        .subquery()
    )
    wanted = or_(*(ranked.c.rn == (ranked.c.n * p + 99) // 100 for p in st.PERCENTILES))
    query = select(ranked.c.grp, ranked.c.rn, ranked.c.n, ranked.c.wait).where(wanted)
    at_rank: dict[str, dict[int, int]] = defaultdict(dict)
    for group, rank, _count, wait in (await connection.execute(query)).all():
        at_rank[group][int(rank)] = int(wait)
    for group, waits in found.items():
        ranks = at_rank.get(group, {})
        waits.percentiles = {
            p: ranks[st.nearest_rank(p, waits.figures.count)]
            for p in st.PERCENTILES
            if st.nearest_rank(p, waits.figures.count) in ranks
        }


async def _add_oldest(
    connection: SqlConnection,
    column: ColumnElement[str],
    scope: list[ColumnElement[bool]],
    figures: dict[str, TaskFigures],
) -> None:
    """The longest-waiting task per key, by creation and by queue entry (a window function)."""
    by_age = func.row_number().over(
        partition_by=column, order_by=(tasks.c.date_created, tasks.c.sid)
    )
    # tasks that never entered a queue rank last on every database (NULLS LAST)
    by_entry = func.row_number().over(
        partition_by=column,
        order_by=(tasks.c.task_queue_entered_date.asc().nulls_last(), tasks.c.sid),
    )
    ranked = (
        select(
            column.label("grp"),
            tasks.c.sid,
            tasks.c.date_created,
            tasks.c.task_queue_entered_date,
            by_age.label("r_age"),
            by_entry.label("r_entry"),
        )
        .where(*scope, tasks.c.assignment_status.in_(st.WAITING_TASK_STATUSES))
        .subquery()
    )
    query = select(ranked).where(or_(ranked.c.r_age == 1, ranked.c.r_entry == 1))
    for key, sid, created, entered, r_age, r_entry in (await connection.execute(query)).all():
        if r_age == 1:
            figures[key].oldest = (created, sid)
        if r_entry == 1 and entered is not None:
            figures[key].oldest_in_queue = (entered, sid)
