"""`/v1/Channels/Addresses`: the carrier identifiers of the account (numbers, mailboxes,
widgets), each deciding which organization an inbound contact belongs to."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request, Response

from switchboard.channels.domain import records as r
from switchboard.channels.services import addresses as service
from switchboard.channels.services.context import Channels
from switchboard.kernel.clock import iso
from switchboard.wire import context as wire
from switchboard.wire.context import (
    Ctx,
    context,
    json_response,
    list_response,
    no_content,
    page_from_query,
)
from switchboard.wire.deps import deps
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
wire.register_sid_convertors(r.ADDRESS)


def channels(request: Request) -> Channels:
    return deps(request).get(Channels)


def address_json(row: r.ChannelAddress, base: str) -> dict[str, Any]:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "channel": row.channel,
        "address": row.address,
        "friendly_name": row.friendly_name,
        "organization": row.organization,
        "attributes": json.loads(row.attributes),
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "url": f"{base}/Channels/Addresses/{row.sid}",
    }


@router.post("/v1/Channels/Addresses")
async def create_address(
    ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    p = ctx.params
    fields = service.AddressCreate(
        channel=p.raw("Channel"),
        address=p.raw("Address"),
        friendly_name=p.raw("FriendlyName"),
        attributes=p.raw("Attributes"),
        organization=p.raw("Organization"),
    )
    row = await service.create_address(svc, ctx.account_sid, fields)
    return json_response(address_json(row, ctx.base), status=201)


@router.get("/v1/Channels/Addresses")
async def list_addresses(
    ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    query = service.addresses_query(ctx.account_sid, ctx.params.raw("Channel"))
    async with svc.store.read() as unit:
        page = await page_from_query(ctx, unit, query)
    records = [address_json(row, ctx.base) for row in page.records]
    return list_response(ctx, "addresses", page, records)


@router.get("/v1/Channels/Addresses/{sid:xa}")
async def fetch_address(
    sid: str, ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    row = await service.access_address(svc, ctx.account_sid, sid)
    return json_response(address_json(row, ctx.base))


@router.post("/v1/Channels/Addresses/{sid:xa}")
async def update_address(
    sid: str, ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    """FriendlyName, Attributes and Organization (empty: none) may change."""
    p = ctx.params
    fields = service.AddressUpdate(
        friendly_name=p.raw("FriendlyName"),
        attributes=p.raw("Attributes"),
        # sent empty: the address names no organization any more
        organization=(p.raw("Organization") or "") if "Organization" in p else None,
    )
    row = await service.update_address(svc, ctx.account_sid, sid, fields)
    return json_response(address_json(row, ctx.base))


@router.delete("/v1/Channels/Addresses/{sid:xa}")
async def delete_address(
    sid: str, ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    await service.delete_address(svc, ctx.account_sid, sid)
    return no_content()
