"""`/v1/Conversations/{Sid}/Messages[/{Sid}]`, their `Receipts`, and the conversation's
`Webhooks`. Every message read is filtered by the reader's scope."""

from __future__ import annotations

import json

from fastapi import Depends, Response

from switchboard.conversations.api import params as cp
from switchboard.conversations.api import serializers as ser
from switchboard.conversations.api.context import Ctx, context
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access, hooks_admin, search
from switchboard.conversations.services import messages as service
from switchboard.conversations.services.messages import body_of, delivery_summary
from switchboard.kernel.criteria import isin
from switchboard.kernel.ports import Unit
from switchboard.wire.context import JSON, json_response, list_response, no_content, page_from_query
from switchboard.wire.routing import GatedRouter

router = GatedRouter()


async def _message_json(ctx: Ctx, unit: Unit, interaction: r.Interaction, row: r.Message) -> JSON:
    delivery = await delivery_summary(unit, row.sid)
    return ser.message(row, body_of(ctx.svc, interaction, row), delivery, ctx.base)


async def _render(ctx: Ctx, scope: Scope, key: str, message: str, status: int = 200) -> Response:
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
        row = await access.access_message(unit, interaction, scope, message)
        body = await _message_json(ctx, unit, interaction, row)
    return json_response(body, status)


@router.get("/v1/Search/Messages")
async def search_messages(ctx: Ctx = Depends(context)) -> Response:
    """Extension: full-text search over the messages the reader may see, newest first."""
    limit = ctx.params.integer("PageSize", 1, 100) or 50
    text = ctx.params.string("Query", max_length=256)
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        rows = await search.search_messages(
            ctx.svc.index, unit, ctx.account_sid, scope, text, limit
        )
        owners = await unit.select(
            r.Interaction, isin("sid", sorted({m.interaction_sid for m in rows}))
        )
        by_sid = {row.sid: row for row in owners}
        records = [await _message_json(ctx, unit, by_sid[m.interaction_sid], m) for m in rows]
    body = {"messages": records, "meta": {"key": "messages", "page_size": limit}}
    return json_response(body)


@router.get("/v1/Conversations/{key}/Messages")
async def list_messages(key: str, ctx: Ctx = Depends(context)) -> Response:
    newest_first = ctx.params.enum("Order", ("asc", "desc")) == "desc"
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
        query = service.messages_query(interaction.sid, scope, newest_first)
        page = await page_from_query(ctx, unit, query)
        records = [await _message_json(ctx, unit, interaction, row) for row in page.records]
    return list_response(ctx, "messages", page, records)


