"""Slow or broken callback servers never hold routing up.

Routing only writes events; deliveries are read and sent later by background lanes
with their own concurrency budgets. The proof needs no stopwatch: every task gets its
worker while every assignment callback is still hanging (its timeout is far longer
than the test), or after each one failed.
"""

from __future__ import annotations

import json

import pytest

from switchboard.distribution.domain.records import Reservation
from switchboard.outbound.records import CallbackDelivery
from switchboard.outbound.settings import OutboundSettings
from tests.callbacks.support import Live, Receiver, eventually, fast_settings, live_server

TASKS = 20


def patient() -> OutboundSettings:
    """Callback timeouts far longer than the test: a hang stays in flight throughout."""
    settings = fast_settings()
    settings.assignment_timeout = 600.0
    settings.event_timeout = 600.0
    return settings


@pytest.mark.parametrize("behaviour", ["hang", "500"])
async def test_every_task_gets_its_worker_while_callbacks_hang_or_fail(
    database_url: str, receiver: Receiver, behaviour: str
) -> None:
    for path in ("assign", "fallback", "events"):
        if behaviour == "hang":
            receiver.hang(path)
        else:
            receiver.answer(path, {"error": "boom"}, status=500)
    async with live_server(database_url, outbound=patient()) as live:
        await _route_while_callbacks_misbehave(live, receiver, behaviour)


async def _route_while_callbacks_misbehave(live: Live, receiver: Receiver, behaviour: str) -> None:
    await live.workspace(event_url=receiver.url("events"))
    queue = await live.queue("All")
    wf = await live.workflow(
        queue, assignment_url=receiver.url("assign"), fallback_url=receiver.url("fallback")
    )
    for n in range(TASKS):
        await live.worker(f"agent-{n}")
    for _ in range(TASKS):
        await live.task(wf)
    reservations = await eventually(lambda: _reserved(live), timeout=60)
    assert len({r.worker_sid for r in reservations}) == TASKS
    await eventually(lambda: _assignment_hits(receiver), timeout=60)
    deliveries = await live.rows(CallbackDelivery, kind="assignment")
    assert len(deliveries) == TASKS
    if behaviour == "hang":
        # every callback is still in flight, unanswered, and every task has its worker
        assert all(d.status == "pending" and d.attempt_log == "[]" for d in deliveries)
        assert all(r.status == "pending" for r in reservations)
    else:
        failed = await eventually(lambda: _all_failed(live), timeout=60)
        assert all(len(json.loads(d.attempt_log)) == 2 for d in failed)  # primary, fallback


async def _reserved(live: Live) -> list[Reservation]:
    rows = await live.rows(Reservation, workspace_sid=live.workspace_sid)
    return rows if len(rows) >= TASKS else []


async def _assignment_hits(receiver: Receiver) -> bool:
    return len(receiver.of("assign")) >= TASKS


async def _all_failed(live: Live) -> list[CallbackDelivery]:
    rows = await live.rows(CallbackDelivery, kind="assignment", status="failed")
    return rows if len(rows) == TASKS else []
