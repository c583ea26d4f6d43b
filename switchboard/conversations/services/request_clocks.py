"""The clocks of a routed request, run by the router's sweep: the after-hours wait, queue
feedback, inactivity (nudge, then retirement and the rating question) and the SLA
targets; and the rating that closes a request."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from switchboard.conversations.domain import routing as rt
from switchboard.conversations.services.escalation import escalate
from switchboard.conversations.services.events import event
from switchboard.kernel.criteria import Criterion, eq, isin
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound

if TYPE_CHECKING:
    from switchboard.conversations.services.routing import Router

SYSTEM = "system"
MAX_COMMENT = 2000
OVERFLOW = "overflow"  # the escalation target of a request that waited too long


async def tend(router: Router, profile: rt.RoutingProfile, request: rt.Request) -> None:
    """Whatever is due for one open request now."""
    now = router.svc.clock.now_ms()
    if request.status == rt.AFTER_HOURS:
        if request.opens_at is not None and request.opens_at <= now:
            await router._queue(profile, request)
        return
    await _check_sla(router, profile, request, rt.hours_of(profile, request.team).open_ms_between)
    if request.status == rt.QUEUED and _waited_too_long(profile, request, now):
        await escalate(router, request.account_sid, request.sid, OVERFLOW, "maximum wait")
        return
    if request.status == rt.QUEUED:
        last = request.last_feedback_at or request.date_created
        if now - last >= profile.feedback_every_ms and await _claim(
            router,
            request,
            {"last_feedback_at": now},
            eq("last_feedback_at", request.last_feedback_at),
        ):
            await router._feedback(profile, request)
        return
    due = rt.inactivity_due(request, now, profile.inactive_ms, profile.retire_factor)
    if due == "nudge":
        await _nudge(router, profile, request)
    elif due == "retire":
        await retire(router, profile, request, "the customer went away")


def _waited_too_long(profile: rt.RoutingProfile, request: rt.Request, now: int) -> bool:
    """Queued past the maximum wait (business time), and not sent to overflow yet."""
    if profile.max_wait_ms is None:
        return False
    if any(e["to"] == OVERFLOW for e in json.loads(request.escalations)):
        return False
    waited = rt.hours_of(profile, request.team).open_ms_between(request.date_created, now)
    return waited >= profile.max_wait_ms


async def _claim(
    router: Router, request: rt.Request, values: dict[str, Any], *unchanged: Criterion
) -> bool:
    """Set `values` on the request only while `unchanged` still holds, in one conditional
    update: of two sweeps racing over the same request (two processes during a change
    of routing owner), exactly one wins and sends what goes with the change."""
    now = router.svc.clock.now_ms()
    async with router.svc.store.transaction() as unit:
        won = await unit.update_where(
            rt.Request, {**values, "date_updated": now}, eq("sid", request.sid), *unchanged
        )
    return won == 1


async def _nudge(router: Router, profile: rt.RoutingProfile, request: rt.Request) -> None:
    if not await _claim(router, request, {"status": rt.PENDING}, eq("status", rt.ASSIGNED)):
        return
    await router._sequence_state(request, "pending")
    texts = json.loads(profile.messages)
    await router._say(
        request.interaction_sid, request.account_sid, SYSTEM, rt.render(texts, "nudge")
    )


async def retire(
    router: Router, profile: rt.RoutingProfile, request: rt.Request, reason: str
) -> None:
    """Close the request: the closing message, the rating question, the task ended."""
    now = router.svc.clock.now_ms()
    retired = {"status": rt.RETIRED, "date_retired": now, "awaiting_since": None}
    if not await _claim(router, request, retired, isin("status", rt.OPEN_STATUSES)):
        return
    texts = json.loads(profile.messages)
    for key in ("retired", "rating"):
        await router._say(
            request.interaction_sid, request.account_sid, SYSTEM, rt.render(texts, key)
        )
    await router._sequence_state(request, "closed")
    if request.task_sid is not None:
        await router.intake.end_task(
            request.account_sid,
            profile.workspace_sid,
            request.task_sid,
            f"request retired: {reason}",
        )


async def _check_sla(
    router: Router, profile: rt.RoutingProfile, request: rt.Request, open_ms: rt.OpenTime
) -> None:
    """First response and next response, counted in business hours; each breach once."""
    now = router.svc.clock.now_ms()
    found = rt.sla_breaches(
        request, now, profile.first_response_ms, profile.next_response_ms, open_ms
    )
    if not found:
        return
    breaches = json.dumps([*json.loads(request.breaches), *found])
    # recorded once: only over the breaches this sweep read (another sweep may have won)
    unchanged = eq("breaches", request.breaches)
    if not await _claim(router, request, {"breaches": breaches}, unchanged):
        return
    request.breaches = breaches
    for breach in found:
        await _announce(router, request, breach)


async def _announce(router: Router, row: rt.Request, breach: dict[str, object]) -> None:
    payload = event("onRequestSlaBreached", row.account_sid, row.interaction_sid, row)
    payload["breach"] = breach
    await router.svc.bus.publish(payload)


async def rate(
    router: Router, account_sid: str, request_sid: str, rating: int, comment: str | None
) -> rt.Request:
    """The customer's rating (1-5 and a comment) of a retired request, stored once."""
    if not 1 <= rating <= 5:
        raise InvalidParameter("Invalid Rating: an integer from 1 to 5")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise InvalidParameter(f"Invalid Comment: at most {MAX_COMMENT} characters")
    async with router.svc.store.transaction() as unit:
        row = await unit.get(rt.Request, request_sid)
        if row is None or row.account_sid != account_sid:
            raise NotFound(f"The requested resource /Requests/{request_sid} was not found")
        if row.status != rt.RETIRED:
            raise Conflict(f"Request {request_sid} is not retired yet: rate it afterwards")
        if row.rating is not None:
            raise Conflict(f"Request {request_sid} was already rated")
        row.rating, row.comment = rating, comment
        row.date_updated = router.svc.clock.now_ms()
    return row
