"""The delivery ledger's table (SQLAlchemy Core), bound to its record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from switchboard.outbound.records import CallbackDelivery
from switchboard.store.schema import SID, metadata

callback_deliveries = Table(
    "callback_deliveries",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("workspace_sid", SID, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("event_sid", SID, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("reservation_sid", SID),
    Column("url", Text, nullable=False),
    Column("fallback_url", Text),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("locked_until", BigInteger),
    Column("response_status", Integer),
    Column("error", Text),
    Column("attempt_log", Text, nullable=False),
    Column("instruction", Text),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
    # the sender claims due deliveries in this order
    Index("ix_callback_deliveries_due", "status", "next_attempt_at"),
    Index("ix_callback_deliveries_listing", "workspace_sid", "date_created"),
)

BINDINGS: dict[type[Any], Table] = {CallbackDelivery: callback_deliveries}
