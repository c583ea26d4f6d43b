"""Escalation of a request to a supervisor or specialist, with a reason: the current task
ends and a new one carries `escalation` (to, reason, by) for the workflow to route on;
the member who escalated stays in the conversation to hand over."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from switchboard.conversations.domain import routing as rt
from switchboard.conversations.services.events import event
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound

if TYPE_CHECKING:
    from switchboard.conversations.services.routing import Router

MAX_REASON = 500
ESCALABLE = (rt.QUEUED, rt.ASSIGNED, rt.PENDING)


async def escalate(
    router: Router, account_sid: str, request_sid: str, to: str, reason: str
) -> rt.Request:
    if not to or len(to) > 64:
        raise InvalidParameter("Invalid To: 1 to 64 characters (a team or role)")
    if not reason or len(reason) > MAX_REASON:
        raise InvalidParameter(f"Invalid Reason: 1 to {MAX_REASON} characters")
    async with router.svc.store.read() as unit:
        request = await unit.get(rt.Request, request_sid)
        if request is None or request.account_sid != account_sid:
            raise NotFound(f"The requested resource /Requests/{request_sid} was not found")
        profile = await router.profile(unit, account_sid, request.organization)
    assert profile is not None
    if request.status not in ESCALABLE or request.task_sid is None:
        raise Conflict(f"Request {request_sid} is {request.status} and cannot be escalated")
    now = router.svc.clock.now_ms()
    entry = {"to": to, "reason": reason, "by": request.member, "at": now}
    await router.intake.end_task(
        account_sid, profile.workspace_sid, request.task_sid, f"escalated to {to}: {reason}"
    )
    async with router.svc.store.transaction() as unit:
        row = await unit.get(rt.Request, request_sid)
        assert row is not None
        row.escalations = json.dumps([*json.loads(row.escalations), entry])
        row.date_updated = now
        payload = event("onRequestEscalated", account_sid, row.interaction_sid, row)

        async def publish() -> None:
            await router.svc.bus.publish({**payload, "escalation": entry})

        unit.after_commit(publish)
    return await router._queue(profile, row, {k: entry[k] for k in ("to", "reason", "by")})
