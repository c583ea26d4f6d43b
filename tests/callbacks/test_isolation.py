"""Slow or broken callback servers never slow routing down.

Routing only writes events; deliveries are read and sent later by background lanes
with their own concurrency budgets. The limits below are generous on purpose: they
catch "routing waited for the network", not performance drift.
"""

from __future__ import annotations

import time

import pytest

from switchboard.store import tables as t
from tests.callbacks.support import Live, Receiver, eventually

TASKS = 20


async def _reserved(live: Live) -> list[t.Reservation]:
    rows = await live.rows(t.Reservation, workspace_sid=live.workspace_sid)
    return rows if len(rows) >= TASKS else []


@pytest.mark.parametrize("behaviour", ["hang", "500"])
async def test_tasks_get_reservations_promptly_while_callbacks_hang_or_fail(
    live: Live, receiver: Receiver, behaviour: str
) -> None:
    for path in ("assign", "fallback", "events"):
        if behaviour == "hang":
            receiver.hang(path)
        else:
            receiver.answer(path, {"error": "boom"}, status=500)
    live.svc.outbound.assignment_timeout = 30.0  # a hang outlives the whole test
    live.svc.outbound.event_timeout = 30.0
    await live.workspace(event_url=receiver.url("events"))
    queue = await live.queue("All")
    wf = await live.workflow(
        queue, assignment_url=receiver.url("assign"), fallback_url=receiver.url("fallback")
    )
    for n in range(TASKS):
        await live.worker(f"agent-{n}")
    started = time.monotonic()
    for _ in range(TASKS):
        await live.task(wf)
    reservations = await eventually(lambda: _reserved(live), timeout=10)
    elapsed = time.monotonic() - started
    assert len({r.worker_sid for r in reservations}) == TASKS
    assert elapsed < 10
    await eventually(lambda: _assignment_hits(receiver), timeout=10)
    if behaviour == "hang":
        # the callbacks are still hanging while every task already has its worker
        pending = await live.rows(t.CallbackDelivery, kind="assignment", status="pending")
        assert len(pending) == TASKS
        assert all(r.status == "pending" for r in reservations)


async def _assignment_hits(receiver: Receiver) -> bool:
    return len(receiver.of("assign")) >= TASKS