@router.post("/v1/Conversations/{key}/Messages")
async def post_message(key: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    create = service.MessageCreate(
        author=cp.name(p, "Author"),
        body=p.string("Body"),
        attributes=cp.attributes(p),
        media_sids=tuple(p.values("MediaSid")),
        date_created=p.datetime_ms("DateCreated"),
        date_updated=p.datetime_ms("DateUpdated"),
        kind=p.enum("Kind", r.MESSAGE_KINDS) or "message",
    )
    scope = await ctx.scope()
    row = await service.post_message(ctx.svc, ctx.account_sid, scope, key, create, hooks=ctx.hooks)
    return await _render(ctx, scope, row.interaction_sid, row.sid, 201)


@router.get("/v1/Conversations/{key}/Messages/{message}")
async def fetch_message(key: str, message: str, ctx: Ctx = Depends(context)) -> Response:
    return await _render(ctx, await ctx.scope(), key, message)


@router.post("/v1/Conversations/{key}/Messages/{message}")
async def update_message(key: str, message: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    update = service.MessageUpdate(
        author=cp.name(p, "Author"),
        body=p.string("Body"),
        attributes=cp.attributes(p),
        date_created=p.datetime_ms("DateCreated"),
        date_updated=p.datetime_ms("DateUpdated"),
    )
    scope = await ctx.scope()
    row = await service.update_message(
        ctx.svc, ctx.account_sid, scope, key, message, update, hooks=ctx.hooks
    )
    return await _render(ctx, scope, row.interaction_sid, row.sid)


@router.delete("/v1/Conversations/{key}/Messages/{message}")
async def delete_message(key: str, message: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    await service.delete_message(ctx.svc, ctx.account_sid, scope, key, message, hooks=ctx.hooks)
    return no_content()


@router.get("/v1/Conversations/{key}/Messages/{message}/Receipts")
async def list_receipts(key: str, message: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
        row = await access.access_message(unit, interaction, scope, message)
        page = await page_from_query(ctx, unit, service.receipts_query(row.sid))
    records = [ser.receipt(found, ctx.base) for found in page.records]
    return list_response(ctx, "delivery_receipts", page, records)


@router.get("/v1/Conversations/{key}/Messages/{message}/Receipts/{sid:dy}")
async def fetch_receipt(key: str, message: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
        row = await access.access_message(unit, interaction, scope, message)
        found = await access.access_receipt(unit, row, sid)
    return json_response(ser.receipt(found, ctx.base))


@router.post("/v1/Conversations/{key}/Messages/{message}/Receipts/{sid:dy}")
async def update_receipt(key: str, message: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    """Extension: a channel adapter reports delivery progress."""
    p = ctx.params
    status = p.enum("Status", service.RECEIPT_STATUSES)
    error_code = p.integer("ErrorCode", 0)
    found = await service.update_receipt(
        ctx.svc,
        ctx.account_sid,
        await ctx.scope(),
        key,
        message,
        sid,
        status,
        error_code,
        hooks=ctx.hooks,
    )
    return json_response(ser.receipt(found, ctx.base))


@router.get("/v1/Conversations/{key}/Webhooks")
async def list_webhooks(key: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
        page = await page_from_query(ctx, unit, hooks_admin.webhooks_query(interaction.sid))
    return list_response(
        ctx, "webhooks", page, [ser.webhook(row, ctx.base) for row in page.records]
    )


def _webhook_fields(ctx: Ctx, create: bool) -> hooks_admin.WebhookFields:
    p = ctx.params
    filters = p.enums("Configuration.Filters", hooks_admin.EVENTS)
    triggers = p.strings("Configuration.Triggers")
    return hooks_admin.WebhookFields(
        target=p.enum("Target", hooks_admin.TARGETS) if create else None,
        url=p.url("Configuration.Url"),
        method=p.enum("Configuration.Method", ("GET", "POST", "get", "post")),
        filters=json.dumps(filters) if filters or create else None,
        triggers=json.dumps(triggers) if triggers or create else None,
        flow_sid=p.sid("Configuration.FlowSid", "FW"),
    )


@router.post("/v1/Conversations/{key}/Webhooks")
async def create_webhook(key: str, ctx: Ctx = Depends(context)) -> Response:
    fields = _webhook_fields(ctx, create=True)
    row = await hooks_admin.create_webhook(ctx.svc, ctx.account_sid, await ctx.scope(), key, fields)
    return json_response(ser.webhook(row, ctx.base), 201)


@router.get("/v1/Conversations/{key}/Webhooks/{sid:wh}")
async def fetch_webhook(key: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
        row = await access.access_webhook(unit, interaction, sid)
    return json_response(ser.webhook(row, ctx.base))


@router.post("/v1/Conversations/{key}/Webhooks/{sid:wh}")
async def update_webhook(key: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    fields = _webhook_fields(ctx, create=False)
    row = await hooks_admin.update_webhook(
        ctx.svc, ctx.account_sid, await ctx.scope(), key, sid, fields
    )
    return json_response(ser.webhook(row, ctx.base))


@router.delete("/v1/Conversations/{key}/Webhooks/{sid:wh}")
async def delete_webhook(key: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    await hooks_admin.delete_webhook(ctx.svc, ctx.account_sid, await ctx.scope(), key, sid)
    return no_content()
