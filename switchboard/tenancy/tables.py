"""The tenancy tables (SQLAlchemy Core), bound to their records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from switchboard.store.schema import SID, metadata
from switchboard.tenancy.domain.records import (
    Account,
    AccountEvent,
    FraudRule,
    SealingKey,
    UsageCounter,
)

accounts = Table(
    "accounts",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("parent_sid", SID, ForeignKey("accounts.sid"), index=True),
    Column("friendly_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("auth_token_hash", String(64), nullable=False),
    Column("auth_token_sealed", Text),
    Column("secondary_token_hash", String(64)),
    Column("secondary_token_sealed", Text),
    Column("plan", String(32), nullable=False, server_default="standard"),
    Column("preferences", Text, nullable=False, server_default="{}"),
    Column("balance_micros", BigInteger, nullable=False, server_default="0"),
    Column("billing_fingerprint", String(64), index=True),
    Column("fraud_score", Integer, nullable=False, server_default="0"),
    Column("fraud_stage", String(16), nullable=False, server_default="none"),
    Column("callback_url", Text),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
)

usage_counters = Table(
    "usage_counters",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid"), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("hour", BigInteger, primary_key=True, autoincrement=False),
    Column("count", BigInteger, nullable=False),
    Column("price_micros", BigInteger, nullable=False),
    Index("ix_usage_counters_hour", "hour"),
)

fraud_rules = Table(
    "fraud_rules",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("owner_sid", SID, ForeignKey("accounts.sid"), index=True),
    Column("friendly_name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("category", String(64), nullable=False),
    Column("comparison", String(2), nullable=False),
    Column("threshold", BigInteger, nullable=False),
    Column("window", String(8), nullable=False),
    Column("younger_than_days", Integer),
    Column("score", Integer, nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
)

account_events = Table(
    "account_events",
    metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("sid", SID, nullable=False, unique=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("subject_sid", SID, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("event_data", Text, nullable=False),
    Column("event_date", BigInteger, nullable=False),
    Index("ix_account_events_account_seq", "account_sid", "seq"),
)

# one row: the fingerprint of the key that seals the tokens (issue 11)
sealing_keys = Table(
    "sealing_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("source", Text, nullable=False),
    Column("date_created", BigInteger, nullable=False),
)

BINDINGS: dict[type[Any], Table] = {
    Account: accounts,
    UsageCounter: usage_counters,
    FraudRule: fraud_rules,
    AccountEvent: account_events,
    SealingKey: sealing_keys,
}
