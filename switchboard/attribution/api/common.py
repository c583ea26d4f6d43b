"""What the attribution routes share: the prefix, the services bundle, record renderings."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import HTTPConnection

from switchboard.attribution.domain import leases as rules
from switchboard.attribution.domain.records import Contact, ContactPoint, Lease, Pool
from switchboard.attribution.domain.reports import money
from switchboard.attribution.services.context import Attribution
from switchboard.kernel.clock import iso
from switchboard.kernel.errors import InvalidParameter
from switchboard.wire.deps import deps
from switchboard.wire.params import Params

PREFIX = "/attribution/v1"
PUBLIC = "/attribution/public"
JSON = dict[str, Any]


def services(connection: HTTPConnection) -> Attribution:
    return deps(connection).get(Attribution)


def base(connection: HTTPConnection) -> str:
    return str(connection.base_url).rstrip("/") + PREFIX


def pool_json(connection: HTTPConnection, pool: Pool) -> JSON:
    return {
        "sid": pool.sid,
        "account_sid": pool.account_sid,
        "friendly_name": pool.friendly_name,
        "kind": pool.kind,
        "fallback": pool.fallback,
        "lease_seconds": pool.lease_seconds,
        "cooldown_seconds": pool.cooldown_seconds,
        "slot_seconds": pool.slot_seconds,
        "repeat_days": pool.repeat_days,
        "public_key": pool.public_key,
        "conversion_url": pool.conversion_url,
        "leases": pool.leases,
        "overflows": pool.overflows,
        "date_created": iso(pool.date_created),
        "date_updated": iso(pool.date_updated),
        "url": f"{base(connection)}/Pools/{pool.sid}",
    }


def point_json(point: ContactPoint, now: int) -> JSON:
    return {
        "sid": point.sid,
        "pool_sid": point.pool_sid,
        "address": point.address,
        "free": point.busy_until <= now,
        "lease_sid": point.lease_sid,
        "busy_until": iso(point.busy_until) if point.busy_until else None,
    }


def lease_json(connection: HTTPConnection, lease: Lease, now: int) -> JSON:
    return {
        "sid": lease.sid,
        "account_sid": lease.account_sid,
        "pool_sid": lease.pool_sid,
        "contact_point": lease.address,
        "overflow": lease.point_sid is None,
        "status": rules.status(lease, now),
        "visitor": lease.visitor,
        "campaign": lease.campaign,
        "publisher": lease.publisher,
        "keyword": lease.keyword,
        "click_id": lease.click_id,
        "click_id_kind": lease.click_id_kind,
        "attribution": json.loads(lease.attribution),
        "date_created": iso(lease.created_at),
        "expires_at": iso(lease.expires_at),
        "slot_start": iso(lease.slot_start) if lease.slot_start is not None else None,
        "slot_end": iso(lease.slot_end) if lease.slot_end is not None else None,
        "contacts": lease.contacts,
        "outcome": lease.outcome,
        "revenue": money(lease.revenue_micros),
        "currency": lease.currency,
        "url": f"{base(connection)}/Leases/{lease.sid}",
    }


def contact_json(connection: HTTPConnection, contact: Contact) -> JSON:
    def when(ms: int | None) -> str | None:
        return iso(ms) if ms is not None else None

    return {
        "sid": contact.sid,
        "account_sid": contact.account_sid,
        "pool_sid": contact.pool_sid,
        "contact_point": contact.address,
        "caller": contact.caller,
        "lease_sid": contact.lease_sid,
        "match": contact.match,
        "confidence": contact.confidence,
        "campaign": contact.campaign,
        "publisher": contact.publisher,
        "keyword": contact.keyword,
        "source": contact.source,
        "medium": contact.medium,
        "first_touch_sid": contact.first_touch_sid,
        "task_sid": contact.task_sid,
        "workspace_sid": contact.workspace_sid,
        "date_created": iso(contact.arrived_at),
        "answered_at": when(contact.answered_at),
        "abandoned_at": when(contact.abandoned_at),
        "outcome": contact.outcome,
        "revenue": money(contact.revenue_micros),
        "currency": contact.currency,
        "outcome_at": when(contact.outcome_at),
        "url": f"{base(connection)}/Contacts/{contact.sid}",
    }


def number(params: Params, name: str, low: float, high: float) -> float | None:
    """A finite decimal number within [low, high], or None when absent."""
    value = params.raw(name)
    if value is None:
        return None
    try:
        parsed = float(value)
    except ValueError:
        raise InvalidParameter(f"Invalid {name}: {value!r} is not a number") from None
    if not low <= parsed <= high:  # NaN fails this too
        raise InvalidParameter(f"Invalid {name}: must be from {low} to {high}")
    return parsed


def required_number(params: Params, name: str, low: float, high: float) -> float:
    value = number(params, name, low, high)
    if value is None:
        raise InvalidParameter(f"Missing required parameter {name}")
    return value
