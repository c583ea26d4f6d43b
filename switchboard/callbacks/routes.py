"""`GET /v1/Workspaces/{ws}/CallbackDeliveries`: what was sent where, and how it went.

Twilio keeps failed webhooks in its debugger; here they are a list resource with the
usual envelope and paging, filtered by `Status` and `Kind`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import Select, select

from switchboard.api.routes.common import Ctx, context, list_response, page_from_query
from switchboard.domain.clock import iso
from switchboard.store import tables as t

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/CallbackDeliveries")
STATUSES = ("pending", "delivered", "failed")
KINDS = ("event", "assignment")


def delivery_json(row: t.CallbackDelivery, base: str) -> dict[str, Any]:
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
        "url": f"{base}/Workspaces/{row.workspace_sid}/CallbackDeliveries?Sid={row.sid}",
    }


def _query(workspace_sid: str, statuses: list[str], kinds: list[str]) -> Select[t.CallbackDelivery]:
    query = select(t.CallbackDelivery).where(t.CallbackDelivery.workspace_sid == workspace_sid)
    if statuses:
        query = query.where(t.CallbackDelivery.status.in_(statuses))
    if kinds:
        query = query.where(t.CallbackDelivery.kind.in_(kinds))
    return query.order_by(t.CallbackDelivery.date_created.desc(), t.CallbackDelivery.sid)


@router.get("")
async def list_callback_deliveries(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    """Newest first; `Status=failed|delivered|pending`, `Kind=event|assignment`, `Sid`."""
    statuses = ctx.params.enums("Status", STATUSES)
    kinds = ctx.params.enums("Kind", KINDS)
    query = _query(workspace_sid, statuses, kinds)
    sid = ctx.params.string("Sid")
    if sid:
        query = query.where(t.CallbackDelivery.sid == sid)
    async with ctx.reading(workspace_sid) as (session, _workspace):
        page = await page_from_query(ctx, session, query)
    records = [delivery_json(row, ctx.base) for row in page.records]
    return list_response(ctx, "callback_deliveries", page, records)
