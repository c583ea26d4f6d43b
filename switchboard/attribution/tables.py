"""The attribution tables (SQLAlchemy Core), bound to their records.

Indexes follow the three hot paths: the least-recently-released free point of a pool
(`pool_sid, busy_until`), the lease of an inbound contact's address
(`account_sid, address`), and a visitor's live lease (`pool_sid, visitor`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from switchboard.attribution.domain.records import (
    Contact,
    ContactPoint,
    Lease,
    PacingRule,
    Pool,
    Spend,
)
from switchboard.store.schema import SID, metadata

LABEL = String(256)

attribution_pools = Table(
    "attribution_pools",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False, index=True),
    Column("friendly_name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("fallback", String(256), nullable=False),
    Column("lease_seconds", Integer, nullable=False),
    Column("cooldown_seconds", Integer, nullable=False),
    Column("slot_seconds", Integer),
    Column("repeat_days", Integer, nullable=False),
    Column("public_key", String(64), nullable=False, unique=True),
    Column("conversion_url", Text),
    Column("leases", BigInteger, nullable=False),
    Column("overflows", BigInteger, nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
)

attribution_points = Table(
    "attribution_points",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column(
        "pool_sid", SID, ForeignKey("attribution_pools.sid", ondelete="CASCADE"), nullable=False
    ),
    Column("address", String(256), nullable=False),
    Column("lease_sid", SID),
    Column("busy_until", BigInteger, nullable=False),
    Column("released_at", BigInteger),
    Column("date_created", BigInteger, nullable=False),
    Index("ix_attribution_points_free", "pool_sid", "busy_until"),
    Index("ix_attribution_points_address", "account_sid", "address", unique=True),
)

attribution_leases = Table(
    "attribution_leases",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False, index=True),
    Column(
        "pool_sid", SID, ForeignKey("attribution_pools.sid", ondelete="CASCADE"), nullable=False
    ),
    Column("point_sid", SID),
    Column("address", String(256), nullable=False),
    Column("visitor", LABEL),
    Column("campaign", LABEL),
    Column("publisher", LABEL),
    Column("keyword", LABEL),
    Column("source", LABEL),
    Column("medium", LABEL),
    Column("click_id", LABEL),
    Column("click_id_kind", String(16)),
    Column("attribution", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("slot_start", BigInteger),
    Column("slot_end", BigInteger),
    Column("released_at", BigInteger),
    Column("contacts", Integer, nullable=False),
    Column("outcome", String(32)),
    Column("revenue_micros", BigInteger),
    Column("currency", String(3)),
    Index("ix_attribution_leases_visitor", "pool_sid", "visitor", "status"),
    Index("ix_attribution_leases_created", "pool_sid", "created_at"),
)

attribution_contacts = Table(
    "attribution_contacts",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column(
        "pool_sid", SID, ForeignKey("attribution_pools.sid", ondelete="CASCADE"), nullable=False
    ),
    Column("address", String(256), nullable=False),
    Column("caller", String(256)),
    Column("lease_sid", SID),
    Column("match", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("campaign", LABEL),
    Column("publisher", LABEL),
    Column("keyword", LABEL),
    Column("source", LABEL),
    Column("medium", LABEL),
    Column("first_touch_sid", SID),
    Column("task_sid", SID),
    Column("workspace_sid", SID),
    Column("day", String(10), nullable=False),
    Column("arrived_at", BigInteger, nullable=False),
    Column("answered_at", BigInteger),
    Column("abandoned_at", BigInteger),
    Column("outcome", String(32)),
    Column("revenue_micros", BigInteger),
    Column("currency", String(3)),
    Column("outcome_at", BigInteger),
    Index("ix_attribution_contacts_account_day", "account_sid", "day"),
    Index("ix_attribution_contacts_caller", "account_sid", "caller", "arrived_at"),
    Index("ix_attribution_contacts_task", "task_sid"),
)

attribution_spend = Table(
    "attribution_spend",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("campaign", LABEL, primary_key=True),
    Column("publisher", LABEL, primary_key=True),
    Column("keyword", LABEL, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount_micros", BigInteger, nullable=False),
)

attribution_pacing_rules = Table(
    "attribution_pacing_rules",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False, index=True),
    Column("workspace_sid", SID, nullable=False),
    Column("task_queue_sid", SID, nullable=False),
    Column("friendly_name", String(64), nullable=False),
    Column("handle_seconds", Integer, nullable=False),
    Column("answer_seconds", Integer, nullable=False),
    Column("service_level", Float, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("contacts_per_impression", Float, nullable=False),
    Column("forecast_contacts", Float, nullable=False),
    Column("hysteresis", Float, nullable=False),
    Column("last_show", String(8), nullable=False),
    Column("business_hours", Text, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
)

BINDINGS: dict[type[Any], Table] = {
    Pool: attribution_pools,
    ContactPoint: attribution_points,
    Lease: attribution_leases,
    Contact: attribution_contacts,
    Spend: attribution_spend,
    PacingRule: attribution_pacing_rules,
}
