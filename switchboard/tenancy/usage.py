"""Usage and billing: every authenticated call is counted, priced and charged.

Counting happens on the request path, so it must cost next to nothing: a call
only bumps an in-memory counter keyed by (account, category, UTC hour). A
background task flushes the counters to the store at most once per
`flush_seconds` (and once more at shutdown), pricing each account's calls with
the price in its preferences and taking the total off its balance in the same
transaction.

The trade-off, stated plainly: a crash (kill -9) loses at most the last
`flush_seconds` of counts, and readers on another process see usage and balance
up to that much late. A graceful shutdown loses nothing. Upserts add to the
stored counters, so any number of processes can flush into one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from switchboard.kernel.clock import SYSTEM
from switchboard.kernel.criteria import Criterion, Inc, eq, ge, isin, lt, total
from switchboard.kernel.ports import Clock, Store, Unit
from switchboard.tenancy.domain.records import Account, UsageCounter

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
MICROS = Decimal(1_000_000)
Key = tuple[str, str, int]  # (account sid, category, start of the hour)


def price_micros(value: str) -> int:
    """`"0.0001"` -> 100 micros; ValueError for anything but a non-negative decimal."""
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal price") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} is not a non-negative price")
    return int(amount * MICROS)


def format_money(micros: int) -> str:
    """Micros as a decimal string with at least two decimals: -1200 -> "-0.0012"."""
    text = f"{Decimal(micros) / MICROS:f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def account_price(preferences: str, default_micros: int) -> int:
    """The per-call price an account's preferences set, else the server's default."""
    try:
        document: Any = json.loads(preferences or "{}")
        return price_micros(str(document["price_per_call"]))
    except (ValueError, KeyError, TypeError):
        return default_micros


@dataclass(frozen=True)
class UsageSettings:
    default_price_micros: int = 100
    flush_seconds: float = 1.0
    currency: str = "USD"


class UsageMeter:
    """In-memory call counters, flushed to the store in the background."""

    def __init__(self, store: Store, settings: UsageSettings, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._pending: Counter[Key] = Counter()
        self._task: asyncio.Task[None] | None = None

    def count(self, account_sid: str, category: str) -> None:
        """Record one call (no I/O: safe on the hot path)."""
        now = self.clock.now_ms()
        self._pending[(account_sid, category, now - now % HOUR_MS)] += 1

    async def flush(self) -> None:
        """Write what was counted so far; on failure the counts are kept for the next try."""
        batch, self._pending = self._pending, Counter()
        if not batch:
            return
        try:
            await write_usage(self.store, batch, self.settings.default_price_micros)
        except (SQLAlchemyError, OSError):
            log.exception("usage flush failed; %d counters kept for the next attempt", len(batch))
            self._pending.update(batch)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="usage-flush")

    async def stop(self) -> None:
        """Stop the loop, then flush once more so a graceful shutdown loses nothing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await self.clock.sleep(self.settings.flush_seconds)
            await self.flush()


async def write_usage(store: Store, batch: Mapping[Key, int], default_micros: int) -> None:
    """Add a batch of counts to the store and charge each account for its calls."""
    async with store.transaction() as unit:
        prices = await _prices(unit, {sid for sid, _, _ in batch}, default_micros)
        rows: list[dict[str, Any]] = []
        charges: Counter[str] = Counter()
        for (sid, category, hour), count in batch.items():
            if sid not in prices:
                continue  # the account is gone
            cost = count * prices[sid]
            rows.append(_row(sid, category, hour, count, cost))
            charges[sid] += cost
        if not rows:
            return
        await unit.accumulate(UsageCounter, rows, add=("count", "price_micros"))
        await _charge(unit, charges)


def _row(sid: str, category: str, hour: int, count: int, cost: int) -> dict[str, Any]:
    return {
        "account_sid": sid,
        "category": category,
        "hour": hour,
        "count": count,
        "price_micros": cost,
    }


async def _prices(unit: Unit, sids: Iterable[str], default: int) -> dict[str, int]:
    accounts = await unit.select(Account, isin("sid", sorted(sids)))
    return {a.sid: account_price(a.preferences, default) for a in accounts}


async def _charge(unit: Unit, charges: Mapping[str, int]) -> None:
    for sid, amount in charges.items():
        if amount:
            await unit.update_where(Account, {"balance_micros": Inc(-amount)}, eq("sid", sid))


@dataclass(frozen=True)
class UsageTotal:
    category: str
    count: int
    price_micros: int


async def usage_totals(
    store: Store, account_sid: str, start_ms: int, end_ms: int, category: str | None = None
) -> list[UsageTotal]:
    """Calls and cost per category for hours starting in [start_ms, end_ms)."""
    where: list[Criterion] = [
        eq("account_sid", account_sid),
        ge("hour", start_ms),
        lt("hour", end_ms),
    ]
    if category is not None:
        where.append(eq("category", category))
    async with store.read() as unit:
        rows = await unit.aggregate(
            UsageCounter, ("category",), *where, n=total("count"), price=total("price_micros")
        )
    return [UsageTotal(row["category"], int(row["n"]), int(row["price"])) for row in rows]


async def balance_micros(store: Store, account_sid: str) -> int:
    async with store.read() as unit:
        account = await unit.get(Account, account_sid)
    return account.balance_micros if account is not None else 0
