"""Pools, contact points, leases and contacts over HTTP (`/attribution/v1/...`), and the
public lease endpoints the page snippet calls with a pool's public key."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse

from switchboard.attribution.api.common import (
    PREFIX,
    PUBLIC,
    contact_json,
    lease_json,
    point_json,
    pool_json,
    services,
)
from switchboard.attribution.domain.records import KINDS, Pool
from switchboard.attribution.services import arrivals, leasing, pools
from switchboard.attribution.services.outcomes import access_contact
from switchboard.kernel.criteria import asc, eq
from switchboard.kernel.errors import NotFound
from switchboard.wire.context import Ctx, context, json_response, no_content
from switchboard.wire.params import Params, read_params
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
SNIPPET = Path(__file__).parent.parent / "static" / "swap.js"
DAY = 86_400
# parameters of a lease request that are not attribution
_NOT_ATTRIBUTION = {"PageSize", "Page", "PageToken"}


def _pool_fields(p: Params) -> pools.PoolFields:
    return pools.PoolFields(
        friendly_name=p.string("FriendlyName", max_length=64) or "pool",
        kind=p.enum("Kind", KINDS) or "phone",
        fallback=p.string("Fallback", required=True, max_length=256).strip(),
        lease_seconds=p.integer("LeaseSeconds", 60, 7 * DAY) or 1800,
        cooldown_seconds=_or(p.integer("CooldownSeconds", 0, DAY), 300),
        slot_seconds=p.integer("SlotSeconds", 60, 7 * DAY),
        repeat_days=_or(p.integer("RepeatDays", 0, 365), 30),
        conversion_url=p.url("ConversionUrl") or None,
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


@router.post(PREFIX + "/Pools")
async def create_pool(ctx: Ctx = Depends(context)) -> Response:
    attribution = services(ctx.request)
    points = ctx.params.values("ContactPoint")
    pool = await pools.create_pool(attribution, ctx.account_sid, _pool_fields(ctx.params), points)
    return json_response(pool_json(ctx.request, pool), 201)


@router.get(PREFIX + "/Pools")
async def list_pools(ctx: Ctx = Depends(context)) -> Response:
    async with services(ctx.request).store.read() as unit:
        rows = await unit.select(Pool, eq("account_sid", ctx.account_sid), order=[asc("sid")])
    return json_response({"pools": [pool_json(ctx.request, row) for row in rows]})


@router.get(PREFIX + "/Pools/{sid}")
async def fetch_pool(sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with services(ctx.request).store.read() as unit:
        pool = await pools.access_pool(unit, ctx.account_sid, sid)
    return json_response(pool_json(ctx.request, pool))


@router.delete(PREFIX + "/Pools/{sid}")
async def delete_pool(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await pools.delete_pool(services(ctx.request), ctx.account_sid, sid)
    return no_content()


@router.get(PREFIX + "/Pools/{sid}/ContactPoints")
async def list_points(sid: str, ctx: Ctx = Depends(context)) -> Response:
    attribution = services(ctx.request)
    rows = await pools.list_points(attribution, ctx.account_sid, sid)
    now = attribution.now()
    return json_response({"contact_points": [point_json(row, now) for row in rows]})


@router.post(PREFIX + "/Pools/{sid}/ContactPoints")
async def add_points(sid: str, ctx: Ctx = Depends(context)) -> Response:
    attribution = services(ctx.request)
    added = ctx.params.values("ContactPoint")
    rows = await pools.add_points(attribution, ctx.account_sid, sid, added)
    now = attribution.now()
    return json_response({"contact_points": [point_json(row, now) for row in rows]}, 201)


@router.get(PREFIX + "/Pools/{sid}/Statistics")
async def pool_statistics(sid: str, ctx: Ctx = Depends(context)) -> Response:
    window = ctx.params.integer("WindowSeconds", 60, 31 * DAY) or 3600
    stats = await pools.pool_stats(services(ctx.request), ctx.account_sid, sid, window)
    return json_response({"pool_sid": sid, **stats.__dict__})


def _pairs(params: Params) -> dict[str, str]:
    return {key: value for key, value in params.items() if key not in _NOT_ATTRIBUTION}


@router.post(PREFIX + "/Pools/{sid}/Leases")
async def create_lease(sid: str, ctx: Ctx = Depends(context)) -> Response:
    attribution = services(ctx.request)
    async with attribution.store.read() as unit:
        pool = await pools.access_pool(unit, ctx.account_sid, sid)
    made, new = await leasing.lease(attribution, pool, _pairs(ctx.params))
    return json_response(lease_json(ctx.request, made, attribution.now()), 201 if new else 200)


@router.get(PREFIX + "/Leases/{sid}")
async def fetch_lease(sid: str, ctx: Ctx = Depends(context)) -> Response:
    attribution = services(ctx.request)
    found = await leasing.fetch_lease(attribution, ctx.account_sid, sid)
    return json_response(lease_json(ctx.request, found, attribution.now()))


@router.post(PREFIX + "/Leases/{sid}/Heartbeat")
async def heartbeat(sid: str, ctx: Ctx = Depends(context)) -> Response:
    attribution = services(ctx.request)
    found = await leasing.heartbeat(attribution, ctx.account_sid, sid)
    return json_response(lease_json(ctx.request, found, attribution.now()))


@router.post(PREFIX + "/Contacts")
async def create_contact(ctx: Ctx = Depends(context)) -> Response:
    """A voice platform asks for the attribution of a dialed number (the seed's lookup)."""
    address = ctx.params.string("ContactPoint", required=True, max_length=256).strip()
    caller = ctx.params.string("Caller", max_length=256)
    found = await arrivals.arrive(services(ctx.request), ctx.account_sid, address, caller)
    if found is None:
        raise NotFound(f"{address} is not a contact point of any pool of this account")
    body = {**contact_json(ctx.request, found.contact), "marketing": found.marketing}
    return json_response(body, 201)


@router.get(PREFIX + "/Contacts/{sid}")
async def fetch_contact(sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with services(ctx.request).store.read() as unit:
        contact = await access_contact(unit, ctx.account_sid, sid)
    return json_response(contact_json(ctx.request, contact))


# --- the page snippet's endpoints: a pool's public key instead of credentials --------------

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type"}


def _public(body: dict[str, object], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=CORS)


def _public_lease(request: Request, lease: object, now: int) -> dict[str, object]:
    """What a page may see of its lease: the point to show, no other visitor's data."""
    full = lease_json(request, lease, now)  # type: ignore[arg-type]
    keys = ("sid", "contact_point", "overflow", "status", "expires_at", "slot_start", "slot_end")
    return {key: full[key] for key in keys}


@router.options(PUBLIC + "/{key}/Leases")
@router.options(PUBLIC + "/{key}/Leases/{sid}/Heartbeat")
async def preflight(key: str) -> Response:
    return Response(status_code=204, headers={**CORS, "Access-Control-Allow-Methods": "POST"})


@router.post(PUBLIC + "/{key}/Leases")
async def public_lease(
    key: str, request: Request, params: Params = Depends(read_params)
) -> Response:
    attribution = services(request)
    pool = await leasing.pool_by_key(attribution, key)
    made, new = await leasing.lease(attribution, pool, _pairs(params))
    return _public(_public_lease(request, made, attribution.now()), 201 if new else 200)


@router.post(PUBLIC + "/{key}/Leases/{sid}/Heartbeat")
async def public_heartbeat(key: str, sid: str, request: Request) -> Response:
    attribution = services(request)
    pool = await leasing.pool_by_key(attribution, key)
    async with attribution.store.read() as unit:
        found = await leasing.access_lease(unit, pool.account_sid, sid)
    if found.pool_sid != pool.sid:
        raise NotFound(f"The requested resource /Leases/{sid} was not found")
    found = await leasing.heartbeat(attribution, pool.account_sid, sid)
    return _public(_public_lease(request, found, attribution.now()))


@router.get(PUBLIC + "/swap.js")
async def snippet() -> Response:
    """The number-swap snippet, served so a page needs one script tag and no build step."""
    return Response(SNIPPET.read_text(), media_type="text/javascript", headers=CORS)
