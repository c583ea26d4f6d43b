"""The hot paths ride their indexes on PostgreSQL: every SELECT a lease and an inbound
lookup issue, captured as the store sends it and EXPLAINed on 50,000 leased points,
scans no attribution table sequentially."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from switchboard.attribution.domain.records import Pool
from switchboard.attribution.services import arrivals, leasing
from switchboard.attribution.services.context import Attribution
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.ports import Store
from switchboard.store.sql import SqlStore
from tests.databases import migrated_store

AC, KP = "AC" + "a" * 32, "KP" + "a" * 32
NOW = 1_800_000_000_000
POINTS = 50_000
# the tables that grow with traffic (a pool table of a few rows may well be scanned)
LARGE = {"attribution_points", "attribution_leases"}


@pytest.fixture
async def postgres(tmp_path: Path) -> AsyncIterator[Store]:
    async with migrated_store("postgres", tmp_path) as store:
        yield store


SEED = [
    "INSERT INTO accounts (sid, friendly_name, status, auth_token_hash, plan, preferences,"
    " balance_micros, fraud_score, fraud_stage, date_created, date_updated)"
    " VALUES (:ac, 'a', 'active', 'h', 'standard', '{}', 0, 0, 'none', 1, 1)",
    "INSERT INTO attribution_pools (sid, account_sid, friendly_name, kind, fallback,"
    " lease_seconds, cooldown_seconds, repeat_days, public_key, leases, overflows,"
    " date_created, date_updated)"
    " VALUES (:kp, :ac, 'p', 'phone', '+19990000000', 1800, 300, 30, 'k', 0, 0, 1, 1)",
    "INSERT INTO attribution_leases (sid, account_sid, pool_sid, point_sid, address, visitor,"
    " attribution, status, created_at, expires_at, contacts)"
    " SELECT 'KL' || lpad(to_hex(n), 32, '0'), :ac, :kp, 'KN' || lpad(to_hex(n), 32, '0'),"
    " '+1' || lpad(n::text, 10, '0'), 'v' || n, '{}', 'live', CAST(:created AS BIGINT),"
    " CAST(:expires AS BIGINT), 0"
    " FROM generate_series(1, :points) AS n",
    "INSERT INTO attribution_points (sid, account_sid, pool_sid, address, lease_sid,"
    " busy_until, date_created)"
    " SELECT 'KN' || lpad(to_hex(n), 32, '0'), :ac, :kp, '+1' || lpad(n::text, 10, '0'),"
    " 'KL' || lpad(to_hex(n), 32, '0'),"
    " CASE WHEN n = :points THEN 0 ELSE CAST(:busy AS BIGINT) END, 1"
    " FROM generate_series(1, :points) AS n",
    "ANALYZE",
]


async def _seed(store: SqlStore) -> None:
    """A pool whose every point but the last is held by a live lease."""
    values = {"ac": AC, "kp": KP, "points": POINTS, "created": NOW - 1000,
              "expires": NOW + 1_800_000, "busy": NOW + 2_100_000}  # fmt: skip
    async with store.engine.begin() as connection:
        for statement in SEED:
            names = {k: v for k, v in values.items() if f":{k}" in statement}
            await connection.execute(text(statement), names)


@contextmanager
def captured(store: SqlStore) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "attribution_" in statement:
            seen.append((statement, params))

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", record)


def _scans(node: Any) -> list[tuple[str, str]]:
    """(node type, relation) of every scan in a plan."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if "Relation Name" in node:
            found.append((str(node["Node Type"]), str(node["Relation Name"])))
        for value in node.values():
            found += _scans(value)
    elif isinstance(node, list):
        for item in node:
            found += _scans(item)
    return found


@pytest.mark.postgres
async def test_leasing_and_lookup_never_scan_a_whole_attribution_table(postgres: Store) -> None:
    assert isinstance(postgres, SqlStore)
    await _seed(postgres)
    attribution = Attribution(postgres, FakeClock(NOW))
    async with postgres.read() as unit:
        pool = await unit.get(Pool, KP)
    assert pool is not None
    with captured(postgres) as statements:
        made, _new = await leasing.lease(attribution, pool, {"visitor": "fresh"})
        assert made.address == f"+1{POINTS:010d}"
        found = await arrivals.arrive(attribution, AC, "+10000000042", "+4915100000000")
        assert found is not None and found.contact.match == "attributed"
    assert len(statements) >= 5
    async with postgres.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        for statement, params in statements:
            plan = await driver.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *params)
            plan = json.loads(plan) if isinstance(plan, str) else plan
            sequential = [
                scan for scan in _scans(plan) if scan[0] == "Seq Scan" and scan[1] in LARGE
            ]
            assert not sequential, f"{statement}\n{json.dumps(plan, indent=1)[:2000]}"
