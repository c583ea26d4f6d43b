"""`GET /v1/Workspaces/{ws}/CallbackDeliveries`: what was sent where, and how it went.

Twilio keeps failed webhooks in its debugger; here they are a list resource with the
usual envelope and paging, filtered by `Status` and `Kind`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Response

from switchboard.distribution.api.routes.common import (
    Ctx,
    context,
    json_response,
    list_response,
    page_from_query,
)
from switchboard.kernel.clock import iso
from switchboard.kernel.criteria import Criterion, Query, asc, desc, eq, isin
from switchboard.kernel.errors import NotFound
from switchboard.outbound.records import CallbackDelivery
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/CallbackDeliveries")
STATUSES = ("pending", "delivered", "failed")
KINDS = ("event", "assignment")


def delivery_json(row: CallbackDelivery, base: str) -> dict[str, Any]:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "workspace_sid": row.workspace_sid,
        "kind": row.kind,
        "status": row.status,
        "event_sid": row.event_sid,
        "event_type": row.event_type,
        "reservation_sid": row.reservation_sid,
        "callback_url": row.url,
        "fallback_url": row.fallback_url,
        "attempts": row.attempts,
        "response_status": row.response_status,
        "error": row.error,
        "instruction": row.instruction,
        "attempt_log": json.loads(row.attempt_log or "[]"),
        "next_attempt_date": iso(row.next_attempt_at) if row.status == "pending" else None,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "url": f"{base}/Workspaces/{row.workspace_sid}/CallbackDeliveries/{row.sid}",
    }


def _query(workspace_sid: str, statuses: list[str], kinds: list[str]) -> Query[CallbackDelivery]:
    where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
    if statuses:
        where.append(isin("status", statuses))
    if kinds:
        where.append(isin("kind", kinds))
    return Query(CallbackDelivery, tuple(where), (desc("date_created"), asc("sid")))


@router.get("")
async def list_callback_deliveries(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    """Newest first; `Status=failed|delivered|pending`, `Kind=event|assignment`, `Sid`."""
    statuses = ctx.params.enums("Status", STATUSES)
    kinds = ctx.params.enums("Kind", KINDS)
    query = _query(workspace_sid, statuses, kinds)
    sid = ctx.params.string("Sid")
    if sid:
        query = query.filtered(eq("sid", sid))
    async with ctx.reading(workspace_sid) as (unit, _workspace):
        page = await page_from_query(ctx, unit, query)
    records = [delivery_json(row, ctx.base) for row in page.records]
    return list_response(ctx, "callback_deliveries", page, records)


@router.get("/{sid}")
async def fetch_callback_delivery(
    workspace_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    """One delivery: what each record's `url` names."""
    async with ctx.reading(workspace_sid) as (unit, workspace):
        row = await unit.first(CallbackDelivery, eq("sid", sid), eq("workspace_sid", workspace.sid))
    if row is None:
        raise NotFound(f"The requested resource /CallbackDeliveries/{sid} was not found")
    return json_response(delivery_json(row, ctx.base))
