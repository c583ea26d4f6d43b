"""`/v1/Conversations[/{Sid}]` and `/v1/Conversations/{Sid}/Participants[/{Sid}]`."""

from __future__ import annotations

from fastapi import Depends, Response

from switchboard.conversations.api import params as cp
from switchboard.conversations.api import serializers as ser
from switchboard.conversations.api.context import Ctx, context
from switchboard.conversations.domain import lifecycle
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access
from switchboard.conversations.services import interactions as service
from switchboard.conversations.services import participants as members
from switchboard.kernel.criteria import ge, le
from switchboard.wire.context import (
    json_response,
    list_response,
    no_content,
    page_from_items,
    page_from_query,
)
from switchboard.wire.routing import GatedRouter

router = GatedRouter()


async def _render(ctx: Ctx, scope: Scope, key: str, status: int = 200) -> Response:
    async with ctx.svc.store.read() as unit:
        row = await access.access_interaction(unit, ctx.account_sid, scope, key)
    return json_response(ser.interaction(row, ctx.base, scope, ctx.svc.clock.now_ms()), status)


@router.get("/v1/Conversations")
async def list_conversations(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    scope = await ctx.scope()
    query = service.interactions_query(ctx.account_sid, scope, p.enums("State", r.STATES))
    start, end = p.datetime_ms("StartDate"), p.datetime_ms("EndDate")
    if start is not None:
        query = query.filtered(ge("date_created", start))
    if end is not None:
        query = query.filtered(le("date_created", end))
    async with ctx.svc.store.read() as unit:
        if scope.everything:
            page = await page_from_query(ctx, unit, query)
        else:
            page = page_from_items(ctx, await service.select_sorted(unit, ctx.account_sid, query))
    now = ctx.svc.clock.now_ms()
    records = [ser.interaction(row, ctx.base, scope, now) for row in page.records]
    return list_response(ctx, "conversations", page, records)


def _interaction_create(ctx: Ctx) -> service.InteractionCreate:
    p = ctx.params
    return service.InteractionCreate(
        friendly_name=cp.name(p, "FriendlyName"),
        unique_name=cp.name(p, "UniqueName"),
        attributes=cp.attributes(p),
        state=cp.state(p),
        messaging_service_sid=p.sid("MessagingServiceSid", "MG"),
        inactive_ms=cp.duration(p, "Timers.Inactive"),
        closed_ms=cp.duration(p, "Timers.Closed"),
        date_created=p.datetime_ms("DateCreated"),
        date_updated=p.datetime_ms("DateUpdated"),
        history=p.enum("History", r.HISTORY),
        sequence_sid=p.sid("SequenceSid", r.SEQUENCE),
        encryption=p.enum("Encryption", ("account",)),
    )


@router.post("/v1/Conversations")
async def create_conversation(ctx: Ctx = Depends(context)) -> Response:
    create = _interaction_create(ctx)
    row = await service.create_interaction(ctx.svc, ctx.account_sid, create, hooks=ctx.hooks)
    return await _render(ctx, await ctx.scope(), row.sid, 201)


@router.post("/v1/ConversationWithParticipants")
async def create_conversation_with_participants(ctx: Ctx = Depends(context)) -> Response:
    """A conversation and up to 10 participants at once (all or nothing)."""
    create = _interaction_create(ctx)
    lifecycle.check_timers(create.inactive_ms, create.closed_ms)
    initial = members.initial_participants(ctx.params.values("Participant"))
    row = await members.create_with_participants(ctx.svc, ctx.account_sid, create, initial)
    return await _render(ctx, await ctx.scope(), row.sid, 201)


@router.get("/v1/Conversations/{key}")
async def fetch_conversation(key: str, ctx: Ctx = Depends(context)) -> Response:
    return await _render(ctx, await ctx.scope(), key)


@router.post("/v1/Conversations/{key}")
async def update_conversation(key: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    update = service.InteractionUpdate(
        friendly_name=cp.name(p, "FriendlyName"),
        unique_name=cp.name(p, "UniqueName"),
        attributes=cp.attributes(p),
        state=cp.state(p),
        messaging_service_sid=p.sid("MessagingServiceSid", "MG"),
        inactive_ms=cp.duration(p, "Timers.Inactive"),
        closed_ms=cp.duration(p, "Timers.Closed"),
        date_created=p.datetime_ms("DateCreated"),
        date_updated=p.datetime_ms("DateUpdated"),
        history=p.enum("History", r.HISTORY),
    )
    scope = await ctx.scope()
    row = await service.update_interaction(
        ctx.svc, ctx.account_sid, scope, key, update, hooks=ctx.hooks
    )
    return await _render(ctx, scope, row.sid)


@router.delete("/v1/Conversations/{key}")
async def delete_conversation(key: str, ctx: Ctx = Depends(context)) -> Response:
    await service.delete_interaction(
        ctx.svc, ctx.account_sid, await ctx.scope(), key, hooks=ctx.hooks
    )
    return no_content()


@router.get("/v1/Conversations/{key}/Participants")
async def list_participants(key: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        row = await access.access_interaction(unit, ctx.account_sid, scope, key)
        page = await page_from_query(ctx, unit, members.participants_query(row.sid))
    records = [ser.participant(part, ctx.base) for part in page.records]
    return list_response(ctx, "participants", page, records)


def _participant_create(ctx: Ctx) -> members.ParticipantCreate:
    p = ctx.params
    return members.ParticipantCreate(
        identity=cp.name(p, "Identity"),
        address=cp.name(p, "MessagingBinding.Address"),
        proxy_address=cp.name(p, "MessagingBinding.ProxyAddress"),
        projected_address=cp.name(p, "MessagingBinding.ProjectedAddress"),
        attributes=cp.attributes(p),
        role_sid=p.sid("RoleSid", r.ROLE),
        date_created=p.datetime_ms("DateCreated"),
        date_updated=p.datetime_ms("DateUpdated"),
    )


@router.post("/v1/Conversations/{key}/Participants")
async def add_participant(key: str, ctx: Ctx = Depends(context)) -> Response:
    create = _participant_create(ctx)
    scope = await ctx.scope()
    row = await members.add_participant(
        ctx.svc, ctx.account_sid, scope, key, create, hooks=ctx.hooks
    )
    return json_response(ser.participant(row, ctx.base), 201)


@router.get("/v1/Conversations/{key}/Participants/{participant}")
async def fetch_participant(key: str, participant: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        row = await access.access_interaction(unit, ctx.account_sid, scope, key)
        part = await access.access_participant(unit, row, participant)
    return json_response(ser.participant(part, ctx.base))


@router.post("/v1/Conversations/{key}/Participants/{participant}")
async def update_participant(key: str, participant: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    update = members.ParticipantUpdate(
        attributes=cp.attributes(p),
        role_sid=p.sid("RoleSid", r.ROLE),
        last_read_message_index=p.integer("LastReadMessageIndex", 0),
        last_read_timestamp=p.datetime_ms("LastReadTimestamp"),
        date_created=p.datetime_ms("DateCreated"),
        date_updated=p.datetime_ms("DateUpdated"),
        identity=cp.name(p, "Identity"),
        proxy_address=cp.name(p, "MessagingBinding.ProxyAddress"),
        projected_address=cp.name(p, "MessagingBinding.ProjectedAddress"),
    )
    scope = await ctx.scope()
    row = await members.update_participant(
        ctx.svc, ctx.account_sid, scope, key, participant, update, hooks=ctx.hooks
    )
    return json_response(ser.participant(row, ctx.base))


@router.delete("/v1/Conversations/{key}/Participants/{participant}")
async def remove_participant(key: str, participant: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    await members.remove_participant(
        ctx.svc, ctx.account_sid, scope, key, participant, hooks=ctx.hooks
    )
    return no_content()
