"""The channels tables (SQLAlchemy Core), bound to the domain's records.

`channel_addresses` is unique on (channel, address): one number or mailbox names one
organization. `channel_inbound` is unique on (channel, external_id): the same carrier
message twice is processed once. `channel_outbound` is found by the provider's id when
its status callback arrives.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from switchboard.channels.domain import records as r
from switchboard.store.schema import SID, metadata

channel_addresses = Table(
    "channel_addresses",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False, index=True),
    Column("channel", String(8), nullable=False),
    Column("address", String(320), nullable=False),
    Column("friendly_name", String(256)),
    Column("attributes", Text, nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
    Column("organization", String(256)),
    UniqueConstraint("channel", "address"),
)

channel_inbound = Table(
    "channel_inbound",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("external_id", String(998), nullable=False),
    Column("address_sid", SID, nullable=False),
    Column("conversation_sid", SID),
    Column("message_sid", SID),
    Column("status", String(16), nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("subject", String(998)),
    Column("task_sid", SID),
    UniqueConstraint("channel", "external_id"),
    Index("ix_channel_inbound_conversation", "conversation_sid"),
)

channel_outbound = Table(
    "channel_outbound",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("provider_sid", String(998)),
    Column("address_sid", SID, nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("conversation_sid", SID, nullable=False),
    Column("message_sid", SID, nullable=False),
    Column("receipt_sid", SID, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error_code", Integer),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
    Index("ix_channel_outbound_provider", "channel", "provider_sid"),
)

channel_events = Table(
    "channel_events",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID),
    Column("channel", String(8), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("address", String(320), nullable=False),
    Column("detail", Text, nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Index("ix_channel_events_account", "account_sid", "date_created"),
)

channel_visitors = Table(
    "channel_visitors",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("address_sid", SID, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("conversation_sid", SID),
    Column("date_created", BigInteger, nullable=False),
)

channel_credentials = Table(
    "channel_credentials",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("organization", String(256), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("provider_account", String(64), nullable=False),
    Column("sealed_token", Text, nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
    UniqueConstraint("account_sid", "organization", "provider"),
)

BINDINGS: dict[type[Any], Table] = {
    r.ChannelAddress: channel_addresses,
    r.InboundContact: channel_inbound,
    r.OutboundContact: channel_outbound,
    r.ChannelEvent: channel_events,
    r.Visitor: channel_visitors,
    r.CarrierCredential: channel_credentials,
}
