"""The delivery ledger: claiming due deliveries and recording each attempt.

A claim lasts until `locked_until`, so two senders never send the same delivery
at once, and a crashed sender's claims simply expire and are picked up again. On
the SQL stores the claim is one statement (:data:`DELIVERY_CLAIM`); the memory
store claims inside its single-writer transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.sql.dml import ReturningUpdate

from switchboard.kernel.callbacks import Attempt
from switchboard.kernel.criteria import any_of, asc, eq, is_null, isin, le, lt
from switchboard.kernel.ports import Clock, Store
from switchboard.outbound.records import CallbackDelivery
from switchboard.outbound.tables import callback_deliveries as deliveries
from switchboard.store.sql import SqlStore

MAX_LOGGED_ATTEMPTS = 20


@dataclass(frozen=True)
class Outcome:
    """How a delivery ends this round: its new status, when to retry, what it answered."""

    status: str  # pending (retry later) | delivered | failed
    next_attempt_at: int | None = None
    instruction: str | None = None
    note: str | None = None


def delivery_claim(
    kind: str, limit: int, now: int, claim_ms: int, *, skip_locked: bool
) -> ReturningUpdate[Any]:
    """DELIVERY_CLAIM: claim up to `limit` due, unclaimed deliveries of `kind`, in one statement.

        UPDATE callback_deliveries SET locked_until = :now + :claim
        WHERE sid IN (SELECT sid FROM callback_deliveries
                      WHERE status = 'pending' AND kind = :kind AND next_attempt_at <= :now
                        AND (locked_until IS NULL OR locked_until < :now)
                      ORDER BY next_attempt_at LIMIT :limit
                      FOR UPDATE SKIP LOCKED)      -- PostgreSQL: concurrent senders
        RETURNING *                                --   never wait on each other's rows

    The inner query walks `ix_callback_deliveries_due` (status, next_attempt_at).
    """
    claimable = or_(deliveries.c.locked_until.is_(None), deliveries.c.locked_until < now)
    due = (
        select(deliveries.c.sid)
        .where(
            and_(
                deliveries.c.status == "pending",
                deliveries.c.kind == kind,
                deliveries.c.next_attempt_at <= now,
                claimable,
            )
        )
        .order_by(deliveries.c.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        update(deliveries)
        .where(deliveries.c.sid.in_(due.scalar_subquery()))
        .values(locked_until=now + claim_ms)
        .returning(*deliveries.c)
    )


def _claimable(now: int) -> Any:
    return any_of(is_null("locked_until"), lt("locked_until", now))


async def claim_due(
    store: Store, clock: Clock, kind: str, limit: int, claim_ms: int
) -> list[CallbackDelivery]:
    """Up to `limit` pending deliveries of `kind` that are due, claimed by this sender."""
    if limit <= 0:
        return []
    now = clock.now_ms()
    if isinstance(store, SqlStore):
        statement = delivery_claim(
            kind, limit, now, claim_ms, skip_locked=store.kind == "postgresql"
        )
        # through the store's transaction: on SQLite it serialises with every other writer
        async with store.transaction() as unit:
            rows = (await unit.connection.execute(statement)).all()
        claimed = [CallbackDelivery(**row._mapping) for row in rows]
        return sorted(claimed, key=lambda d: (d.next_attempt_at, d.sid))
    async with store.transaction() as unit:
        found = await unit.select(
            CallbackDelivery,
            eq("status", "pending"),
            eq("kind", kind),
            le("next_attempt_at", now),
            _claimable(now),
            order=[asc("next_attempt_at")],
            limit=limit,
        )
        for row in found:
            row.locked_until = now + claim_ms
    return found


async def next_due(store: Store, clock: Clock, kind: str) -> int | None:
    """When the earliest unclaimed pending delivery of `kind` falls due (to sleep until then)."""
    async with store.read() as unit:
        first = await unit.first(
            CallbackDelivery,
            eq("status", "pending"),
            eq("kind", kind),
            _claimable(clock.now_ms()),
            order=[asc("next_attempt_at")],
        )
    return None if first is None else first.next_attempt_at


async def finish(
    store: Store, clock: Clock, sid: str, attempts: list[Attempt], outcome: Outcome
) -> None:
    """Record this round's attempts and the delivery's new state; release the claim."""
    async with store.transaction() as unit:
        row = await unit.get(CallbackDelivery, sid)
        if row is None:
            return
        log = json.loads(row.attempt_log or "[]") + [asdict(a) for a in attempts]
        row.attempt_log = json.dumps(log[-MAX_LOGGED_ATTEMPTS:], separators=(",", ":"))
        row.attempts += len(attempts)
        if attempts:
            row.response_status = attempts[-1].status
            row.error = attempts[-1].error
        if outcome.note is not None:
            last = attempts[-1].error if attempts else None
            row.error = outcome.note + (f" (last attempt: {last})" if last else "")
        row.status = outcome.status
        row.next_attempt_at = outcome.next_attempt_at or row.next_attempt_at
        row.instruction = outcome.instruction or row.instruction
        row.locked_until = None
        row.date_updated = clock.now_ms()


async def release(store: Store, sids: list[str]) -> None:
    """Give claims back (graceful stop): the rows are due again at once."""
    if not sids:
        return
    async with store.transaction() as unit:
        await unit.update_where(CallbackDelivery, {"locked_until": None}, isin("sid", sids))
