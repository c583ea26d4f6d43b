"""An inbound contact at a pool's address: find the lease, credit it, release the point.

Two adapters sit on top, both wired by the composition root: the task-attribute
source (a task created for a call to a leased number carries `marketing: {...}`)
and the event subscriber that follows the task (answered, abandoned).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from switchboard.attribution.domain import leases as rules
from switchboard.attribution.domain.records import (
    ATTRIBUTED,
    CONTACT,
    REPEAT,
    Contact,
    ContactPoint,
    Lease,
    Pool,
)
from switchboard.attribution.services.context import Attribution
from switchboard.kernel import sids
from switchboard.kernel.criteria import asc, eq, ge, not_null
from switchboard.kernel.ports import Unit

# where a channel puts the address a contact was made to, and who made it (Twilio's
# voice and messaging webhooks, and the names a chat widget uses)
ADDRESS_KEYS = ("to", "called", "To", "Called", "contact_point")
CALLER_KEYS = ("from", "caller", "From", "Caller", "visitor")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Arrival:
    contact: Contact
    marketing: dict[str, Any]


def _first(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:256]
    return None


async def _locate(unit: Unit, account_sid: str, address: str) -> tuple[Pool, bool] | None:
    """The pool an address belongs to, and whether it is that pool's fallback."""
    point = await unit.first(ContactPoint, eq("account_sid", account_sid), eq("address", address))
    if point is not None:
        pool = await unit.get(Pool, point.pool_sid)
        return (pool, False) if pool is not None else None
    pool = await unit.first(Pool, eq("account_sid", account_sid), eq("fallback", address))
    return (pool, True) if pool is not None else None


async def arrive(
    attribution: Attribution, account_sid: str, address: str, caller: str | None
) -> Arrival | None:
    """Credit a contact to `address` (None: not an address of any pool of the account)."""
    address = rules.normal_address(address)
    async with attribution.store.read() as unit:
        located = await _locate(unit, account_sid, address)
    if located is None:
        return None
    pool, _fallback = located
    async with attribution.store.transaction(lock=pool.sid) as unit:
        return await _arrive(attribution, unit, pool, address, caller)


async def _arrive(
    attribution: Attribution, unit: Unit, pool: Pool, address: str, caller: str | None
) -> Arrival:
    now = attribution.now()
    # (account_sid, address) is the unique index an arrival's lookup rides on
    point = await unit.first(
        ContactPoint, eq("account_sid", pool.account_sid), eq("address", address)
    )
    lease = await unit.get(Lease, point.lease_sid) if point and point.lease_sid else None
    match = rules.classify(pool, point, lease, now)
    if match.kind == ATTRIBUTED and point is not None and lease is not None:
        rules.release(pool, point, lease, now)
    elif match.lease is not None:
        match.lease.contacts += 1
    first = await _first_touch(unit, pool, caller, now)
    match = rules.credited(match, first)
    contact = _contact(pool, address, caller, match, first, now)
    unit.add(contact)
    return Arrival(contact, rules.marketing(contact, match.lease, first))


async def _first_touch(unit: Unit, pool: Pool, caller: str | None, now: int) -> Contact | None:
    """The caller's earliest credited contact within the pool's repeat window."""
    if caller is None:
        return None
    since = now - pool.repeat_days * 86_400_000
    return await unit.first(
        Contact,
        eq("account_sid", pool.account_sid),
        eq("caller", caller),
        ge("arrived_at", since),
        not_null("campaign"),
        order=[asc("arrived_at")],
    )


