"""Leasing a contact point to a visitor, and keeping the lease alive.

Every lease of a pool runs under the pool's lock (an asyncio lock on memory and
SQLite, `pg_advisory_xact_lock` on PostgreSQL, see `store/sql.py`): reading the
least-recently-released free point and claiming it are one step, so two visitors
never get the same point, in one process or many. A live lease is never taken over:
when no point is free the pool's fallback is given and the lease is marked overflow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from switchboard.attribution.domain import leases as rules
from switchboard.attribution.domain.records import LEASE, LIVE, ContactPoint, Lease, Pool
from switchboard.attribution.services.context import Attribution
from switchboard.attribution.services.pools import access_pool
from switchboard.kernel import limits, sids
from switchboard.kernel.criteria import asc, desc, eq, gt, le
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound
from switchboard.kernel.ports import Unit


def read_attribution(pairs: Mapping[str, str]) -> rules.Attribution:
    try:
        return rules.attribution(pairs)
    except ValueError as exc:
        raise InvalidParameter(f"Invalid attribution: {exc}") from None


async def lease(
    attribution: Attribution, pool: Pool, pairs: Mapping[str, str]
) -> tuple[Lease, bool]:
    """A contact point for this visitor: their live lease again, else the least-recently-
    released free point, else the fallback (overflow). Returns the lease and whether it
    is new."""
    read = read_attribution(pairs)
    async with attribution.store.transaction(lock=pool.sid) as unit:
        now = attribution.now()
        current = await unit.get(Pool, pool.sid)
        if current is None:
            raise NotFound(f"The requested resource /Pools/{pool.sid} was not found")
        same = await _visitor_lease(unit, current, read.visitor, now)
        if same is not None:
            return same, False
        point = await unit.first(
            ContactPoint,
            eq("pool_sid", current.sid),
            le("busy_until", now),
            order=[asc("busy_until"), asc("sid")],
        )
        made = _new_lease(current, point, read, now)
        unit.add(made)
        current.leases += 1
        if point is None:
            current.overflows += 1
        else:
            rules.occupy(current, point, made)
        return made, True


async def _visitor_lease(unit: Unit, pool: Pool, visitor: str | None, now: int) -> Lease | None:
    if visitor is None:
        return None
    return await unit.first(
        Lease,
        eq("pool_sid", pool.sid),
        eq("visitor", visitor),
        eq("status", LIVE),
        gt("expires_at", now),
        order=[desc("created_at")],
    )


def _new_lease(pool: Pool, point: ContactPoint | None, read: rules.Attribution, now: int) -> Lease:
    end, slot_start, slot_end = rules.expiry(pool, now)
    address = point.address if point is not None else pool.fallback
    return Lease(
        sid=sids.new_sid(LEASE),
        account_sid=pool.account_sid,
        pool_sid=pool.sid,
        point_sid=point.sid if point is not None else None,
        address=address,
        visitor=read.visitor,
        campaign=read.campaign,
        publisher=read.publisher,
        keyword=read.keyword,
        source=read.source,
        medium=read.medium,
        click_id=read.click_id,
        click_id_kind=read.click_id_kind,
        attribution=json.dumps(dict(read.pairs), sort_keys=True),
        status=LIVE if point is not None else "overflow",
        created_at=now,
        expires_at=end if point is not None else now,
        slot_start=slot_start if point is not None else None,
        slot_end=slot_end if point is not None else None,
        released_at=None,
        contacts=0,
        outcome=None,
        revenue_micros=None,
        currency=None,
    )


async def access_lease(unit: Unit, account_sid: str, sid: str) -> Lease:
    found = await unit.get(Lease, sid) if sids.is_sid(sid, LEASE) else None
    if found is None or found.account_sid != account_sid:
        raise NotFound(f"The requested resource /Leases/{sid} was not found")
    return found


async def heartbeat(attribution: Attribution, account_sid: str, lease_sid: str) -> Lease:
    """The page is still open: keep the visitor's point for another lease time."""
    async with attribution.store.read() as unit:
        pool_sid = (await access_lease(unit, account_sid, lease_sid)).pool_sid
    async with attribution.store.transaction(lock=pool_sid) as unit:
        found = await access_lease(unit, account_sid, lease_sid)
        pool = await access_pool(unit, account_sid, pool_sid)
        point = await unit.get(ContactPoint, found.point_sid) if found.point_sid else None
        now = attribution.now()
        if not rules.heartbeat(pool, found, point, now):
            status = rules.status(found, now)
            raise Conflict(f"Lease {lease_sid} is {status} and cannot be extended")
    return found


async def fetch_lease(attribution: Attribution, account_sid: str, lease_sid: str) -> Lease:
    async with attribution.store.read() as unit:
        return await access_lease(unit, account_sid, lease_sid)


async def pool_by_key(attribution: Attribution, public_key: str) -> Pool:
    """The pool a page snippet names by its public key (the key is all it holds); a key
    no column could hold (NUL, lone surrogates) names no pool."""
    try:
        limits.check_text(public_key)
    except limits.InputError:
        raise NotFound("No pool has this key") from None
    async with attribution.store.read() as unit:
        found = await unit.first(Pool, eq("public_key", public_key))
    if found is None:
        raise NotFound("No pool has this key")
    return found
