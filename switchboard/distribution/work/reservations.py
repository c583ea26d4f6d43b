"""Reservations: accept, reject, wrap up, complete — through REST or the worker's channel."""

from __future__ import annotations

from dataclasses import dataclass, field

from switchboard.distribution.domain.records import Reservation, Task, Worker, Workspace
from switchboard.distribution.work import transitions as tr
from switchboard.distribution.work.access import (
    access_activity,
    access_reservation,
    access_workspace,
)
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.instructions import Target, rest_params, run_media_instruction
from switchboard.distribution.work.validation import check_if_match
from switchboard.kernel.errors import InvalidParameter, InvalidTransition, NotFound
from switchboard.kernel.media import MEDIA_INSTRUCTIONS
from switchboard.kernel.ports import Unit


@dataclass(frozen=True)
class ReservationUpdate:
    reservation_status: str | None = None  # accepted | rejected | wrapping | completed
    worker_activity_sid: str | None = None
    instruction: str | None = None  # accept | reject | dequeue | call | redirect | conference | ...
    # every other form parameter (instruction arguments), kept for the media adapter
    instruction_params: dict[str, str] = field(default_factory=dict)
    if_match: str | None = None


async def update_reservation(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    reservation_sid: str,
    params: ReservationUpdate,
    *,
    task_sid: str | None = None,
    worker_sid: str | None = None,
    names: dict[str, str] | None = None,
) -> Reservation:
    """`task_sid` / `worker_sid` come from the URL path and must match (else 404).
    `names`, when given, gets the worker's friendly name (for the response), read in
    the transaction: a status change has the worker at hand already."""
    action = _action(params)
    if action in MEDIA_INSTRUCTIONS:
        # the media adapter may take seconds: it is called outside the workspace transaction
        target = Target(
            account_sid, workspace_sid, reservation_sid, task_sid, worker_sid, params.if_match
        )
        arguments = rest_params(action, params.instruction_params)
        return await run_media_instruction(svc, target, action, arguments)
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        reservation = await access_reservation(unit, workspace, reservation_sid)
        if task_sid not in (None, reservation.task_sid) or worker_sid not in (
            None,
            reservation.worker_sid,
        ):
            raise NotFound(f"The requested resource /Reservations/{reservation_sid} was not found")
        check_if_match(params.if_match, reservation.version, reservation.sid)
        await _apply(unit, svc, workspace, reservation, action, params)
        if names is not None:
            worker = await unit.get(Worker, reservation.worker_sid)
            if worker is not None:
                names[worker.sid] = worker.friendly_name
        return reservation


def _action(params: ReservationUpdate) -> str:
    """What the request asks for: a status or an instruction, never both at odds."""
    if params.instruction is not None:
        instruction = params.instruction.lower()
        if instruction in MEDIA_INSTRUCTIONS:
            return instruction
        if instruction not in ("accept", "reject"):
            raise InvalidParameter(f"Unknown Instruction '{params.instruction}'")
        return "accepted" if instruction == "accept" else "rejected"
    if params.reservation_status is None:
        raise InvalidParameter("ReservationStatus or Instruction is required")
    if params.reservation_status not in ("accepted", "rejected", "wrapping", "completed"):
        raise InvalidTransition(
            "ReservationStatus can be set to accepted, rejected, wrapping or completed, "
            f"not {params.reservation_status}"
        )
    return params.reservation_status


async def _apply(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    reservation: Reservation,
    action: str,
    params: ReservationUpdate,
) -> None:
    now = svc.now()
    if action == reservation.status:
        return  # repeating the same answer is harmless (idempotent retries)
    if action == "accepted":
        await tr.accept(unit, svc, workspace, reservation, now)
    elif action == "rejected":
        activity_sid = params.worker_activity_sid
        if activity_sid is not None:
            activity_sid = (await access_activity(unit, workspace, activity_sid)).sid
        await tr.reject(unit, svc, workspace, reservation, activity_sid, now)
    else:
        await _finish(unit, svc, workspace, reservation, action, now)


async def _finish(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    reservation: Reservation,
    action: str,
    now: int,
) -> None:
    """Wrapping and completing a reservation move its (assigned) task along."""
    if reservation.status not in ("accepted", "wrapping"):
        raise InvalidTransition(
            f"Reservation {reservation.sid} is {reservation.status}; only an accepted "
            f"reservation can become {action}"
        )
    task = await unit.get(Task, reservation.task_sid)
    assert task is not None
    if action == "wrapping":
        await tr.wrap_up(unit, svc, workspace, task, now, reservation)
    else:
        await tr.complete(unit, svc, workspace, task, None, now, reservation)
