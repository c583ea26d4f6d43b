"""Deliveries survive restarts: the events table is the outbox, deliveries are rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from switchboard.callbacks.wiring import CallbackEngine
from switchboard.services.accounts import create_account
from switchboard.services.context import Services
from switchboard.services.workspaces import WorkspaceCreate, create_workspace
from switchboard.store import tables as t
from switchboard.store.database import Store
from switchboard.store.migrate import upgrade
from tests.callbacks.support import Receiver, eventually, fast_settings
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
    sqlite_url,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def svc(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Services]:
    """SQLite and PostgreSQL: the claim and the cursor are plain SQL on both."""
    if request.param == "sqlite":
        store = Store(sqlite_url(tmp_path))
        await upgrade(store)
        yield Services(store=store, outbound=fast_settings())
        await store.dispose()
        return
    await require_postgres()
    url = await create_postgres_database()
    store = Store(url)
    yield Services(store=store, outbound=fast_settings())
    await store.dispose()
    await drop_postgres_database(url)


async def _rows(svc: Services, **where: str) -> list[t.CallbackDelivery]:
    query = select(t.CallbackDelivery).where(
        *(getattr(t.CallbackDelivery, key) == value for key, value in where.items())
    )
    async with svc.store.read() as session:
        return list((await session.execute(query)).scalars())


async def _workspace(svc: Services, url: str) -> None:
    account, _token = await create_account(svc.store, "restart")
    await create_workspace(svc, account.sid, WorkspaceCreate("R", event_callback_url=url))


async def test_events_committed_while_no_engine_ran_are_sent_at_start(
    svc: Services, receiver: Receiver
) -> None:
    await _workspace(svc, receiver.url("events"))
    assert await _rows(svc) == []  # nothing ran: the event is only in the outbox
    engine = CallbackEngine(svc)
    await engine.start()
    try:
        await eventually(lambda: _rows(svc, status="delivered"))
    finally:
        await engine.stop()
        engine.close()
    [hit] = receiver.of("events")
    assert hit.form["EventType"] == "workspace.created"


async def test_a_delivery_cut_by_a_stop_is_sent_by_the_next_engine(
    svc: Services, receiver: Receiver
) -> None:
    receiver.hang("events")
    await _workspace(svc, receiver.url("events"))
    first = CallbackEngine(svc)
    await first.start()
    await eventually(lambda: _hit(receiver))
    await first.stop()  # mid-request: the claim is given back, the row stays pending
    first.close()
    assert [row.status for row in await _rows(svc)] == ["pending"]
    receiver.answer("events", None, status=204)
    second = CallbackEngine(svc)
    await second.start()
    try:
        await eventually(lambda: _rows(svc, status="delivered"))
    finally:
        await second.stop()
        second.close()
    assert len(receiver.of("events")) == 2  # the same event, sent again after the restart
    assert len({hit.form["Sid"] for hit in receiver.of("events")}) == 1


async def _hit(receiver: Receiver) -> bool:
    return bool(receiver.of("events"))


async def test_a_restart_never_creates_a_delivery_twice(svc: Services, receiver: Receiver) -> None:
    await _workspace(svc, receiver.url("events"))
    for _ in range(2):
        engine = CallbackEngine(svc)
        await engine.start()
        await eventually(lambda: _rows(svc, status="delivered"))
        await engine.stop()
        engine.close()
    assert len(await _rows(svc)) == 1
    assert len(receiver.of("events")) == 1
