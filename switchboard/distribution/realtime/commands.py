"""Commands a worker sends on its channel, carried out by the same services as REST.

Every command names a `type` and a `request_id`; the answer is an `ack` with a
`result` or an `error` with Twilio's error `code`. Going through the services means the
same rules, the same events and the same routing passes as the REST API.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from switchboard.distribution.domain.records import Reservation, Worker
from switchboard.distribution.work import reservations, tasks, workers
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.transitions import LIVE_RESERVATION
from switchboard.kernel import limits
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.errors import InvalidParameter, NotFound, PreconditionFailed
from switchboard.kernel.ports import Unit

MERGE_RETRIES = 5


@dataclass(frozen=True)
class Caller:
    """The worker behind the channel (from its verified token)."""

    svc: Services
    account_sid: str
    workspace_sid: str
    worker_sid: str


Handler = Callable[[Caller, dict[str, Any]], Awaitable[dict[str, Any]]]


def _text(message: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = message.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidParameter(f"'{key}' is required and must be a string")
    return value


def _worker_result(worker: Worker) -> dict[str, Any]:
    return {
        "worker_sid": worker.sid,
        "activity_sid": worker.activity_sid,
        "available": worker.available,
        "attributes": worker.attributes,
        "version": worker.version,
    }


async def set_activity(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    update = workers.WorkerUpdate(
        activity_sid=_text(message, "activity_sid"),
        reject_pending_reservations=bool(message.get("reject_pending_reservations", False)),
    )
    worker = await workers.update_worker(
        caller.svc, caller.account_sid, caller.workspace_sid, caller.worker_sid, update
    )
    return _worker_result(worker)


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    value = message.get("attributes")
    if isinstance(value, str):
        try:
            value = limits.loads(value)
        except limits.InputError as exc:
            raise InvalidParameter(f"'attributes' {exc}") from None
    if not isinstance(value, dict):
        raise InvalidParameter("'attributes' must be a JSON object")
    return value


async def _current_attributes(caller: Caller) -> tuple[dict[str, Any], int]:
    async with caller.svc.store.read() as unit:
        worker = await unit.get(Worker, caller.worker_sid)
    if worker is None:
        raise NotFound(f"The requested resource /Workers/{caller.worker_sid} was not found")
    return limits.stored_object(worker.attributes), worker.version


async def update_attributes(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    """Replace the attributes, or with `merge: true` patch the top-level keys.

    A merge is optimistic: read, patch, write with If-Match, retry on a conflict, so
    a streamed location update never erases a concurrent change of another key.
    """
    attributes = _attributes(message)
    for _ in range(MERGE_RETRIES):
        if_match = None
        if message.get("merge"):
            current, version = await _current_attributes(caller)
            attributes, if_match = {**current, **_attributes(message)}, str(version)
        update = workers.WorkerUpdate(attributes=json.dumps(attributes), if_match=if_match)
        try:
            worker = await workers.update_worker(
                caller.svc, caller.account_sid, caller.workspace_sid, caller.worker_sid, update
            )
        except PreconditionFailed:
            continue
        return _worker_result(worker)
    raise PreconditionFailed("The Worker kept changing; the attribute merge gave up")


async def _live_for_task(unit: Unit, caller: Caller, task_sid: str | None) -> Reservation | None:
    return await unit.first(
        Reservation,
        eq("task_sid", task_sid),
        eq("worker_sid", caller.worker_sid),
        isin("status", LIVE_RESERVATION),
    )


async def _own_reservation(caller: Caller, message: dict[str, Any]) -> str:
    """The sid of the reservation named by `reservation_sid`, or of the live one of
    `task_sid`. A named one is checked to be the worker's by the transaction that acts
    on it (no read of its own)."""
    reservation_sid = _text(message, "reservation_sid", required=False)
    if reservation_sid is not None:
        return reservation_sid
    task_sid = _text(message, "task_sid", required=True)
    async with caller.svc.store.read() as unit:
        res = await _live_for_task(unit, caller, task_sid)
    if res is None or res.worker_sid != caller.worker_sid:
        raise NotFound(f"No reservation of this worker for {task_sid}")
    return res.sid


async def _set_status(caller: Caller, message: dict[str, Any], status: str) -> dict[str, Any]:
    reservation_sid = await _own_reservation(caller, message)
    activity = _text(message, "activity_sid", required=False) if status == "rejected" else None
    update = reservations.ReservationUpdate(reservation_status=status, worker_activity_sid=activity)
    updated = await reservations.update_reservation(
        caller.svc,
        caller.account_sid,
        caller.workspace_sid,
        reservation_sid,
        update,
        worker_sid=caller.worker_sid,
    )
    return {"reservation_sid": updated.sid, "reservation_status": updated.status}


async def accept(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    return await _set_status(caller, message, "accepted")


async def reject(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    return await _set_status(caller, message, "rejected")


async def wrap_up(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    return await _set_status(caller, message, "wrapping")


async def complete(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    """Completes the task of the worker's reservation (with an optional `reason`)."""
    reservation_sid = await _own_reservation(caller, message)
    update = tasks.TaskUpdate(
        assignment_status="completed", reason=_text(message, "reason", required=False)
    )
    task = await tasks.update_task_of_reservation(
        caller.svc,
        caller.account_sid,
        caller.workspace_sid,
        reservation_sid,
        caller.worker_sid,
        update,
    )
    return {
        "reservation_sid": reservation_sid,
        "task_sid": task.sid,
        "task_status": task.assignment_status,
    }


COMMANDS: dict[str, Handler] = {
    "set_activity": set_activity,
    "update_attributes": update_attributes,
    "accept": accept,
    "reject": reject,
    "wrap_up": wrap_up,
    "complete": complete,
}
