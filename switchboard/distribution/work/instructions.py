"""Carrying out media instructions (dequeue, call, redirect, conference, supervise).

One path for both sources: an assignment callback's JSON answer and `Instruction=` on a
REST reservation update. The adapter is called outside any transaction (it may dial
for seconds); the outcome is then recorded as a `reservation.instruction` event and,
for instructions with accept semantics, the reservation is accepted on success.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from switchboard.distribution.domain.records import Reservation, Task, Worker, Workspace
from switchboard.distribution.journal.event_data import reservation_fields
from switchboard.distribution.journal.events import Subject, record
from switchboard.distribution.work import transitions as tr
from switchboard.distribution.work.access import access_reservation, access_workspace
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.validation import check_if_match
from switchboard.distribution.work.worker_state import activity_name
from switchboard.kernel.errors import InvalidParameter, InvalidTransition, NotFound
from switchboard.kernel.media import CALL_CONTROLS, MEDIA_INSTRUCTIONS, MediaRequest, MediaResult
from switchboard.kernel.ports import Unit

REST_PREFIXES = {
    "dequeue": "Dequeue",
    "call": "Call",
    "redirect": "Redirect",
    "conference": "Conference",
}
_WORD = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True)
class Target:
    """The reservation an instruction is for, and the URL path's claims about it."""

    account_sid: str
    workspace_sid: str
    reservation_sid: str
    task_sid: str | None = None
    worker_sid: str | None = None
    if_match: str | None = None


def snake(name: str) -> str:
    """`StatusCallbackUrl` → `status_callback_url`."""
    return _WORD.sub("_", name).lower()


def rest_params(instruction: str, params: Mapping[str, str]) -> dict[str, str]:
    """REST arguments (`DequeueFrom`, `CallUrl`, `To`) → the callback names (`from`, `url`)."""
    prefix = REST_PREFIXES.get(instruction, "")
    out = {}
    for name, value in params.items():
        prefixed = bool(prefix) and name.startswith(prefix) and name != prefix
        out[snake(name[len(prefix) :] if prefixed else name)] = value
    return out


def accepts(instruction: str, params: Mapping[str, str]) -> bool:
    """dequeue and conference accept on success; call and redirect only with accept=true."""
    if instruction in ("dequeue", "conference"):
        return True
    if instruction in ("call", "redirect"):
        return params.get("accept", "").lower() in ("true", "1", "yes")
    return False


def _attributes(text: str | None) -> dict[str, Any]:
    value = json.loads(text or "{}")
    return value if isinstance(value, dict) else {}


async def _request(
    svc: Services, target: Target, instruction: str, params: Mapping[str, str]
) -> MediaRequest:
    """Check the reservation can take the instruction, and describe it for the adapter."""
    async with svc.store.read() as unit:
        workspace = await access_workspace(unit, target.account_sid, target.workspace_sid)
        res = await access_reservation(unit, workspace, target.reservation_sid)
        if target.task_sid not in (None, res.task_sid) or target.worker_sid not in (
            None,
            res.worker_sid,
        ):
            raise NotFound(f"The requested resource /Reservations/{res.sid} was not found")
        check_if_match(target.if_match, res.version, res.sid)
        live = ("pending",) if accepts(instruction, params) else tr.LIVE_RESERVATION
        if res.status not in live:
            raise InvalidTransition(
                f"Reservation {res.sid} is {res.status}; '{instruction}' needs it "
                f"to be {' or '.join(live)}"
            )
        task = await unit.get(Task, res.task_sid)
        worker = await unit.get(Worker, res.worker_sid)
        assert task is not None and worker is not None
        return MediaRequest(
            instruction=instruction,
            account_sid=target.account_sid,
            workspace_sid=workspace.sid,
            reservation_sid=res.sid,
            task_sid=task.sid,
            worker_sid=worker.sid,
            task_attributes=_attributes(task.attributes),
            worker_attributes=_attributes(worker.attributes),
            params=dict(params),
        )


async def _call_adapter(svc: Services, request: MediaRequest) -> MediaResult:
    handler = getattr(svc.media, request.instruction)
    try:
        result = await asyncio.wait_for(handler(request), svc.settings.media_timeout)
    except TimeoutError:
        return MediaResult(False, {"error": "the media adapter timed out"})
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the outcome record
        return MediaResult(False, {"error": f"{type(exc).__name__}: {exc}"[:500]})
    if not isinstance(result, MediaResult):
        return MediaResult(False, {"error": f"the adapter returned {type(result).__name__}"})
    return result


async def _record(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    res: Reservation,
    request: MediaRequest,
    result: MediaResult,
) -> None:
    """The `reservation.instruction` event: the instruction, its arguments and the outcome."""
    task = await unit.get(Task, res.task_sid)
    worker = await unit.get(Worker, res.worker_sid)
    assert task is not None and worker is not None
    outcome = "succeeded" if result.ok else "failed"
    data = {
        **reservation_fields(
            res, task, worker, await activity_name(unit, worker.activity_sid), svc.now()
        ),
        "instruction": request.instruction,
        "instruction_params": json.dumps(dict(request.params), separators=(",", ":")),
        "instruction_result": outcome,
        "instruction_detail": json.dumps(dict(result.detail), separators=(",", ":")),
    }
    subject = Subject(
        "reservation",
        res.sid,
        task_sid=task.sid,
        worker_sid=worker.sid,
        reservation_sid=res.sid,
        task_queue_sid=res.task_queue_sid,
        workflow_sid=res.workflow_sid,
    )
    description = f"Instruction {request.instruction} for Reservation {res.sid} {outcome}"
    record(unit, svc, workspace, "reservation.instruction", subject, description, data)


async def _conclude(
    svc: Services, target: Target, request: MediaRequest, result: MediaResult
) -> Reservation:
    async with svc.store.transaction(target.workspace_sid) as unit:
        workspace = await access_workspace(unit, target.account_sid, target.workspace_sid)
        res = await access_reservation(unit, workspace, target.reservation_sid)
        await _record(unit, svc, workspace, res, request, result)
        if result.ok and accepts(request.instruction, request.params) and res.status == "pending":
            await tr.accept(unit, svc, workspace, res, svc.now())
        return res


async def run_media_instruction(
    svc: Services, target: Target, instruction: str, params: Mapping[str, str]
) -> Reservation:
    """Validate, hand to the media adapter, record the outcome, accept when it applies."""
    if instruction not in MEDIA_INSTRUCTIONS and instruction not in CALL_CONTROLS:
        raise InvalidParameter(f"Unknown Instruction '{instruction}'")
    request = await _request(svc, target, instruction, params)
    result = await _call_adapter(svc, request)
    return await _conclude(svc, target, request, result)
