"""The attribution pillar's records: plain dataclasses the store port reads and writes.

Times are epoch milliseconds UTC; money is integer micros of its currency (as the
tenancy pillar keeps balances), so sums are exact and no float ever holds a price.
"""

from __future__ import annotations

from dataclasses import dataclass

# sid prefixes (two letters and 32 hex digits, as every Switchboard sid)
POOL = "KP"
CONTACT_POINT = "KN"
LEASE = "KL"
CONTACT = "KC"
PACING_RULE = "KR"

KINDS = ("phone", "extension", "chat")

# how an inbound contact was matched to a lease
ATTRIBUTED = "attributed"
COOLDOWN = "cooldown"
OVERFLOW = "overflow"
UNATTRIBUTED = "unattributed"
OUTSIDE_SLOT = "outside_slot"
REPEAT = "repeat"

# lease statuses as stored (a live lease past `expires_at` reads as expired)
LIVE = "live"
ARRIVED = "arrived"
EXPIRED = "expired"


@dataclass
class Pool:
    """An organization's contact points, and how long and how often they are lent out."""

    sid: str
    account_sid: str
    friendly_name: str
    kind: str
    fallback: str
    lease_seconds: int
    cooldown_seconds: int
    # time-slot mode: a lease is valid for this calling window and is never extended
    slot_seconds: int | None
    repeat_days: int
    # what the page snippet sends instead of the account's credentials
    public_key: str
    # where each sale with a click id is POSTed as an offline conversion (None: export only)
    conversion_url: str | None
    leases: int
    overflows: int
    date_created: int
    date_updated: int


@dataclass
class ContactPoint:
    """A number, number-plus-extension or chat link that a lease lends out."""

    sid: str
    account_sid: str
    pool_sid: str
    address: str
    # the current lease, or the last one (the point is free once `busy_until` has passed)
    lease_sid: str | None
    busy_until: int
    released_at: int | None
    date_created: int


@dataclass
class Lease:
    """One visitor's hold on a contact point, with the attribution they arrived with."""

    sid: str
    account_sid: str
    pool_sid: str
    point_sid: str | None  # None: the pool was exhausted and the fallback was given
    address: str
    visitor: str | None
    campaign: str | None
    publisher: str | None
    keyword: str | None
    source: str | None
    medium: str | None
    click_id: str | None
    click_id_kind: str | None
    attribution: str  # the request's key-value pairs, verbatim (JSON object)
    status: str
    created_at: int
    expires_at: int
    slot_start: int | None
    slot_end: int | None
    released_at: int | None
    contacts: int
    outcome: str | None
    revenue_micros: int | None
    currency: str | None


@dataclass
class Contact:
    """An inbound call or chat at a pool's address, credited to a lease (or to none)."""

    sid: str
    account_sid: str
    pool_sid: str
    address: str
    caller: str | None
    lease_sid: str | None
    match: str
    confidence: float
    campaign: str | None
    publisher: str | None
    keyword: str | None
    source: str | None
    medium: str | None
    first_touch_sid: str | None
    task_sid: str | None
    workspace_sid: str | None
    day: str
    arrived_at: int
    answered_at: int | None
    abandoned_at: int | None
    outcome: str | None
    revenue_micros: int | None
    currency: str | None
    outcome_at: int | None


@dataclass
class Spend:
    """What a campaign, publisher and keyword cost on one day (imported)."""

    account_sid: str
    day: str
    campaign: str
    publisher: str
    keyword: str
    currency: str
    amount_micros: int


@dataclass
class PacingRule:
    """When ads for one skill (a task queue) should invite a call, and how much."""

    sid: str
    account_sid: str
    workspace_sid: str
    task_queue_sid: str
    friendly_name: str
    handle_seconds: int
    answer_seconds: int
    service_level: float
    interval_seconds: int
    contacts_per_impression: float
    forecast_contacts: float
    hysteresis: float
    last_show: str
    # {"mon": "09:00-17:00", ...} in `time_zone`; "{}" means always open
    business_hours: str
    time_zone: str
    date_created: int
    date_updated: int
