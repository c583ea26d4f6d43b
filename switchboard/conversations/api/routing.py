"""Routing of a request over HTTP (extension resources, docs/reference/conversations.md):
an organization's routing profile, inbound customer messages, requests, their rating,
and the organization's request statistics (CSAT per member and team, SLA breaches)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, FastAPI, Response

from switchboard.conversations.api import params as cp
from switchboard.conversations.api.context import Ctx, context
from switchboard.conversations.domain import routing as rt
from switchboard.conversations.services import (
    access,
    escalation,
    request_clocks,
    request_reports,
)
from switchboard.conversations.services.routing import Inbound, ProfileFields, Router
from switchboard.kernel.clock import iso
from switchboard.kernel.errors import InvalidParameter, NotFound, SwitchboardError
from switchboard.wire import context as wire
from switchboard.wire.deps import Deps, deps
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
MAX_JSON = 64_000
MAX_BODY = 4_000
JSON = dict[str, Any]

wire.register_sid_convertors("XQ")


async def _organization_reader(ctx: Ctx) -> None:
    """Profiles, inbound messages and statistics are the organization's: the account's
    credentials, or an admin user; a user reading as themself is refused (403)."""
    if not (await ctx.viewer()).everything:
        raise SwitchboardError(
            "Only the account or an admin user may use this resource", code=20403, status=403
        )


async def _visible_request(ctx: Ctx, sid: str) -> rt.Request:
    """A request of the account the reader sees (its interaction is in their view)."""
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        row = await unit.get(rt.Request, sid)
        if row is None or row.account_sid != ctx.account_sid:
            raise NotFound(f"The requested resource /Requests/{sid} was not found")
        await access.access_interaction(unit, ctx.account_sid, scope, row.interaction_sid)
    return row


def _router(ctx: Ctx) -> Router:
    found: Router = deps(ctx.request).get(Router)
    return found


def _json(p: Params, name: str, default: str, kind: type) -> str:
    value = p.string(name, max_length=MAX_JSON)
    if not value:
        return default
    try:
        document = json.loads(value)
    except ValueError:
        raise InvalidParameter(f"Invalid {name}: not valid JSON") from None
    if not isinstance(document, kind):
        raise InvalidParameter(f"Invalid {name}: must be a JSON {kind.__name__}")
    return value


def _duration(p: Params, name: str, default: int | None) -> int | None:
    value = cp.duration(p, name)
    if value is not None and value <= 0:
        raise InvalidParameter(f"Invalid {name}: must be longer than zero")
    return default if value is None else value


def _profile_fields(p: Params) -> ProfileFields:
    return ProfileFields(
        workspace_sid=p.sid("WorkspaceSid", "WS") or p.string("WorkspaceSid", required=True),
        proxy_address=p.string("ProxyAddress", required=True, max_length=256),
        workflow_sid=p.sid("WorkflowSid", "WW"),
        task_channel=p.string("TaskChannel", max_length=64) or None,
        hours=_json(p, "Hours", "", dict),
        rules=_json(p, "Rules", "[]", list),
        default_category=p.string("DefaultCategory", max_length=64) or None,
        messages=_json(p, "Messages", "{}", dict),
        feedback_every_ms=_duration(p, "FeedbackInterval", 60_000) or 60_000,
        inactive_ms=_duration(p, "InactiveAfter", 600_000) or 600_000,
        retire_factor=p.integer("RetireFactor", 2, 100) or 3,
        first_response_ms=_duration(p, "FirstResponseTarget", None),
        next_response_ms=_duration(p, "NextResponseTarget", None),
        classifier_threshold=_fraction(p, "ClassifierThreshold"),
        max_wait_ms=_duration(p, "MaxWait", None),
    )


def _fraction(p: Params, name: str) -> float | None:
    value = p.raw(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidParameter(f"Invalid {name}: {value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise InvalidParameter(f"Invalid {name}: a number from 0 to 1")
    return number


def profile_json(row: rt.RoutingProfile, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "organization": row.organization,
        "workspace_sid": row.workspace_sid,
        "workflow_sid": row.workflow_sid,
        "task_channel": row.task_channel,
        "proxy_address": row.proxy_address,
        "hours": json.loads(row.hours) if row.hours else None,
        "rules": json.loads(row.rules),
        "default_category": row.default_category,
        "messages": json.loads(row.messages),
        "feedback_interval": row.feedback_every_ms // 1000,
        "inactive_after": row.inactive_ms // 1000,
        "retire_factor": row.retire_factor,
        "first_response_target": _seconds(row.first_response_ms),
        "next_response_target": _seconds(row.next_response_ms),
        "classifier_threshold": row.classifier_threshold,
        "max_wait": _seconds(row.max_wait_ms),
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "url": f"{base}/Organizations/{row.organization}/RoutingProfile",
    }


def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def request_json(row: rt.Request, base: str, queue: tuple[int, int | None] | None) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "organization": row.organization,
        "relationship_sid": row.conversation_sid,
        "sequence_sid": row.sequence_sid,
        "conversation_sid": row.interaction_sid,
        "customer": row.customer,
        "channel": row.channel,
        "category": row.category,
        "category_source": row.category_source,
        "team": row.team,
        "status": row.status,
        "task_sid": row.task_sid,
        "worker_sid": row.worker_sid,
        "member": row.member,
        "opens_at": iso(row.opens_at),
        "queue_position": queue[0] if queue else None,
        "estimated_wait": None if not queue or queue[1] is None else queue[1] // 1000,
        "date_first_response": iso(row.first_response_at),
        "sla_breaches": [
            {"kind": b["kind"], "since": iso(b["since"]), "at": iso(b["at"])}
            for b in json.loads(row.breaches)
        ],
        "escalations": [
            {"to": e["to"], "reason": e["reason"], "by": e["by"], "at": iso(e["at"])}
            for e in json.loads(row.escalations)
        ],
        "rating": row.rating,
        "comment": row.comment,
        "date_assigned": iso(row.date_assigned),
        "date_retired": iso(row.date_retired),
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "url": f"{base}/Requests/{row.sid}",
    }


async def _request_json(ctx: Ctx, row: rt.Request) -> JSON:
    queue = await _router(ctx).queue_position(row) if row.status == rt.QUEUED else None
    return request_json(row, ctx.base, queue)


@router.post("/v1/Organizations/{organization}/RoutingProfile")
async def set_profile(organization: str, ctx: Ctx = Depends(context)) -> Response:
    await _organization_reader(ctx)
    _check_organization(organization)
    row = await _router(ctx).configure(ctx.account_sid, organization, _profile_fields(ctx.params))
    return wire.json_response(profile_json(row, ctx.base))


@router.get("/v1/Organizations/{organization}/RoutingProfile")
async def fetch_profile(organization: str, ctx: Ctx = Depends(context)) -> Response:
    await _organization_reader(ctx)
    async with ctx.svc.store.read() as unit:
        row = await _router(ctx).profile(unit, ctx.account_sid, organization)
    assert row is not None
    return wire.json_response(profile_json(row, ctx.base))


@router.post("/v1/Organizations/{organization}/Inbound")
async def inbound(organization: str, ctx: Ctx = Depends(context)) -> Response:
    """A customer's message arriving on a channel (the carrier's or web chat's webhook)."""
    await _organization_reader(ctx)
    p = ctx.params
    message = Inbound(
        organization=organization,
        address=p.string("From", required=True, max_length=256),
        body=p.string("Body", required=True, max_length=MAX_BODY),
        channel=p.enum("Channel", rt.CHANNELS) or "chat",
    )
    row = await _router(ctx).inbound(ctx.account_sid, message)
    return wire.json_response(await _request_json(ctx, row))


