"""The statistics aggregates computed in Python from the records any store returns.

The memory store uses these; the SQL stores use the grouped queries of
:mod:`switchboard.distribution.persistence.sql_statistics`, and the store contract
suite checks that both give the same answers on the same history.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from switchboard.distribution.domain import statistics as st
from switchboard.distribution.domain.ports import Counts, RoutingRows
from switchboard.distribution.domain.records import Event, Task, Worker
from switchboard.distribution.domain.statistics import (
    Aggregates,
    EventScope,
    TaskFigures,
    Waits,
)
from switchboard.kernel.criteria import Criterion, eq, ge, isin, le, lt
from switchboard.kernel.ports import Unit


def _data(event: Event) -> dict[str, Any]:
    value = json.loads(event.event_data or "{}")
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> int | None:
    """A numeric event field, stored as a number or as digits (as SQL would cast it)."""
    if value is None or isinstance(value, bool):
        return None
    return int(value)


async def _scoped(unit: Unit, scope: EventScope, *event_types: str) -> list[Event]:
    where: list[Criterion] = [
        eq("workspace_sid", scope.workspace_sid),
        isin("event_type", event_types),
        ge("event_date", scope.window.start),
        le("event_date", scope.window.end),
    ]
    if scope.keys is not None:
        where.append(isin(scope.group, scope.keys))
    found = await unit.select(Event, *where)
    if scope.channel_sid is None:
        return found
    return [e for e in found if _data(e).get("task_channel_sid") == scope.channel_sid]


def _grouped(events: Iterable[Event], scope: EventScope) -> dict[str, list[Event]]:
    groups: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        key = getattr(event, scope.group)
        if key is not None:
            groups[key].append(event)
    return groups


def _aggregates(rows: Iterable[tuple[str | None, int]]) -> Aggregates:
    values: dict[Any, list[int]] = defaultdict(list)
    for activity, duration in rows:
        values[activity].append(duration)
    return {activity: st.aggregate(found) for activity, found in values.items()}


class PortableStatistics:
    """:class:`~switchboard.distribution.domain.ports.StatisticsQueries` over `unit.select`."""

    async def event_counts(
        self, unit: Unit, scope: EventScope, event_types: Sequence[str]
    ) -> Counts:
        counts: Counts = defaultdict(dict)
        for key, found in _grouped(await _scoped(unit, scope, *event_types), scope).items():
            by_type: dict[str, list[Event]] = defaultdict(list)
            for event in found:
                by_type[event.event_type].append(event)
            for event_type, events in by_type.items():
                tasks = {e.task_sid for e in events if e.task_sid is not None}
                counts[key][event_type] = (len(events), len(tasks))
        return counts

    async def wait_durations(
        self, unit: Unit, scope: EventScope, kind: str, thresholds: Sequence[int]
    ) -> dict[str, Waits]:
        event_type = "task.canceled" if kind == "canceled" else "reservation.accepted"
        ended = await _scoped(unit, scope, event_type)
        task_sids = sorted({e.task_sid for e in ended if e.task_sid is not None})
        waits: dict[str, list[int]] = defaultdict(list)
        if kind == "in_queue":
            entries = await unit.select(
                Event, isin("task_sid", task_sids), eq("event_type", "task-queue.entered")
            )
            for event in ended:
                entered = [
                    q.event_date
                    for q in entries
                    if q.task_sid == event.task_sid
                    and q.task_queue_sid == event.task_queue_sid
                    and (q.seq or 0) < (event.seq or 0)
                ]
                key = getattr(event, scope.group)
                if entered and key is not None:
                    waits[key].append(event.event_date - max(entered))
        else:
            created = await unit.select(
                Event, isin("task_sid", task_sids), eq("event_type", "task.created")
            )
            starts: dict[str, list[int]] = defaultdict(list)
            for event in created:
                starts[event.task_sid or ""].append(event.event_date)
            for event in ended:
                key = getattr(event, scope.group)
                for start in starts.get(event.task_sid or "", ()):
                    waits[key].append(event.event_date - start)
        return {key: st.waits_of(values, thresholds) for key, values in waits.items()}

    async def routing_counts(self, unit: Unit, scope: EventScope) -> RoutingRows:
        counted: dict[str, dict[tuple[int | None, int | None], int]] = defaultdict(
            lambda: defaultdict(int)
        )
        for key, found in _grouped(
            await _scoped(unit, scope, "reservation.accepted"), scope
        ).items():
            for event in found:
                data = _data(event)
                step = (_number(data.get("filter_index")), _number(data.get("target_index")))
                counted[key][step] += 1
        return {key: [(f, t, n) for (f, t), n in steps.items()] for key, steps in counted.items()}

    async def ended_stints(
        self, unit: Unit, scope: EventScope, workers: Collection[str] | None
    ) -> Aggregates:
        window = scope.window
        where: list[Criterion] = [
            eq("workspace_sid", scope.workspace_sid),
            eq("event_type", "worker.activity.update"),
        ]
        if workers is not None:
            where.append(isin("worker_sid", sorted(workers)))
        rows = []
        for event in await unit.select(Event, *where):
            data = _data(event)
            began = event.event_date - (
                _number(data.get("worker_time_in_previous_activity_ms")) or 0
            )
            if event.event_date <= window.start or began >= window.end:
                continue
            clipped = min(event.event_date, window.end) - max(began, window.start)
            rows.append((data.get("worker_previous_activity_sid"), clipped))
        return _aggregates(rows)

    async def current_stints(
        self, unit: Unit, scope: EventScope, workers: Collection[str] | None, now: int
    ) -> Aggregates:
        window = scope.window
        until = min(now, window.end)
        if until <= window.start:
            return {}
        where: list[Criterion] = [
            eq("workspace_sid", scope.workspace_sid),
            lt("date_status_changed", until),
        ]
        if workers is not None:
            where.append(isin("sid", sorted(workers)))
        found = await unit.select(Worker, *where)
        return _aggregates(
            (w.activity_sid, until - max(w.date_status_changed, window.start)) for w in found
        )

    async def task_figures(
        self,
        unit: Unit,
        workspace_sid: str,
        group: str,
        keys: Sequence[str] | None,
        channel: str | None,
    ) -> dict[str, TaskFigures]:
        where: list[Criterion] = [
            eq("workspace_sid", workspace_sid),
            isin("assignment_status", st.LIVE_TASK_STATUSES),
        ]
        if keys is not None:
            where.append(isin(group, keys))
        if channel is not None:
            where.append(eq("task_channel_sid", channel))
        figures: dict[str, TaskFigures] = defaultdict(TaskFigures)
        for task in await unit.select(Task, *where):
            key = getattr(task, group)
            found = figures[key]
            found.count(task.assignment_status, task.priority, 1)
            if task.assignment_status not in st.WAITING_TASK_STATUSES:
                continue
            if found.oldest is None or (task.date_created, task.sid) < found.oldest:
                found.oldest = (task.date_created, task.sid)
            entered = task.task_queue_entered_date
            if entered is not None and (
                found.oldest_in_queue is None or (entered, task.sid) < found.oldest_in_queue
            ):
                found.oldest_in_queue = (entered, task.sid)
        return figures
