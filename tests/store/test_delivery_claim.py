"""The delivery claim: one statement on the SQL stores, never the same delivery twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from switchboard.kernel.clock import FakeClock
from switchboard.kernel.ports import Store
from switchboard.outbound import ledger
from switchboard.outbound.records import CallbackDelivery
from switchboard.store.sql import SqlStore
from tests.databases import migrated_store

LEASE = 30_000


def delivery(n: int, due: int, status: str = "pending", kind: str = "event") -> CallbackDelivery:
    return CallbackDelivery(
        sid=f"CB{n:032x}",
        account_sid="AC" + "0" * 32,
        workspace_sid="WS" + "0" * 32,
        kind=kind,
        event_sid=f"EV{n:032x}",
        event_type="task.created",
        url="http://127.0.0.1/hook",
        payload="{}",
        status=status,
        next_attempt_at=due,
        date_created=due,
        date_updated=due,
    )


async def _seed(store: Store, rows: list[CallbackDelivery]) -> None:
    async with store.transaction() as unit:
        for row in rows:
            unit.add(row)


async def test_claims_are_due_first_exclusive_and_held_for_a_while(store: Store) -> None:
    clock = FakeClock(1_000_000)
    rows = [delivery(n, 1_000_000 - n * 10) for n in range(6)]
    rows += [delivery(10, 2_000_000), delivery(11, 0, status="delivered")]
    rows += [delivery(12, 0, kind="assignment")]
    await _seed(store, rows)
    first = await ledger.claim_due(store, clock, "event", 4, LEASE)
    second = await ledger.claim_due(store, clock, "event", 4, LEASE)
    assert [d.sid for d in first] == [f"CB{n:032x}" for n in (5, 4, 3, 2)]  # oldest due first
    assert [d.sid for d in second] == [f"CB{n:032x}" for n in (1, 0)]  # the rest, not the future
    assert all(d.locked_until == 1_000_000 + LEASE for d in first + second)
    assert await ledger.claim_due(store, clock, "event", 4, LEASE) == []
    clock.advance(ms=LEASE + 1)  # a crashed sender's claims expire
    assert len(await ledger.claim_due(store, clock, "event", 10, LEASE)) == 6


@pytest.fixture
async def postgres(tmp_path: Path) -> AsyncIterator[Store]:
    async with migrated_store("postgres", tmp_path) as store:
        yield store


@pytest.mark.postgres
async def test_concurrent_senders_never_claim_the_same_delivery(postgres: Store) -> None:
    clock = FakeClock(1_000_000)
    await _seed(postgres, [delivery(n, 1_000_000 - n) for n in range(60)])
    claims = await asyncio.gather(
        *(ledger.claim_due(postgres, clock, "event", 25, LEASE) for _ in range(4))
    )
    sids = [d.sid for claim in claims for d in claim]
    assert len(sids) == 60 and len(set(sids)) == 60


@pytest.mark.postgres
async def test_the_claim_walks_the_due_index(postgres: Store) -> None:
    """On a ledger of mostly finished deliveries the claim reads only the due ones."""
    assert isinstance(postgres, SqlStore)
    async with postgres.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO callback_deliveries (sid, account_sid, workspace_sid, kind, event_sid,"
                " event_type, url, payload, status, attempts, next_attempt_at, attempt_log,"
                " date_created, date_updated)"
                " SELECT 'CB' || lpad(to_hex(n), 32, '0'), 'AC', 'WS', 'event', 'EV', 'x',"
                " 'http://x', '{}', CASE WHEN n % 100 = 0 THEN 'pending' ELSE 'delivered' END,"
                " 0, n, '[]', n, n FROM generate_series(1, 50000) AS n"
            )
        )
        await connection.execute(text("ANALYZE callback_deliveries"))
    statement = ledger.delivery_claim("event", 10, 100_000, LEASE, skip_locked=True)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    assert "FOR UPDATE SKIP LOCKED" in str(compiled)
    async with postgres.engine.connect() as connection:
        explained = await connection.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}"))
        plan: Any = explained.scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    assert "ix_callback_deliveries_due" in _indexes(plan), json.dumps(plan, indent=1)[:3000]


def _indexes(node: Any) -> set[str]:
    """Every index a plan (or any sub-plan) scans."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Index Name" in node:
            found.add(str(node["Index Name"]))
        for value in node.values():
            found |= _indexes(value)
    elif isinstance(node, list):
        for item in node:
            found |= _indexes(item)
    return found
