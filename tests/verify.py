"""Checking the event stream against the state (Zulip's `verify_action`, for TaskRouter).

:func:`verify_action` takes a picture of the workspace, runs an action, applies the
events the action published to the first picture and compares the result with a
new picture: every change must be told. Each event must also be JSON (it travels as
JSON to callbacks and websockets) and carry what its type promises
(:mod:`switchboard.distribution.journal.schemas`).

:class:`StreamCheck` does the same for a whole test: from an empty store, all the
events of every workspace replayed must give that workspace's final state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from switchboard.distribution.domain.records import Reservation, Task, Worker
from switchboard.distribution.journal import replay, schemas
from switchboard.distribution.work.context import Services
from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Store

T = TypeVar("T")


async def picture(store: Store, workspace_sid: str) -> replay.Picture:
    """What the stream should describe, read from the store."""
    mine = eq("workspace_sid", workspace_sid)
    async with store.read() as unit:
        tasks = await unit.select(Task, mine)
        reservations = await unit.select(Reservation, mine)
        workers = await unit.select(Worker, mine)
    return replay.Picture(
        tasks={
            t.sid: replay.TaskView(t.assignment_status, t.priority, t.task_queue_sid) for t in tasks
        },
        reservations={
            r.sid: replay.ReservationView(r.task_sid, r.worker_sid, r.status) for r in reservations
        },
        workers={w.sid: replay.WorkerView(w.activity_sid, w.attributes) for w in workers},
    )


def checked(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a receiver gets it (through JSON), validated against its schema."""
    received: dict[str, Any] = json.loads(json.dumps(event))
    problems = schemas.problems(received)
    assert not problems, (received.get("event_type"), problems)
    return received


class EventLog:
    """Every event published on the bus while subscribed."""

    def __init__(self, svc: Services) -> None:
        self.events: list[dict[str, Any]] = []
        self._unsubscribe = svc.bus.subscribe(self.events.append)

    def close(self) -> None:
        self._unsubscribe()

    def of(self, workspace_sid: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("workspace_sid") == workspace_sid]


async def verify_action(
    svc: Services,
    workspace_sid: str,
    action: Callable[[], Awaitable[T]],
    settle: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """Run `action` (then `settle`, e.g. the dispatcher going idle) and check its events."""
    before = await picture(svc.store, workspace_sid)
    log = EventLog(svc)
    try:
        result = await action()
        if settle is not None:
            await settle()
    finally:
        log.close()
    events = [checked(e) for e in log.of(workspace_sid)]
    after = await picture(svc.store, workspace_sid)
    replayed = replay.apply_all(before, events)
    assert replayed == after, _difference(replayed, after, events)
    return result


class StreamCheck:
    """For a whole test: each workspace's events, replayed from nothing, give its state."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.log = EventLog(svc)

    async def verify(self) -> None:
        self.log.close()
        by_workspace: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in self.log.events:
            by_workspace[str(event.get("workspace_sid"))].append(checked(event))
        for workspace_sid, events in by_workspace.items():
            if any(e["event_type"] == "workspace.deleted" for e in events):
                continue  # the workspace and everything in it is gone
            replayed = replay.apply_all(replay.Picture(), events)
            actual = await picture(self.svc.store, workspace_sid)
            assert replayed == actual, _difference(replayed, actual, events)


def _difference(replayed: replay.Picture, actual: replay.Picture, events: Any) -> str:
    lines = []
    for name in ("tasks", "reservations", "workers"):
        told, real = getattr(replayed, name), getattr(actual, name)
        for sid in sorted(set(told) | set(real)):
            if told.get(sid) != real.get(sid):
                lines.append(
                    f"{name} {sid}: stream says {told.get(sid)}, store has {real.get(sid)}"
                )
    types = [e["event_type"] for e in events]
    return "the events do not tell the whole change:\n" + "\n".join(lines) + f"\nevents: {types}"
