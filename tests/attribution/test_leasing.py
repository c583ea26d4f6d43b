"""Leasing contact points and crediting the contacts that arrive at them, on every store
adapter, with the fake clock."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.attribution.domain.records import Pool
from switchboard.attribution.services import arrivals, leasing, pools
from switchboard.attribution.services.context import Attribution
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.errors import Conflict

FALLBACK = "+15550000000"


def numbers(count: int) -> list[str]:
    return [f"+1555100{n:04d}" for n in range(count)]


async def make_pool(
    attribution: Attribution, account_sid: str, count: int = 3, **fields: object
) -> Pool:
    spec = pools.PoolFields(friendly_name="ads", fallback=FALLBACK, **fields)  # type: ignore[arg-type]
    return await pools.create_pool(attribution, account_sid, spec, numbers(count))


async def lease(attribution: Attribution, pool: Pool, visitor: str, **pairs: str):  # type: ignore[no-untyped-def]
    made, _new = await leasing.lease(attribution, pool, {"visitor": visitor, **pairs})
    return made


async def test_the_same_visitor_gets_the_same_point_and_others_get_free_ones(
    attribution: Attribution, account_sid: str
) -> None:
    pool = await make_pool(attribution, account_sid)
    first = await lease(attribution, pool, "v1", utm_campaign="spring")
    again, new = await leasing.lease(attribution, pool, {"visitor": "v1"})
    second = await lease(attribution, pool, "v2")
    assert (again.sid, new) == (first.sid, False)
    assert second.address != first.address
    assert first.campaign == "spring"


async def test_an_exhausted_pool_gives_the_fallback_and_takes_over_no_live_lease(
    attribution: Attribution, account_sid: str
) -> None:
    pool = await make_pool(attribution, account_sid, count=2)
    held = [await lease(attribution, pool, f"v{n}") for n in range(2)]
    overflow = await lease(attribution, pool, "v3")
    assert (overflow.address, overflow.status, overflow.point_sid) == (FALLBACK, "overflow", None)
    stats = await pools.pool_stats(attribution, account_sid, pool.sid, 3600)
    assert (stats.leased, stats.overflows, stats.overflow_rate) == (2, 1, round(1 / 3, 4))
    for lease_ in held:
        assert (await leasing.fetch_lease(attribution, account_sid, lease_.sid)).status == "live"
    found = await arrivals.arrive(attribution, account_sid, FALLBACK, "+4915100000001")
    assert found is not None and found.contact.match == "overflow"


async def test_a_heartbeat_keeps_the_point_and_an_expired_lease_frees_it_after_cooldown(
    attribution: Attribution, account_sid: str, clock: FakeClock
) -> None:
    pool = await make_pool(attribution, account_sid, count=1, lease_seconds=1800,
                           cooldown_seconds=300)  # fmt: skip
    held = await lease(attribution, pool, "v1")
    clock.advance(1700)
    await leasing.heartbeat(attribution, account_sid, held.sid)
    clock.advance(1700)  # past the first expiry, inside the extended one
    assert (await lease(attribution, pool, "v2")).status == "overflow"
    clock.advance(200)  # expired now, cooling down
    with pytest.raises(Conflict, match="expired"):
        await leasing.heartbeat(attribution, account_sid, held.sid)
    assert (await lease(attribution, pool, "v3")).status == "overflow"
    clock.advance(300)
    assert (await lease(attribution, pool, "v4")).address == held.address


async def test_a_call_releases_the_point_into_cooldown_and_late_calls_get_lower_confidence(
    attribution: Attribution, account_sid: str, clock: FakeClock
) -> None:
    pool = await make_pool(attribution, account_sid, count=1, cooldown_seconds=300)
    held = await lease(attribution, pool, "v1", utm_campaign="spring", gclid="G1")
    first = await arrivals.arrive(attribution, account_sid, held.address, "+4915100000001")
    assert first is not None
    assert first.marketing["match"] == "attributed" and first.marketing["campaign"] == "spring"
    assert first.marketing["attribution"]["gclid"] == "G1"
    assert (await leasing.fetch_lease(attribution, account_sid, held.sid)).status == "arrived"
    clock.advance(60)
    late = await arrivals.arrive(attribution, account_sid, held.address, "+4915100000002")
    assert late is not None
    assert (late.contact.match, late.contact.confidence) == ("cooldown", 0.5)
    assert (await lease(attribution, pool, "v2")).status == "overflow"  # still cooling
    clock.advance(300)
    stranger = await arrivals.arrive(attribution, account_sid, held.address, "+4915100000003")
    assert stranger is not None and stranger.contact.match == "unattributed"
    assert (await lease(attribution, pool, "v2")).address == held.address


async def test_time_slots_credit_only_inside_the_calling_window(
    attribution: Attribution, account_sid: str, clock: FakeClock
) -> None:
    pool = await make_pool(attribution, account_sid, count=1, slot_seconds=900)
    held = await lease(attribution, pool, "v1", utm_campaign="spring")
    assert held.slot_end is not None and held.slot_start is not None
    assert held.slot_end - held.slot_start == 900_000
    clock.advance(901)
    outside = await arrivals.arrive(attribution, account_sid, held.address, None)
    assert outside is not None and outside.contact.match == "outside_slot"
    assert outside.contact.campaign is None


async def test_a_repeat_caller_carries_the_first_touch(
    attribution: Attribution, account_sid: str, clock: FakeClock
) -> None:
    pool = await make_pool(attribution, account_sid, count=2, cooldown_seconds=60,
                           repeat_days=30)  # fmt: skip
    held = await lease(attribution, pool, "v1", utm_campaign="spring")
    caller = "+4915100000009"
    first = await arrivals.arrive(attribution, account_sid, held.address, caller)
    assert first is not None
    clock.advance(86_400 * 3)
    again = await arrivals.arrive(attribution, account_sid, held.address, caller)
    assert again is not None
    assert (again.contact.match, again.contact.campaign) == ("repeat", "spring")
    assert again.marketing["first_touch"]["contact_sid"] == first.contact.sid
    clock.advance(86_400 * 31)
    forgotten = await arrivals.arrive(attribution, account_sid, held.address, caller)
    assert forgotten is not None and forgotten.contact.match == "unattributed"


async def test_an_address_of_no_pool_is_not_a_contact(
    attribution: Attribution, account_sid: str
) -> None:
    await make_pool(attribution, account_sid)
    assert await arrivals.arrive(attribution, account_sid, "+19999999999", None) is None


async def test_a_hundred_parallel_leases_on_fifty_points_never_share_a_point(
    attribution: Attribution, account_sid: str
) -> None:
    pool = await make_pool(attribution, account_sid, count=50)
    made = await asyncio.gather(*(lease(attribution, pool, f"v{n}") for n in range(100)))
    leased = [m.address for m in made if m.status == "live"]
    assert len(leased) == len(set(leased)) == 50
    assert sum(1 for m in made if m.status == "overflow") == 50


async def test_phone_numbers_match_whatever_their_punctuation(
    attribution: Attribution, account_sid: str
) -> None:
    spec = pools.PoolFields(friendly_name="ads", fallback="+1 (555) 000-0000")
    pool = await pools.create_pool(attribution, account_sid, spec, ["+1 555 100 0001"])
    assert pool.fallback == "+15550000000"
    held = await lease(attribution, pool, "v1", utm_campaign="spring")
    assert held.address == "+15551000001"
    found = await arrivals.arrive(attribution, account_sid, "+1-555-100-0001", None)
    assert found is not None and found.contact.match == "attributed"
