"""Account-wide resources: `/v1/ParticipantConversations`, `/v1/Users`, `/v1/Roles`,
`/v1/Configuration` and `/v1/Configuration/Webhooks`."""

from __future__ import annotations

import json

from fastapi import Depends, Response

from switchboard.conversations.api import params as cp
from switchboard.conversations.api import serializers as ser
from switchboard.conversations.api.context import Ctx, context
from switchboard.conversations.domain import records as r
from switchboard.conversations.services import access, addresses, configuration, users
from switchboard.conversations.services.participants import participations_query
from switchboard.conversations.services.webhooks import EVENTS
from switchboard.kernel.criteria import eq, isin
from switchboard.wire.context import json_response, list_response, no_content, page_from_query
from switchboard.wire.routing import GatedRouter

router = GatedRouter()


async def _chat_service(ctx: Ctx) -> str:
    async with ctx.svc.store.read() as unit:
        return (
            await configuration.configuration_of(unit, ctx.account_sid)
        ).default_chat_service_sid


@router.get("/v1/ParticipantConversations")
async def list_participant_conversations(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    scope = await ctx.scope()
    query = participations_query(
        ctx.account_sid, scope, cp.name(p, "Identity"), cp.name(p, "Address")
    )
    async with ctx.svc.store.read() as unit:
        page = await page_from_query(ctx, unit, query)
        wanted = sorted({part.interaction_sid for part in page.records})
        rows = {row.sid: row for row in await unit.select(r.Interaction, isin("sid", wanted))}
        identities = sorted({part.identity for part in page.records if part.identity})
        user_rows = await unit.select(
            r.User, eq("account_sid", ctx.account_sid), isin("identity", identities)
        )
    user_sids = {row.identity: row.sid for row in user_rows}
    now = ctx.svc.clock.now_ms()
    records = [
        ser.participant_conversation(
            part, rows[part.interaction_sid], user_sids.get(part.identity or ""), ctx.base, now
        )
        for part in page.records
    ]
    return list_response(ctx, "conversations", page, records)


def _user_fields(ctx: Ctx) -> users.UserFields:
    p = ctx.params
    return users.UserFields(
        identity=cp.name(p, "Identity"),
        friendly_name=cp.name(p, "FriendlyName"),
        attributes=cp.attributes(p),
        role_sid=p.sid("RoleSid", r.ROLE),
        admin=p.boolean("Admin"),
    )


@router.get("/v1/Users")
async def list_users(ctx: Ctx = Depends(context)) -> Response:
    service = await _chat_service(ctx)
    async with ctx.svc.store.read() as unit:
        page = await page_from_query(ctx, unit, users.users_query(ctx.account_sid))
    return list_response(
        ctx, "users", page, [ser.user(row, service, ctx.base) for row in page.records]
    )


@router.post("/v1/Users")
async def create_user(ctx: Ctx = Depends(context)) -> Response:
    row = await users.create_user(ctx.svc, ctx.account_sid, _user_fields(ctx))
    return json_response(ser.user(row, await _chat_service(ctx), ctx.base), 201)


@router.get("/v1/Users/{key}")
async def fetch_user(key: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.svc.store.read() as unit:
        row = await access.access_user(unit, ctx.account_sid, key)
    return json_response(ser.user(row, await _chat_service(ctx), ctx.base))


@router.post("/v1/Users/{key}")
async def update_user(key: str, ctx: Ctx = Depends(context)) -> Response:
    row = await users.update_user(ctx.svc, ctx.account_sid, key, _user_fields(ctx))
    return json_response(ser.user(row, await _chat_service(ctx), ctx.base))


@router.delete("/v1/Users/{key}")
async def delete_user(key: str, ctx: Ctx = Depends(context)) -> Response:
    await users.delete_user(ctx.svc, ctx.account_sid, key)
    return no_content()


@router.get("/v1/Roles")
async def list_roles(ctx: Ctx = Depends(context)) -> Response:
    service = await _chat_service(ctx)
    async with ctx.svc.store.read() as unit:
        page = await page_from_query(ctx, unit, users.roles_query(ctx.account_sid))
    return list_response(
        ctx, "roles", page, [ser.role(row, service, ctx.base) for row in page.records]
    )


@router.post("/v1/Roles")
async def create_role(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    name = p.string("FriendlyName", required=True, max_length=64)
    kind = p.string("Type", required=True)
    row = await users.create_role(ctx.svc, ctx.account_sid, name, kind, p.values("Permission"))
    return json_response(ser.role(row, await _chat_service(ctx), ctx.base), 201)


@router.get("/v1/Roles/{sid:rl}")
async def fetch_role(sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.svc.store.read() as unit:
        row = await access.access_role(unit, ctx.account_sid, sid)
    return json_response(ser.role(row, await _chat_service(ctx), ctx.base))


@router.post("/v1/Roles/{sid:rl}")
async def update_role(sid: str, ctx: Ctx = Depends(context)) -> Response:
    row = await users.update_role(ctx.svc, ctx.account_sid, sid, ctx.params.values("Permission"))
    return json_response(ser.role(row, await _chat_service(ctx), ctx.base))


@router.delete("/v1/Roles/{sid:rl}")
async def delete_role(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await users.delete_role(ctx.svc, ctx.account_sid, sid)
    return no_content()


@router.get("/v1/Configuration")
async def fetch_configuration(ctx: Ctx = Depends(context)) -> Response:
    async with ctx.svc.store.transaction() as unit:  # stores the defaults on first read
        row = await configuration.configuration_of(unit, ctx.account_sid)
    return json_response(ser.configuration(row, ctx.base))


@router.post("/v1/Configuration")
async def update_configuration(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    update = configuration.ConfigurationUpdate(
        default_inactive_ms=cp.duration(p, "DefaultInactiveTimer"),
        default_closed_ms=cp.duration(p, "DefaultClosedTimer"),
        default_messaging_service_sid=p.sid("DefaultMessagingServiceSid", "MG"),
    )
    row = await configuration.update_configuration(ctx.svc, ctx.account_sid, update)
    return json_response(ser.configuration(row, ctx.base))


@router.get("/v1/Configuration/Webhooks")
async def fetch_configuration_webhooks(ctx: Ctx = Depends(context)) -> Response:
    async with ctx.svc.store.transaction() as unit:
        row = await configuration.configuration_of(unit, ctx.account_sid)
    return json_response(ser.configuration_webhooks(row, ctx.base))


@router.post("/v1/Configuration/Webhooks")
async def update_configuration_webhooks(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    filters = p.enums("Filters", EVENTS)
    update = configuration.WebhookConfigurationUpdate(
        method=(p.enum("Method", ("GET", "POST", "get", "post")) or "").upper() or None,
        filters=json.dumps(filters) if "Filters" in p else None,
        pre_webhook_url=p.url("PreWebhookUrl"),
        post_webhook_url=p.url("PostWebhookUrl"),
        target=p.enum("Target", ("webhook", "flex")),
    )
    row = await configuration.update_webhooks(ctx.svc, ctx.account_sid, update)
    return json_response(ser.configuration_webhooks(row, ctx.base))


@router.get("/v1/Users/{key}/Conversations")
async def list_user_conversations(key: str, ctx: Ctx = Depends(context)) -> Response:
    """The user's participations (within the reader's view), unread counts included."""
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        user = await access.access_user(unit, ctx.account_sid, key)
        query = participations_query(ctx.account_sid, scope, user.identity, None)
        page = await page_from_query(ctx, unit, query)
        wanted = sorted({part.interaction_sid for part in page.records})
        rows = {row.sid: row for row in await unit.select(r.Interaction, isin("sid", wanted))}
    now = ctx.svc.clock.now_ms()
    records = [
        ser.user_conversation(user, part, rows[part.interaction_sid], ctx.base, now)
        for part in page.records
    ]
    return list_response(ctx, "conversations", page, records)


@router.get("/v1/Users/{key}/Conversations/{conversation}")
async def fetch_user_conversation(
    key: str, conversation: str, ctx: Ctx = Depends(context)
) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        user = await access.access_user(unit, ctx.account_sid, key)
        row = await access.access_interaction(unit, ctx.account_sid, scope, conversation)
        part = await access.access_participant(unit, row, user.identity)
    return json_response(ser.user_conversation(user, part, row, ctx.base, ctx.svc.clock.now_ms()))


_AUTO = {
    "AutoCreation.Type": "type",
    "AutoCreation.ConversationServiceSid": "conversation_service_sid",
    "AutoCreation.WebhookUrl": "webhook_url",
    "AutoCreation.WebhookMethod": "webhook_method",
    "AutoCreation.StudioFlowSid": "studio_flow_sid",
}


def _address_fields(ctx: Ctx) -> addresses.AddressFields:
    p = ctx.params
    auto: dict[str, object] = {}
    enabled = p.boolean("AutoCreation.Enabled")
    if enabled is not None:
        auto["enabled"] = enabled
    p.enum("AutoCreation.Type", addresses.AUTO_TYPES)
    p.url("AutoCreation.WebhookUrl")
    for name, key in _AUTO.items():
        if p.raw(name) is not None:
            auto[key] = p.string(name, max_length=2048)
    if "AutoCreation.WebhookFilters" in p:
        auto["webhook_filters"] = p.enums("AutoCreation.WebhookFilters", EVENTS)
    retries = p.integer("AutoCreation.StudioRetryCount", 0, 3)
    if retries is not None:
        auto["studio_retry_count"] = retries
    return addresses.AddressFields(
        type=p.enum("Type", r.ADDRESS_TYPES),
        address=cp.name(p, "Address"),
        friendly_name=cp.name(p, "FriendlyName"),
        auto_creation=auto,
        address_country=p.string("AddressCountry", max_length=8) or None,
        organization=cp.name(p, "Organization"),
    )


@router.get("/v1/Configuration/Addresses")
async def list_addresses(ctx: Ctx = Depends(context)) -> Response:
    query = addresses.addresses_query(ctx.account_sid, ctx.params.enum("Type", r.ADDRESS_TYPES))
    async with ctx.svc.store.read() as unit:
        page = await page_from_query(ctx, unit, query)
    records = [ser.address(row, ctx.base) for row in page.records]
    return list_response(ctx, "address_configurations", page, records)


@router.post("/v1/Configuration/Addresses")
async def create_address(ctx: Ctx = Depends(context)) -> Response:
    row = await addresses.create_address(ctx.svc, ctx.account_sid, _address_fields(ctx))
    return json_response(ser.address(row, ctx.base), 201)


@router.get("/v1/Configuration/Addresses/{sid:ig}")
async def fetch_address(sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.svc.store.read() as unit:
        row = await addresses.access_address(unit, ctx.account_sid, sid)
    return json_response(ser.address(row, ctx.base))


@router.post("/v1/Configuration/Addresses/{sid:ig}")
async def update_address(sid: str, ctx: Ctx = Depends(context)) -> Response:
    row = await addresses.update_address(ctx.svc, ctx.account_sid, sid, _address_fields(ctx))
    return json_response(ser.address(row, ctx.base))


@router.delete("/v1/Configuration/Addresses/{sid:ig}")
async def delete_address(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await addresses.delete_address(ctx.svc, ctx.account_sid, sid)
    return no_content()
