"""The `callback_deliveries` table: claiming due deliveries and recording each attempt.

A claim is a lease (`locked_until`), taken with one conditional UPDATE per row, so two
processes never send the same delivery at once, and a crashed sender's claims simply
expire and are picked up again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, or_, select, update

from switchboard.domain.clock import now_ms
from switchboard.services.context import Services
from switchboard.store import tables as t

MAX_LOGGED_ATTEMPTS = 20


@dataclass(frozen=True)
class Attempt:
    """One HTTP try: where, when, and what came back (status) or went wrong (error)."""

    url: str
    at: int
    status: int | None = None
    error: str | None = None
    # retrying cannot help (the URL is refused by policy, the account cannot sign)
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Outcome:
    """How a delivery ends this round: its new status, when to retry, what it answered."""

    status: str  # pending (retry later) | delivered | failed
    next_attempt_at: int | None = None
    instruction: str | None = None
    note: str | None = None


def _claimable(now: int) -> ColumnElement[bool]:
    return or_(t.CallbackDelivery.locked_until.is_(None), t.CallbackDelivery.locked_until < now)


async def claim_due(
    svc: Services, kind: str, limit: int, lease_ms: int
) -> list[t.CallbackDelivery]:
    """Up to `limit` pending deliveries of `kind` that are due, leased to this sender."""
    if limit <= 0:
        return []
    now = now_ms()
    async with svc.store.transaction() as session:
        query = (
            select(t.CallbackDelivery)
            .where(
                t.CallbackDelivery.status == "pending",
                t.CallbackDelivery.kind == kind,
                t.CallbackDelivery.next_attempt_at <= now,
                _claimable(now),
            )
            .order_by(t.CallbackDelivery.next_attempt_at)
            .limit(limit)
        )
        candidates = list((await session.execute(query)).scalars())
        claimed = []
        for row in candidates:
            result = await session.execute(
                update(t.CallbackDelivery)
                .where(t.CallbackDelivery.sid == row.sid, _claimable(now))
                .values(locked_until=now + lease_ms)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append(row)
    return claimed


async def next_due(svc: Services, kind: str) -> int | None:
    """When the earliest unclaimed pending delivery of `kind` falls due (to sleep until then)."""
    async with svc.store.read() as session:
        query = select(t.CallbackDelivery.next_attempt_at).where(
            t.CallbackDelivery.status == "pending",
            t.CallbackDelivery.kind == kind,
            _claimable(now_ms()),
        )
        return await session.scalar(query.order_by(t.CallbackDelivery.next_attempt_at).limit(1))


async def finish(svc: Services, sid: str, attempts: list[Attempt], outcome: Outcome) -> None:
    """Record this round's attempts and the delivery's new state; release the claim."""
    now = now_ms()
    async with svc.store.transaction() as session:
        row = await session.get(t.CallbackDelivery, sid)
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
        row.date_updated = now


async def release(svc: Services, sids: list[str]) -> None:
    """Give claims back (graceful stop): the rows are due again at once."""
    if not sids:
        return
    async with svc.store.transaction() as session:
        await session.execute(
            update(t.CallbackDelivery)
            .where(t.CallbackDelivery.sid.in_(sids))
            .values(locked_until=None)
            .execution_options(synchronize_session=False)
        )
