"""The conversations tables (SQLAlchemy Core), bound to the domain's records.

Indexes follow the reads: a user's interactions through their participations
(`ix_conv_participants_identity`), an interaction's messages by index, the listing of
an account's interactions by creation. A user's listing therefore costs the same with
100 or 100,000 interactions in the account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain import routing as rt
from switchboard.store.schema import SID, metadata


def _account(index: bool = True) -> Column[str]:
    return Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False, index=index)


def _interaction() -> Column[str]:
    return Column(
        "interaction_sid",
        SID,
        ForeignKey("conv_interactions.sid", ondelete="CASCADE"),
        nullable=False,
    )


def _dates() -> list[Column[int]]:
    return [
        Column("date_created", BigInteger, nullable=False),
        Column("date_updated", BigInteger, nullable=False),
    ]


outer_conversations = Table(
    "conv_conversations",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(),
    Column("organization", String(256), nullable=False),
    Column("outside_party", String(256), nullable=False),
    Column("friendly_name", String(256)),
    Column("state", String(16), nullable=False),
    Column("tags", Text, nullable=False),
    Column("aliases", Text, nullable=False),
    Column("encryption", String(16)),
    Column("merged_into_sid", SID),
    *_dates(),
    Column("date_ended", BigInteger),
)

sequences = Table(
    "conv_sequences",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column(
        "conversation_sid",
        SID,
        ForeignKey("conv_conversations.sid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("case_number", BigInteger, nullable=False),
    Column("subject", String(256), nullable=False),
    Column("category", String(64)),
    Column("tags", Text, nullable=False),
    Column("state", String(32), nullable=False),
    Column("primary_participant", String(256)),
    Column("owner", String(256)),
    Column("merged_into_sid", SID),
    Column("date_opened", BigInteger, nullable=False),
    Column("date_closed", BigInteger),
    *_dates(),
    UniqueConstraint("account_sid", "case_number"),
)

interactions = Table(
    "conv_interactions",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column("chat_service_sid", SID, nullable=False),
    Column("messaging_service_sid", SID, nullable=False),
    Column("friendly_name", String(256)),
    Column("unique_name", String(256)),
    Column("attributes", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("inactive_after_ms", BigInteger),
    Column("closed_after_ms", BigInteger),
    Column("last_activity", BigInteger, nullable=False),
    Column("parent_sid", SID, index=True),
    Column("history", String(16), nullable=False),
    Column("sequence_sid", SID, index=True),
    Column("conversation_sid", SID, index=True),
    Column("encryption", String(16)),
    Column("next_index", BigInteger, nullable=False),
    Column("created_by", String(256)),
    *_dates(),
    UniqueConstraint("account_sid", "unique_name"),
    Index("ix_conv_interactions_account_created", "account_sid", "date_created"),
)

participants = Table(
    "conv_participants",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    _interaction(),
    Column("identity", String(256)),
    Column("address", String(256)),
    Column("proxy_address", String(256)),
    Column("projected_address", String(256)),
    Column("attributes", Text, nullable=False),
    Column("role_sid", SID),
    Column("last_read_message_index", BigInteger),
    Column("last_read_timestamp", BigInteger),
    Column("joined_index", BigInteger, nullable=False),
    Column("invited_index", BigInteger, nullable=False),
    *_dates(),
    UniqueConstraint("interaction_sid", "identity"),
    Index("ix_conv_participants_interaction", "interaction_sid", "date_created"),
    Index("ix_conv_participants_identity", "account_sid", "identity"),
    Index("ix_conv_participants_address", "account_sid", "address"),
)

messages = Table(
    "conv_messages",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    _interaction(),
    Column("index", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("author", String(256), nullable=False),
    Column("body", Text),
    Column("media", Text),
    Column("attributes", Text, nullable=False),
    Column("participant_sid", SID),
    *_dates(),
    UniqueConstraint("interaction_sid", "index"),
)

receipts = Table(
    "conv_receipts",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    _interaction(),
    Column(
        "message_sid",
        SID,
        ForeignKey("conv_messages.sid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("participant_sid", SID, nullable=False),
    Column("status", String(16), nullable=False),
    Column("channel_message_sid", SID),
    Column("error_code", Integer),
    *_dates(),
)

webhooks = Table(
    "conv_webhooks",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    _interaction(),
    Column("target", String(16), nullable=False),
    Column("url", Text),
    Column("method", String(8), nullable=False),
    Column("filters", Text, nullable=False),
    Column("triggers", Text, nullable=False),
    Column("flow_sid", SID),
    *_dates(),
    Index("ix_conv_webhooks_interaction", "interaction_sid"),
)

users = Table(
    "conv_users",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column("identity", String(256), nullable=False),
    Column("friendly_name", String(256)),
    Column("attributes", Text, nullable=False),
    Column("role_sid", SID),
    Column("admin", Boolean, nullable=False),
    *_dates(),
    UniqueConstraint("account_sid", "identity"),
)

roles = Table(
    "conv_roles",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(),
    Column("friendly_name", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("permissions", Text, nullable=False),
    *_dates(),
)

configurations = Table(
    "conv_configurations",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid"), primary_key=True),
    Column("default_chat_service_sid", SID, nullable=False),
    Column("default_messaging_service_sid", SID, nullable=False),
    Column("default_inactive_ms", BigInteger),
    Column("default_closed_ms", BigInteger),
    Column("webhook_method", String(8), nullable=False),
    Column("webhook_filters", Text, nullable=False),
    Column("pre_webhook_url", Text),
    Column("post_webhook_url", Text),
    Column("webhook_target", String(16), nullable=False),
)

invitations = Table(
    "conv_invitations",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    _interaction(),
    Column("identity", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("invited_index", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    *_dates(),
    Index("ix_conv_invitations_identity", "account_sid", "identity"),
)

grants = Table(
    "conv_grants",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column("viewer", String(256), nullable=False),
    Column("subject", String(256), nullable=False),
    Column("date_created", BigInteger, nullable=False),
    UniqueConstraint("account_sid", "viewer", "subject"),
)

audit = Table(
    "conv_audit",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column("action", String(16), nullable=False),
    Column("subject_sid", SID, nullable=False, index=True),
    Column("target_sid", SID, nullable=False, index=True),
    Column("detail", Text, nullable=False),
    Column("actor", String(256)),
    Column("date_created", BigInteger, nullable=False),
)

addresses = Table(
    "conv_addresses",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column("type", String(16), nullable=False),
    Column("address", String(256), nullable=False),
    Column("friendly_name", String(256)),
    Column("auto_creation", Text, nullable=False),
    Column("address_country", String(8)),
    Column("organization", String(256)),
    *_dates(),
    UniqueConstraint("account_sid", "type", "address"),
)

# routing of a request (issue 19)
routing_profiles = Table(
    "conv_routing_profiles",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column("organization", String(256), nullable=False),
    Column("workspace_sid", SID, nullable=False),
    Column("workflow_sid", SID),
    Column("task_channel", String(64)),
    Column("proxy_address", String(256), nullable=False),
    Column("hours", Text, nullable=False),
    Column("rules", Text, nullable=False),
    Column("default_category", String(64)),
    Column("messages", Text, nullable=False),
    Column("feedback_every_ms", BigInteger, nullable=False),
    Column("inactive_ms", BigInteger, nullable=False),
    Column("retire_factor", Integer, nullable=False),
    Column("first_response_ms", BigInteger),
    Column("next_response_ms", BigInteger),
    Column("classifier_threshold", Float),
    Column("max_wait_ms", BigInteger),
    *_dates(),
    UniqueConstraint("account_sid", "organization"),
)

requests = Table(
    "conv_requests",
    metadata,
    Column("sid", SID, primary_key=True),
    _account(index=False),
    Column("organization", String(256), nullable=False),
    Column("conversation_sid", SID, nullable=False),
    Column("sequence_sid", SID, nullable=False),
    Column("interaction_sid", SID, nullable=False),
    Column("customer", String(256), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("category", String(64)),
    Column("category_source", String(16), nullable=False),
    Column("team", String(64)),
    Column("status", String(16), nullable=False),
    Column("task_sid", SID),
    Column("worker_sid", SID),
    Column("member", String(256)),
    Column("opens_at", BigInteger),
    Column("last_customer_at", BigInteger, nullable=False),
    Column("last_member_at", BigInteger),
    Column("awaiting_since", BigInteger),
    Column("first_response_at", BigInteger),
    Column("last_feedback_at", BigInteger),
    Column("breaches", Text, nullable=False),
    Column("escalations", Text, nullable=False),
    Column("rating", Integer),
    Column("comment", Text),
    Column("date_assigned", BigInteger),
    Column("date_retired", BigInteger),
    *_dates(),
    Index("ix_conv_requests_open", "account_sid", "organization", "status"),
    Index(
        "ix_conv_requests_category",
        "account_sid",
        "organization",
        "category",
        "status",
        "date_retired",
    ),
    Index("ix_conv_requests_customer", "account_sid", "conversation_sid"),
    Index("ix_conv_requests_task", "task_sid"),
    Index("ix_conv_requests_interaction", "interaction_sid"),
)

BINDINGS: dict[type[Any], Table] = {
    r.OuterConversation: outer_conversations,
    r.Sequence: sequences,
    r.Interaction: interactions,
    r.Participant: participants,
    r.Message: messages,
    r.Receipt: receipts,
    r.Webhook: webhooks,
    r.User: users,
    r.Role: roles,
    r.Configuration: configurations,
    r.Invitation: invitations,
    r.Grant: grants,
    r.AuditEntry: audit,
    r.AddressConfiguration: addresses,
    rt.RoutingProfile: routing_profiles,
    rt.Request: requests,
}
