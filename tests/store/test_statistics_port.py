"""The statistics port: the SQL aggregates and the portable Python ones agree.

The memory store computes every figure with :class:`PortableStatistics`; SQLite and
PostgreSQL group in SQL with :class:`SqlStatistics`. On the same random history in a
SQL store, both must give exactly the same answers.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.distribution.domain.ports import StatisticsQueries
from switchboard.distribution.domain.records import Event, Task, Worker
from switchboard.distribution.domain.statistics import EventScope, Window
from switchboard.distribution.persistence.sql_statistics import SqlStatistics
from switchboard.distribution.stats.portable import PortableStatistics
from switchboard.kernel.ports import Store
from tests.databases import migrated_store

WS = "WS" + "1" * 32
QUEUES = ["WQ" + "a" * 32, "WQ" + "b" * 32]
WORKFLOWS = ["WW" + "c" * 32, "WW" + "d" * 32]
CHANNELS = ["TC" + "e" * 32, "TC" + "f" * 32]
ACTIVITIES = ["WA" + "1" * 32, "WA" + "2" * 32, "WA" + "3" * 32]
WORKERS = [f"WK{n:032x}" for n in range(4)]
THRESHOLDS = (0, 5, 30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with migrated_store(request.param, tmp_path) as store:
        yield store


class History:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[Event] = []
        self.tasks: list[Task] = []
        self.workers: list[Worker] = []

    def event(self, event_type: str, at: int, task: str | None, **fields: Any) -> None:
        data = {"task_channel_sid": fields.pop("channel", None), **fields.pop("data", {})}
        self.events.append(
            Event(
                account_sid="AC" + "0" * 32,
                workspace_sid=WS,
                event_type=event_type,
                resource_type="task",
                resource_sid=task or WS,
                description="",
                event_data=json.dumps(data),
                event_date=at,
                task_sid=task,
                **fields,
            )
        )

    def build(self) -> History:
        rng = self.rng
        for n in range(50):
            sid = f"WT{n:032x}"
            queue, flow, channel = rng.choice(QUEUES), rng.choice(WORKFLOWS), rng.choice(CHANNELS)
            created = rng.randint(0, 100_000)
            step = rng.choice([(None, None), (-1, 0), (0, 0), (1, 2)])
            common = {"task_queue_sid": queue, "workflow_sid": flow, "channel": channel}
            self.event("task.created", created, sid, **common)
            entered = created + rng.randint(0, 20_000)
            self.event("task-queue.entered", entered, sid, **common)
            ended = entered + rng.choice([0, 4_000, 40_000, rng.randint(0, 90_000)])
            worker = rng.choice(WORKERS)
            data: dict[str, Any] = {"filter_index": step[0], "target_index": step[1]}
            if rng.random() < 0.6:
                self.event(
                    "reservation.accepted", ended, sid, worker_sid=worker, data=data, **common
                )
            else:
                self.event("task.canceled", ended, sid, **common)
            status = rng.choice(["pending", "reserved", "assigned", "wrapping", "completed"])
            self.tasks.append(self._task(sid, queue, flow, channel, created, entered, status))
        for n, sid in enumerate(WORKERS):
            for _ in range(rng.randint(0, 4)):
                spent = rng.randint(0, 60_000)
                at = rng.randint(0, 150_000)
                data = {
                    "worker_previous_activity_sid": rng.choice(ACTIVITIES),
                    "worker_time_in_previous_activity_ms": str(spent),
                }
                self.event("worker.activity.update", at, None, worker_sid=sid, data=data)
            self.workers.append(self._worker(sid, n, rng.randint(0, 150_000)))
        return self

    def _task(
        self, sid: str, queue: str, flow: str, channel: str, created: int, entered: int, status: str
    ) -> Task:
        return Task(
            sid=sid,
            workspace_sid=WS,
            assignment_status=status,
            priority=self.rng.choice([0, 5]),
            workflow_sid=flow,
            task_queue_sid=queue,
            task_channel_sid=channel,
            virtual_start_time=created,
            task_queue_entered_date=self.rng.choice([entered, None]),
            date_created=created,
            date_updated=created,
        )

    def _worker(self, sid: str, n: int, since: int) -> Worker:
        return Worker(
            sid=sid,
            workspace_sid=WS,
            friendly_name=f"w{n}",
            name_key=f"w{n}",
            activity_sid=self.rng.choice(ACTIVITIES),
            available=True,
            idle_since=0,
            date_status_changed=since,
            date_created=0,
            date_updated=0,
        )


async def _write(store: Store, history: History) -> None:
    """Events without foreign keys; tasks and workers go in through raw rows of their own."""
    async with store.transaction() as unit:
        for event in history.events:
            unit.add(event)
    # tasks and workers reference a workspace: SQL enforces it, so add one first
    from switchboard.distribution.domain.records import Workspace
    from switchboard.tenancy.domain.records import Account

    async with store.transaction() as unit:
        unit.add(
            Account(
                sid="AC" + "0" * 32,
                friendly_name="a",
                auth_token_hash="x",
                date_created=0,
                date_updated=0,
            )
        )
        unit.add(
            Workspace(
                sid=WS,
                account_sid="AC" + "0" * 32,
                friendly_name="w",
                date_created=0,
                date_updated=0,
            )
        )
    async with store.transaction() as unit:
        for record in (*history.tasks, *history.workers):
            unit.add(record)


async def _answers(queries: StatisticsQueries, store: Store, scope: EventScope) -> dict[str, Any]:
    async with store.read() as unit:
        answers: dict[str, Any] = {
            "counts": await queries.event_counts(
                unit, scope, ["task.created", "reservation.accepted", "task.canceled"]
            ),
            "routing": {
                k: sorted(v, key=repr)
                for k, v in (await queries.routing_counts(unit, scope)).items()
            },
        }
        for kind in ("accepted", "canceled", "in_queue"):
            answers[kind] = await queries.wait_durations(unit, scope, kind, THRESHOLDS)
        for workers in (None, set(WORKERS[:2])):
            key = "all" if workers is None else "some"
            answers[f"ended-{key}"] = await queries.ended_stints(unit, scope, workers)
            answers[f"current-{key}"] = await queries.current_stints(unit, scope, workers, 160_000)
        for group, keys in (
            ("workspace_sid", None),
            ("task_queue_sid", QUEUES),
            ("workflow_sid", WORKFLOWS[:1]),
        ):
            for channel in (None, CHANNELS[0]):
                answers[f"tasks-{group}-{channel}"] = await queries.task_figures(
                    unit, WS, group, keys, channel
                )
    return answers


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_sql_and_portable_statistics_agree(sql_store: Store, seed: int) -> None:
    history = History(seed).build()
    await _write(sql_store, history)
    for window in (Window(0, 200_000), Window(30_000, 80_000)):
        for group, keys in (
            ("workspace_sid", (WS,)),
            ("task_queue_sid", tuple(QUEUES)),
            ("workflow_sid", None),
        ):
            for channel in (None, CHANNELS[1]):
                scope = EventScope(WS, window, group, keys, channel)
                sql = await _answers(SqlStatistics(), sql_store, scope)
                portable = await _answers(PortableStatistics(), sql_store, scope)
                for name in sql:
                    assert _plain(sql[name]) == _plain(portable[name]), (name, scope)


def _plain(value: Any) -> Any:
    """Dicts (defaultdicts), dataclasses and tuples as comparable plain values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value