@router.get("/v1/Requests/{sid:xq}")
async def fetch_request(sid: str, ctx: Ctx = Depends(context)) -> Response:
    row = await _visible_request(ctx, sid)
    return wire.json_response(await _request_json(ctx, row))


@router.post("/v1/Requests/{sid:xq}/Rating")
async def rate(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await _visible_request(ctx, sid)
    p = ctx.params
    rating = p.integer("Rating", 1, 5)
    if rating is None:
        raise InvalidParameter("Missing required parameter Rating in the post body")
    comment = p.string("Comment", max_length=request_clocks.MAX_COMMENT) or None
    row = await request_clocks.rate(_router(ctx), ctx.account_sid, sid, rating, comment)
    return wire.json_response(await _request_json(ctx, row))


@router.post("/v1/Requests/{sid:xq}/Escalation")
async def escalate(sid: str, ctx: Ctx = Depends(context)) -> Response:
    """To a supervisor or specialist (`To`, a team or role the workflow routes on), with
    a `Reason`: a new task carries both. A member escalates a request they see."""
    await _visible_request(ctx, sid)
    p = ctx.params
    to = p.string("To", required=True, max_length=64)
    reason = p.string("Reason", required=True, max_length=escalation.MAX_REASON)
    row = await escalation.escalate(_router(ctx), ctx.account_sid, sid, to, reason)
    return wire.json_response(await _request_json(ctx, row))


@router.get("/v1/Organizations/{organization}/RequestStatistics")
async def statistics(organization: str, ctx: Ctx = Depends(context)) -> Response:
    await _organization_reader(ctx)
    async with ctx.svc.store.read() as unit:
        await _router(ctx).profile(unit, ctx.account_sid, organization)
        report = await request_reports.report(unit, ctx.account_sid, organization)
    return wire.json_response(report)


def _check_organization(name: str) -> None:
    if not name or len(name) > 256:
        raise InvalidParameter("Invalid Organization: 1 to 256 characters")


def install(app: FastAPI, registry: Deps, routing: Router) -> None:
    """The routes, and the router they find in the registry."""
    registry.provide(Router, routing)
    app.include_router(router)
