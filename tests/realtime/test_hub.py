"""The hub's fan-out: each committed event reaches exactly the connections it concerns,
looked up by worker and by held task (not by scanning every connection)."""

from __future__ import annotations

import asyncio
from typing import Any

from switchboard.distribution.realtime.hub import Connection, Hub

ACCOUNT, WS, OTHER_WS = "AC" + "0" * 32, "WS" + "1" * 32, "WS" + "2" * 32
ALICE, BOB = "WK" + "a" * 32, "WK" + "b" * 32
TASK, RESERVATION = "WT" + "1" * 32, "WR" + "1" * 32


def event(event_type: str, worker: str | None = None, workspace: str = WS) -> dict[str, Any]:
    return {
        "workspace_sid": workspace,
        "event_type": event_type,
        "task_sid": TASK,
        "worker_sid": worker,
        "sid": "EV" + "0" * 32,
    }


def received(connection: Connection) -> list[str]:
    found = []
    while not connection.outgoing.empty():
        found.append(connection.outgoing.get_nowait()["event_type"])
    return found


def test_events_reach_their_workers_connections_and_task_events_its_holders() -> None:
    async def run() -> None:
        hub = Hub()
        alice = [await hub.register(ACCOUNT, WS, ALICE) for _ in range(2)]
        bob = await hub.register(ACCOUNT, WS, BOB)
        elsewhere = await hub.register(ACCOUNT, OTHER_WS, ALICE)
        hub.publish(event("task.created"))  # nobody holds it yet
        hub.publish(event("reservation.created", ALICE))
        hub.publish(event("task.updated"))
        hub.publish(event("reservation.accepted", ALICE))
        hub.publish(event("task.completed"))
        hub.publish(event("task.updated"))  # let go after its final event
        expected = ["reservation.created", "task.updated", "reservation.accepted"]
        for connection in alice:
            assert received(connection) == [*expected, "task.completed"]
        assert received(bob) == [] and received(elsewhere) == []

    asyncio.run(run())


def test_a_task_held_from_the_snapshot_gets_its_task_events_until_released() -> None:
    async def run() -> None:
        hub = Hub()
        bob = await hub.register(ACCOUNT, WS, BOB)
        bob.hold([TASK])
        hub.publish(event("task.updated"))
        hub.publish(event("reservation.rescinded", BOB))
        hub.publish(event("task.updated"))
        assert received(bob) == ["task.updated", "reservation.rescinded"]

    asyncio.run(run())


def test_an_unregistered_connection_gets_nothing_and_a_new_one_gets_what_follows() -> None:
    async def run() -> None:
        hub = Hub()
        first = await hub.register(ACCOUNT, WS, ALICE)
        hub.publish(event("reservation.created", ALICE))
        hub.unregister(first)
        received(first)
        second = await hub.register(ACCOUNT, WS, ALICE)
        hub.publish(event("task.updated"))  # only the first connection held the task
        hub.publish(event("reservation.accepted", ALICE))
        assert received(first) == []
        assert received(second) == ["reservation.accepted"]
        assert hub.connections() == [second]

    asyncio.run(run())