def _contact(
    pool: Pool,
    address: str,
    caller: str | None,
    match: rules.Match,
    first: Contact | None,
    now: int,
) -> Contact:
    repeat = first if match.kind == REPEAT else None
    source: Lease | Contact | None = match.lease or repeat
    lease_sid = match.lease.sid if match.lease else (repeat.lease_sid if repeat else None)
    return Contact(
        sid=sids.new_sid(CONTACT),
        account_sid=pool.account_sid,
        pool_sid=pool.sid,
        address=address,
        caller=caller,
        lease_sid=lease_sid,
        match=match.kind,
        confidence=match.confidence,
        campaign=source.campaign if source else None,
        publisher=source.publisher if source else None,
        keyword=source.keyword if source else None,
        source=source.source if source else None,
        medium=source.medium if source else None,
        first_touch_sid=first.sid if first is not None else None,
        task_sid=None,
        workspace_sid=None,
        day=datetime.fromtimestamp(now / 1000, UTC).date().isoformat(),
        arrived_at=now,
        answered_at=None,
        abandoned_at=None,
        outcome=None,
        revenue_micros=None,
        currency=None,
        outcome_at=None,
    )


class MarketingEnricher:
    """The task-attribute source: a task for a contact to a pool's address gets the
    lease's attribution as `marketing`; any other task is left as it is."""

    def __init__(self, attribution: Attribution) -> None:
        self.attribution = attribution

    async def attributes_for(
        self, account_sid: str, workspace_sid: str, attributes: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        if "marketing" in attributes:
            return {}  # already attributed (a follow-up task carries its lease's)
        address = _first(attributes, ADDRESS_KEYS)
        if address is None:
            return {}
        found = await arrive(
            self.attribution, account_sid, address, _first(attributes, CALLER_KEYS)
        )
        return {"marketing": found.marketing} if found is not None else {}


class TaskFollower:
    """Follows attributed tasks on the event bus: which task a contact became, whether it
    was answered or abandoned. Subscribed once by the composition root. Task and
    reservation events carry the task's attributes, so events of tasks without
    `marketing.contact_sid` cost one substring test and never touch the store."""

    FIELDS = {"reservation.accepted": "answered_at", "task.canceled": "abandoned_at"}

    def __init__(self, attribution: Attribution) -> None:
        self.attribution = attribution
        self._writing: set[asyncio.Task[None]] = set()

    def __call__(self, event: dict[str, Any]) -> None:
        """Synchronous, so the bus hands on the next event at once (an awaiting subscriber
        lets other transactions' events overtake); the store is written in a task."""
        kind = event.get("event_type")
        if kind != "task.created" and kind not in self.FIELDS:
            return
        contact_sid = _contact_sid(event.get("event_data", {}).get("task_attributes"))
        if contact_sid is None:
            return
        task = asyncio.get_running_loop().create_task(self._note(event, kind, contact_sid))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def settle(self) -> None:
        """Until what was seen so far is written (tests, shutdown)."""
        while self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)

    async def _note(self, event: dict[str, Any], kind: str, contact_sid: str) -> None:
        try:
            await self._write(event, kind, contact_sid)
        except Exception:
            log.exception("noting %s of contact %s failed", kind, contact_sid)

    async def _write(self, event: dict[str, Any], kind: str, contact_sid: str) -> None:
        async with self.attribution.store.transaction() as unit:
            contact = await unit.get(Contact, contact_sid)
            if contact is None or contact.account_sid != event.get("account_sid"):
                return
            if kind == "task.created":
                contact.task_sid = event.get("task_sid") or event.get("resource_sid")
                contact.workspace_sid = event.get("workspace_sid")
            elif contact.answered_at is None and getattr(contact, self.FIELDS[kind]) is None:
                at = event.get("event_date_ms") or self.attribution.now()
                setattr(contact, self.FIELDS[kind], at)


def _contact_sid(text: Any) -> str | None:
    if not isinstance(text, str) or '"contact_sid"' not in text:
        return None
    try:
        attributes = json.loads(text)
        sid = attributes["marketing"]["contact_sid"]
    except (ValueError, TypeError, KeyError):
        return None
    return sid if isinstance(sid, str) and sids.is_sid(sid, CONTACT) else None
