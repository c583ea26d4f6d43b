"""A task's events written together store its data once (issue 10, "events stay small";
migration 0021): on SQLite, where one statement numbers its rows one after the other,
the events after the first about the same task store only how their data differs, and
every way of reading them gives them back whole. PostgreSQL numbers rows from a shared
sequence and stores every row whole."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy.engine import Connection

from switchboard.database import SCHEMA, alembic_config, upgrade
from switchboard.distribution.domain.records import Event
from switchboard.kernel.criteria import asc, eq
from switchboard.store.sql import SqlStore
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

WS, TASK, FLOW, QUEUE = ("WS" + "1" * 32, "WT" + "2" * 32, "WW" + "3" * 32, "WQ" + "4" * 32)
CHANNEL = "TC" + "5" * 32


def _event(event_type: str, description: str, **data: Any) -> Event:
    payload = {
        "workspace_sid": WS,
        "workspace_name": "Support",
        "task_sid": TASK,
        "task_attributes": json.dumps({"type": "support", "lang": ["fr", "en"]}),
        "task_age": "0",
        "task_priority": "0",
        "task_assignment_status": "pending",
        "task_channel_sid": CHANNEL,
        "task_queue_sid": None,
        "workflow_sid": FLOW,
        **data,
    }
    return Event(
        account_sid="AC" + "6" * 32,
        workspace_sid=WS,
        event_type=event_type,
        resource_type="task",
        resource_sid=TASK,
        actor_type="workspace",
        actor_sid=WS,
        description=description,
        event_data=json.dumps(payload, separators=(",", ":")),
        event_date=1_700_000_000_000,
        task_sid=TASK,
        task_queue_sid=payload["task_queue_sid"],
        workflow_sid=FLOW,
    )


def _creation() -> list[Event]:
    """The three events a task's creation writes."""
    return [
        _event("task.created", f"Task {TASK} created"),
        _event("workflow.entered", f"Task {TASK} entered Workflow Main", workflow_name="Main"),
        _event(
            "task-queue.entered",
            f"Task {TASK} entered TaskQueue All",
            task_queue_sid=QUEUE,
            task_queue_name="All",
        ),
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'links.db'}"
        return
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


async def _sync(url: str, work: Any) -> Any:
    store = SqlStore(url, SCHEMA)
    try:
        async with store.engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await store.dispose()


def _stored_data(connection: Connection) -> list[str]:
    return list(connection.exec_driver_sql("SELECT event_data FROM events ORDER BY seq").scalars())


def _view(event: Event) -> dict[str, Any]:
    return {**vars(event), "event_data": json.loads(event.event_data)}


async def test_events_written_together_read_back_whole_by_every_way_of_reading(
    url: str,
) -> None:
    written = _creation()
    store = SqlStore(url, SCHEMA)
    try:
        await upgrade(store)
        async with store.transaction(WS) as unit:
            for event in written:
                unit.add(event)
        async with store.read() as unit:
            listed = await unit.select(Event, eq("workspace_sid", WS), order=[asc("seq")])
        # the last alone: the row it links to is not among those found (and each read in
        # a unit of its own, which has read nothing before)
        async with store.read() as unit:
            [queued] = await unit.select(Event, eq("event_type", "task-queue.entered"))
        async with store.read() as unit:
            one = await unit.get(Event, written[1].seq)
    finally:
        await store.dispose()
    assert [_view(e) for e in listed] == [_view(e) for e in written]
    assert listed == written  # the text too, exactly
    assert (queued, one) == (written[2], written[1])

    stored = await _sync(url, _stored_data)
    if url.startswith("sqlite"):
        assert [json.loads(text).get("^") for text in stored] == [None, 1, 2]
        assert "support" in stored[0] and "support" not in stored[1] + stored[2]
    else:
        assert not any(text.startswith('{"^"') for text in stored)


async def test_going_back_down_writes_linked_rows_whole(url: str) -> None:
    written = _creation()
    store = SqlStore(url, SCHEMA)
    try:
        await upgrade(store)
        async with store.transaction(WS) as unit:
            for event in written:
                unit.add(event)
    finally:
        await store.dispose()

    def down(connection: Connection) -> list[str]:
        command.downgrade(alembic_config(url, connection), "0020_event_numbers")
        return _stored_data(connection)

    stored = await _sync(url, down)
    assert not any(text.startswith('{"^"') for text in stored)
    # and, upgraded again, every event reads as written
    store = SqlStore(url, SCHEMA)
    try:
        await upgrade(store)
        async with store.read() as unit:
            listed = await unit.select(Event, order=[asc("seq")])
    finally:
        await store.dispose()
    assert listed == written
