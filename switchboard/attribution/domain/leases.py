"""Leasing contact points and crediting inbound contacts: the rules, without any I/O.

A point is free once its `busy_until` has passed: a lease holds it until the lease
expires (a heartbeat pushes that out), then a cooldown keeps it away from the next
visitor, so a late caller is not credited to a stranger. The services load the
records, these functions decide, the services write what they return.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from switchboard.attribution.domain.records import (
    ARRIVED,
    ATTRIBUTED,
    COOLDOWN,
    EXPIRED,
    LIVE,
    OUTSIDE_SLOT,
    OVERFLOW,
    REPEAT,
    UNATTRIBUTED,
    Contact,
    ContactPoint,
    Lease,
    Pool,
)

# click identifiers of the ad platforms, in the order one is picked when several come
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "li_fat_id")
# confidence of a credit: a live lease is certain; the rest are weaker signals
CONFIDENCE = {ATTRIBUTED: 1.0, REPEAT: 0.75, COOLDOWN: 0.5, OVERFLOW: 0.0}
FIELD_LENGTH = 256
MAX_FIELDS = 64
_PHONE = re.compile(r"\+?[\d\s().-]+")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


def normal_address(address: str) -> str:
    """A phone number as carriers send it (`+1 (555) 100-0001` -> `+15551000001`); any
    other address (an extension, a chat link) as given, trimmed."""
    trimmed = address.strip()
    if _PHONE.fullmatch(trimmed):
        return _PHONE_PUNCTUATION.sub("", trimmed)
    return trimmed


@dataclass(frozen=True)
class Attribution:
    """What an ad server or page says about the visitor; `pairs` is kept verbatim."""

    pairs: Mapping[str, str]
    visitor: str | None
    campaign: str | None
    publisher: str | None
    keyword: str | None
    source: str | None
    medium: str | None
    click_id: str | None
    click_id_kind: str | None


def attribution(pairs: Mapping[str, str]) -> Attribution:
    """Read the well-known keys (`utm_*` filling in for missing plain ones)."""
    if len(pairs) > MAX_FIELDS:
        raise ValueError(f"at most {MAX_FIELDS} attribution fields")
    for key, value in pairs.items():
        if not key or len(key) > 64 or len(value) > FIELD_LENGTH:
            raise ValueError(f"attribution field {key[:64]!r} is too long (keys 64, values 256)")
    low = {key.lower(): value.strip() for key, value in pairs.items() if value.strip()}
    kind = next((name for name in CLICK_IDS if name in low), None)
    return Attribution(
        pairs=dict(pairs),
        visitor=low.get("visitor") or low.get("customer") or low.get("session"),
        campaign=low.get("campaign") or low.get("utm_campaign"),
        publisher=low.get("publisher") or low.get("utm_source"),
        keyword=low.get("keyword") or low.get("utm_term"),
        source=low.get("utm_source") or low.get("source"),
        medium=low.get("utm_medium") or low.get("medium"),
        click_id=low.get(kind) if kind else None,
        click_id_kind=kind,
    )


def is_live(lease: Lease, now: int) -> bool:
    """Whether the lease still holds its point."""
    return lease.status == LIVE and lease.expires_at > now


def status(lease: Lease, now: int) -> str:
    """The status a reader sees (a live lease past its expiry has expired)."""
    if lease.status == LIVE and lease.expires_at <= now:
        return EXPIRED
    return lease.status


def expiry(pool: Pool, now: int) -> tuple[int, int | None, int | None]:
    """When a lease taken now ends, and its calling window in time-slot mode."""
    if pool.slot_seconds is not None:
        end = now + pool.slot_seconds * 1000
        return end, now, end
    return now + pool.lease_seconds * 1000, None, None


def occupy(pool: Pool, point: ContactPoint, lease: Lease) -> None:
    """The point is held by `lease` until it expires, then cools down."""
    point.lease_sid = lease.sid
    point.busy_until = lease.expires_at + pool.cooldown_seconds * 1000


def heartbeat(pool: Pool, lease: Lease, point: ContactPoint | None, now: int) -> bool:
    """Extend a live lease by the pool's lease time; False when it can no longer be
    extended (expired, already called, overflow, or a time slot, which is fixed)."""
    if not is_live(lease, now) or point is None or pool.slot_seconds is not None:
        return False
    lease.expires_at = max(lease.expires_at, now + pool.lease_seconds * 1000)
    occupy(pool, point, lease)
    return True


def release(pool: Pool, point: ContactPoint, lease: Lease, now: int) -> None:
    """A contact arrived: the lease has done its work, the point starts cooling down."""
    lease.status = ARRIVED
    lease.released_at = now
    lease.contacts += 1
    point.released_at = now
    point.busy_until = now + pool.cooldown_seconds * 1000


@dataclass(frozen=True)
class Match:
    """How an inbound contact is credited."""

    kind: str
    lease: Lease | None

    @property
    def confidence(self) -> float:
        return CONFIDENCE.get(self.kind, 0.0)


def classify(pool: Pool, point: ContactPoint | None, lease: Lease | None, now: int) -> Match:
    """Credit a contact at `point` (None: the pool's fallback) to the point's lease.

    * the fallback: overflow, no lease to credit;
    * a live lease: attributed (in time-slot mode only inside its window);
    * a lease that ended less than a cooldown ago: credited with lower confidence;
    * anything else: unattributed."""
    if point is None:
        return Match(OVERFLOW, None)
    if lease is None:
        return Match(UNATTRIBUTED, None)
    if pool.slot_seconds is not None:
        inside = (lease.slot_start or 0) <= now < (lease.slot_end or 0)
        return Match(ATTRIBUTED, lease) if inside and lease.status == LIVE else _outside(lease)
    if is_live(lease, now):
        return Match(ATTRIBUTED, lease)
    if now < point.busy_until:
        return Match(COOLDOWN, lease)
    return Match(UNATTRIBUTED, None)


def _outside(lease: Lease) -> Match:
    return Match(OUTSIDE_SLOT, None) if lease.status == LIVE else Match(UNATTRIBUTED, None)


def credited(match: Match, first_touch: Contact | None) -> Match:
    """A repeat caller with nothing better is credited to their first touch."""
    if match.lease is None and match.kind != OVERFLOW and first_touch is not None:
        return Match(REPEAT, None)
    return match


def marketing(contact: Contact, lease: Lease | None, first_touch: Contact | None) -> dict[str, Any]:
    """The key-value pairs attached to the routed task as `marketing`."""
    pairs: dict[str, Any] = {
        "contact_sid": contact.sid,
        "pool_sid": contact.pool_sid,
        "match": contact.match,
        "confidence": contact.confidence,
    }
    if lease is not None:
        pairs["lease_sid"] = lease.sid
        pairs.update(_labels(lease.campaign, lease.publisher, lease.keyword))
        pairs.update(lease_pairs(lease))
    if first_touch is not None:
        pairs["first_touch"] = {
            "contact_sid": first_touch.sid,
            "lease_sid": first_touch.lease_sid,
            "arrived_at_ms": first_touch.arrived_at,
            **_labels(first_touch.campaign, first_touch.publisher, first_touch.keyword),
        }
    return pairs


def _labels(campaign: str | None, publisher: str | None, keyword: str | None) -> dict[str, str]:
    named = {"campaign": campaign, "publisher": publisher, "keyword": keyword}
    return {key: value for key, value in named.items() if value is not None}


def lease_pairs(lease: Lease) -> dict[str, Any]:
    """The lease's verbatim attribution (parsed from its JSON text)."""
    value = json.loads(lease.attribution)
    return {"attribution": value} if value else {}
