"""Deliveries survive restarts: the events table is the outbox, deliveries are rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from switchboard.distribution.callbacks.wiring import CallbackEngine
from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel.criteria import eq
from switchboard.outbound.client import Outbound
from switchboard.outbound.records import CallbackDelivery
from switchboard.runtime import Core
from switchboard.tenancy.accounts import Accounts
from tests.callbacks.support import Receiver, eventually, fast_settings


@pytest.fixture
def svc(core: Core) -> Services:
    """The shared store fixture: memory, SQLite and PostgreSQL claim and read alike."""
    return core.services


@pytest.fixture
async def engine_of(core: Core) -> AsyncIterator[Callable[[], CallbackEngine]]:
    """Engines sending through a client that may reach the loopback receiver."""
    settings = fast_settings()
    client = Outbound(settings)
    yield lambda: CallbackEngine(core.services, client, settings)
    await client.close()


async def _rows(svc: Services, **where: str) -> list[CallbackDelivery]:
    async with svc.store.read() as unit:
        return await unit.select(CallbackDelivery, *(eq(k, v) for k, v in where.items()))


async def _workspace(svc: Services, url: str) -> None:
    assert isinstance(svc.signing, Accounts)
    account, _token = await svc.signing.create("restart")
    await create_workspace(svc, account.sid, WorkspaceCreate("R", event_callback_url=url))


async def test_events_committed_while_no_engine_ran_are_sent_at_start(
    svc: Services, receiver: Receiver, engine_of: Callable[[], CallbackEngine]
) -> None:
    await _workspace(svc, receiver.url("events"))
    assert await _rows(svc) == []  # nothing ran: the event is only in the outbox
    engine = engine_of()
    await engine.start()
    try:
        await eventually(lambda: _rows(svc, status="delivered"))
    finally:
        await engine.stop()
        engine.close()
    [hit] = receiver.of("events")
    assert hit.form["EventType"] == "workspace.created"


async def test_a_delivery_cut_by_a_stop_is_sent_by_the_next_engine(
    svc: Services, receiver: Receiver, engine_of: Callable[[], CallbackEngine]
) -> None:
    receiver.hang("events")
    await _workspace(svc, receiver.url("events"))
    first = engine_of()
    await first.start()
    await eventually(lambda: _hit(receiver))
    await first.stop()  # mid-request: the claim is given back, the row stays pending
    first.close()
    assert [row.status for row in await _rows(svc)] == ["pending"]
    receiver.answer("events", None, status=204)
    second = engine_of()
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


async def test_a_restart_never_creates_a_delivery_twice(
    svc: Services, receiver: Receiver, engine_of: Callable[[], CallbackEngine]
) -> None:
    await _workspace(svc, receiver.url("events"))
    for _ in range(2):
        engine = engine_of()
        await engine.start()
        await eventually(lambda: _rows(svc, status="delivered"))
        await engine.stop()
        engine.close()
    assert len(await _rows(svc)) == 1
    assert len(receiver.of("events")) == 1
