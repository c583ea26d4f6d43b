"""Pools of contact points: creating them, adding addresses, and reading their figures."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from switchboard.attribution.domain.leases import normal_address
from switchboard.attribution.domain.records import (
    CONTACT_POINT,
    KINDS,
    POOL,
    Contact,
    ContactPoint,
    Lease,
    Pool,
)
from switchboard.attribution.services.context import Attribution
from switchboard.kernel import sids
from switchboard.kernel.criteria import asc, eq, ge, gt, is_null
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound
from switchboard.kernel.ports import Unit

MAX_POINTS = 10_000
ADDRESS_LENGTH = 256


@dataclass(frozen=True)
class PoolFields:
    friendly_name: str
    kind: str = "phone"
    fallback: str = ""
    lease_seconds: int = 1800
    cooldown_seconds: int = 300
    slot_seconds: int | None = None
    repeat_days: int = 30
    conversion_url: str | None = None


async def access_pool(unit: Unit, account_sid: str, sid: str) -> Pool:
    """The account's pool, or 404 (also for another tenant's sid)."""
    pool = await unit.get(Pool, sid) if sids.is_sid(sid, POOL) else None
    if pool is None or pool.account_sid != account_sid:
        raise NotFound(f"The requested resource /Pools/{sid} was not found")
    return pool


def _addresses(values: Sequence[str]) -> list[str]:
    cleaned = [normal_address(value) for value in values if value.strip()]
    for value in cleaned:
        if len(value) > ADDRESS_LENGTH:
            raise InvalidParameter(f"Invalid ContactPoint: longer than {ADDRESS_LENGTH}")
    if len(set(cleaned)) != len(cleaned):
        raise InvalidParameter("Invalid ContactPoint: the same address is given twice")
    return cleaned


async def _taken(unit: Unit, account_sid: str, addresses: Sequence[str]) -> None:
    """An address belongs to one pool of an account (an arrival must find one lease)."""
    for address in addresses:
        if await unit.exists(ContactPoint, eq("account_sid", account_sid), eq("address", address)):
            raise Conflict(f"{address} is already a contact point of this account")
        if await unit.exists(Pool, eq("account_sid", account_sid), eq("fallback", address)):
            raise Conflict(f"{address} is already the fallback of a pool of this account")


async def create_pool(
    attribution: Attribution, account_sid: str, fields: PoolFields, addresses: Sequence[str]
) -> Pool:
    if fields.kind not in KINDS:
        raise InvalidParameter(f"Invalid Kind: one of {', '.join(KINDS)}")
    if not fields.fallback.strip():
        raise InvalidParameter("Fallback is required: the contact point given when all are leased")
    fields = replace(fields, fallback=normal_address(fields.fallback))
    points = _addresses(addresses)
    if fields.fallback in points:
        raise InvalidParameter("Invalid Fallback: it cannot also be a leased contact point")
    now = attribution.now()
    pool = Pool(
        sids.new_sid(POOL), account_sid, fields.friendly_name, fields.kind, fields.fallback,
        fields.lease_seconds, fields.cooldown_seconds, fields.slot_seconds, fields.repeat_days,
        secrets.token_hex(16), fields.conversion_url, 0, 0, now, now,
    )  # fmt: skip
    async with attribution.store.transaction() as unit:
        await _taken(unit, account_sid, [*points, fields.fallback])
        unit.add(pool)
        _add_points(unit, pool, points, now)
    return pool


def _add_points(unit: Unit, pool: Pool, addresses: Sequence[str], now: int) -> None:
    for address in addresses:
        sid = sids.new_sid(CONTACT_POINT)
        unit.add(ContactPoint(sid, pool.account_sid, pool.sid, address, None, 0, None, now))


async def add_points(
    attribution: Attribution, account_sid: str, pool_sid: str, addresses: Sequence[str]
) -> list[ContactPoint]:
    async with attribution.store.transaction(lock=pool_sid) as unit:
        pool = await access_pool(unit, account_sid, pool_sid)  # 404 before any validation
        points = _addresses(addresses)
        if not points:
            raise InvalidParameter("Missing required parameter ContactPoint")
        if await unit.count(ContactPoint, eq("pool_sid", pool.sid)) + len(points) > MAX_POINTS:
            raise InvalidParameter(f"A pool holds at most {MAX_POINTS} contact points")
        await _taken(unit, account_sid, points)
        _add_points(unit, pool, points, attribution.now())
    return await list_points(attribution, account_sid, pool_sid)


async def list_points(
    attribution: Attribution, account_sid: str, pool_sid: str
) -> list[ContactPoint]:
    async with attribution.store.read() as unit:
        pool = await access_pool(unit, account_sid, pool_sid)
        return await unit.select(ContactPoint, eq("pool_sid", pool.sid), order=[asc("address")])


async def delete_pool(attribution: Attribution, account_sid: str, pool_sid: str) -> None:
    async with attribution.store.transaction(lock=pool_sid) as unit:
        await unit.delete(await access_pool(unit, account_sid, pool_sid))


@dataclass(frozen=True)
class PoolStats:
    """A pool's figures over a window ending now."""

    points: int
    leased: int
    utilization: float | None
    leases: int
    overflows: int
    overflow_rate: float | None
    leases_per_hour: float
    contacts: int
    window_seconds: int


async def pool_stats(
    attribution: Attribution, account_sid: str, pool_sid: str, window_seconds: int
) -> PoolStats:
    now = attribution.now()
    since = now - window_seconds * 1000
    async with attribution.store.read() as unit:
        pool = await access_pool(unit, account_sid, pool_sid)
        points = await unit.count(ContactPoint, eq("pool_sid", pool.sid))
        leased = await unit.count(
            Lease, eq("pool_sid", pool.sid), eq("status", "live"), gt("expires_at", now)
        )
        leases = await unit.count(Lease, eq("pool_sid", pool.sid), ge("created_at", since))
        overflows = await unit.count(
            Lease, eq("pool_sid", pool.sid), ge("created_at", since), is_null("point_sid")
        )
        contacts = await unit.count(Contact, eq("pool_sid", pool.sid), ge("arrived_at", since))
    return PoolStats(
        points=points,
        leased=leased,
        utilization=round(leased / points, 4) if points else None,
        leases=leases,
        overflows=overflows,
        overflow_rate=round(overflows / leases, 4) if leases else None,
        leases_per_hour=round(leases * 3600 / window_seconds, 2),
        contacts=contacts,
        window_seconds=window_seconds,
    )
