"""conversations: interactions, participants, messages, receipts, webhooks, users, roles,
sequences and outer conversations, invitations and grants (issue 18)

Revision ID: 0010_conv
Revises: 0009_newuser
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_conv"
down_revision = "0009_newuser"
branch_labels = None
depends_on = None

# full-text search over message bodies, outside the declared schema (one dialect each)
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE conv_messages_fts USING fts5("
    "body, content='conv_messages', content_rowid='rowid')",
    "CREATE TRIGGER conv_messages_fts_insert AFTER INSERT ON conv_messages BEGIN "
    "INSERT INTO conv_messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "CREATE TRIGGER conv_messages_fts_delete AFTER DELETE ON conv_messages BEGIN "
    "INSERT INTO conv_messages_fts(conv_messages_fts, rowid, body) "
    "VALUES ('delete', old.rowid, old.body); END",
    "CREATE TRIGGER conv_messages_fts_update AFTER UPDATE OF body ON conv_messages BEGIN "
    "INSERT INTO conv_messages_fts(conv_messages_fts, rowid, body) "
    "VALUES ('delete', old.rowid, old.body); "
    "INSERT INTO conv_messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS conv_messages_fts_update",
    "DROP TRIGGER IF EXISTS conv_messages_fts_delete",
    "DROP TRIGGER IF EXISTS conv_messages_fts_insert",
    "DROP TABLE IF EXISTS conv_messages_fts",
]
POSTGRES_SEARCH = [
    "CREATE INDEX ix_conv_messages_search ON conv_messages "
    "USING gin (to_tsvector('simple', coalesce(body, '')))",
]
POSTGRES_SEARCH_DROP = ["DROP INDEX IF EXISTS ix_conv_messages_search"]

TABLES = [
    "conv_addresses",
    "conv_audit",
    "conv_configurations",
    "conv_conversations",
    "conv_grants",
    "conv_interactions",
    "conv_roles",
    "conv_users",
    "conv_invitations",
    "conv_messages",
    "conv_participants",
    "conv_sequences",
    "conv_webhooks",
    "conv_receipts",
]


def upgrade() -> None:
    op.create_table(
        "conv_configurations",
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("default_chat_service_sid", sa.String(length=34), nullable=False),
        sa.Column("default_messaging_service_sid", sa.String(length=34), nullable=False),
        sa.Column("default_inactive_ms", sa.BigInteger(), nullable=True),
        sa.Column("default_closed_ms", sa.BigInteger(), nullable=True),
        sa.Column("webhook_method", sa.String(length=8), nullable=False),
        sa.Column("webhook_filters", sa.Text(), nullable=False),
        sa.Column("pre_webhook_url", sa.Text(), nullable=True),
        sa.Column("post_webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_target", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_conv_configurations_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_sid", name=op.f("pk_conv_configurations")),
    )
    op.create_table(
        "conv_conversations",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("organization", sa.String(length=256), nullable=False),
        sa.Column("outside_party", sa.String(length=256), nullable=False),
        sa.Column("friendly_name", sa.String(length=256), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("encryption", sa.String(length=16), nullable=True),
        sa.Column("merged_into_sid", sa.String(length=34), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.Column("date_ended", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_conv_conversations_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_conversations")),
    )
    op.create_index(
        op.f("ix_conv_conversations_account_sid"),
        "conv_conversations",
        ["account_sid"],
        unique=False,
    )
    op.create_table(
        "conv_grants",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("viewer", sa.String(length=256), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_grants_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_grants")),
        sa.UniqueConstraint(
            "account_sid", "viewer", "subject", name=op.f("uq_conv_grants_account_sid")
        ),
    )
    op.create_table(
        "conv_interactions",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("chat_service_sid", sa.String(length=34), nullable=False),
        sa.Column("messaging_service_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.String(length=256), nullable=True),
        sa.Column("unique_name", sa.String(length=256), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("inactive_after_ms", sa.BigInteger(), nullable=True),
        sa.Column("closed_after_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_activity", sa.BigInteger(), nullable=False),
        sa.Column("parent_sid", sa.String(length=34), nullable=True),
        sa.Column("history", sa.String(length=16), nullable=False),
        sa.Column("sequence_sid", sa.String(length=34), nullable=True),
        sa.Column("conversation_sid", sa.String(length=34), nullable=True),
        sa.Column("encryption", sa.String(length=16), nullable=True),
        sa.Column("next_index", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_conv_interactions_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_interactions")),
        sa.UniqueConstraint(
            "account_sid", "unique_name", name=op.f("uq_conv_interactions_account_sid")
        ),
    )
    op.create_index(
        "ix_conv_interactions_account_created",
        "conv_interactions",
        ["account_sid", "date_created"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conv_interactions_conversation_sid"),
        "conv_interactions",
        ["conversation_sid"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conv_interactions_parent_sid"), "conv_interactions", ["parent_sid"], unique=False
    )
    op.create_index(
        op.f("ix_conv_interactions_sequence_sid"),
        "conv_interactions",
        ["sequence_sid"],
        unique=False,
    )
    op.create_table(
        "conv_roles",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_roles_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_roles")),
    )
    op.create_index(op.f("ix_conv_roles_account_sid"), "conv_roles", ["account_sid"], unique=False)
    op.create_table(
        "conv_users",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("identity", sa.String(length=256), nullable=False),
        sa.Column("friendly_name", sa.String(length=256), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("role_sid", sa.String(length=34), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_users_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_users")),
        sa.UniqueConstraint("account_sid", "identity", name=op.f("uq_conv_users_account_sid")),
    )
    op.create_table(
        "conv_invitations",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("interaction_sid", sa.String(length=34), nullable=False),
        sa.Column("identity", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invited_index", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_invitations_account_sid_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_sid"],
            ["conv_interactions.sid"],
            name=op.f("fk_conv_invitations_interaction_sid_conv_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_invitations")),
    )
    op.create_index(
        "ix_conv_invitations_identity",
        "conv_invitations",
        ["account_sid", "identity"],
        unique=False,
    )
    op.create_table(
        "conv_messages",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("interaction_sid", sa.String(length=34), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=256), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("media", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("participant_sid", sa.String(length=34), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_messages_account_sid_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_sid"],
            ["conv_interactions.sid"],
            name=op.f("fk_conv_messages_interaction_sid_conv_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_messages")),
        sa.UniqueConstraint(
            "interaction_sid", "index", name=op.f("uq_conv_messages_interaction_sid")
        ),
    )
    op.create_table(
        "conv_participants",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("interaction_sid", sa.String(length=34), nullable=False),
        sa.Column("identity", sa.String(length=256), nullable=True),
        sa.Column("address", sa.String(length=256), nullable=True),
        sa.Column("proxy_address", sa.String(length=256), nullable=True),
        sa.Column("projected_address", sa.String(length=256), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("role_sid", sa.String(length=34), nullable=True),
        sa.Column("last_read_message_index", sa.BigInteger(), nullable=True),
        sa.Column("last_read_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("joined_index", sa.BigInteger(), nullable=False),
        sa.Column("invited_index", sa.BigInteger(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_conv_participants_account_sid_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_sid"],
            ["conv_interactions.sid"],
            name=op.f("fk_conv_participants_interaction_sid_conv_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_participants")),
        sa.UniqueConstraint(
            "interaction_sid", "identity", name=op.f("uq_conv_participants_interaction_sid")
        ),
    )
    op.create_index(
        "ix_conv_participants_address",
        "conv_participants",
        ["account_sid", "address"],
        unique=False,
    )
    op.create_index(
        "ix_conv_participants_identity",
        "conv_participants",
        ["account_sid", "identity"],
        unique=False,
    )
    op.create_index(
        "ix_conv_participants_interaction",
        "conv_participants",
        ["interaction_sid", "date_created"],
        unique=False,
    )
    op.create_table(
        "conv_sequences",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("case_number", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("primary_participant", sa.String(length=256), nullable=True),
        sa.Column("owner", sa.String(length=256), nullable=True),
        sa.Column("merged_into_sid", sa.String(length=34), nullable=True),
        sa.Column("date_opened", sa.BigInteger(), nullable=False),
        sa.Column("date_closed", sa.BigInteger(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_sequences_account_sid_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conv_conversations.sid"],
            name=op.f("fk_conv_sequences_conversation_sid_conv_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_sequences")),
        sa.UniqueConstraint(
            "account_sid", "case_number", name=op.f("uq_conv_sequences_account_sid")
        ),
    )
    op.create_index(
        op.f("ix_conv_sequences_conversation_sid"),
        "conv_sequences",
        ["conversation_sid"],
        unique=False,
    )
    op.create_table(
        "conv_webhooks",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("interaction_sid", sa.String(length=34), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("triggers", sa.Text(), nullable=False),
        sa.Column("flow_sid", sa.String(length=34), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_webhooks_account_sid_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_sid"],
            ["conv_interactions.sid"],
            name=op.f("fk_conv_webhooks_interaction_sid_conv_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_webhooks")),
    )
    op.create_index(
        "ix_conv_webhooks_interaction", "conv_webhooks", ["interaction_sid"], unique=False
    )
    op.create_table(
        "conv_receipts",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("interaction_sid", sa.String(length=34), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=False),
        sa.Column("participant_sid", sa.String(length=34), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel_message_sid", sa.String(length=34), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_receipts_account_sid_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_sid"],
            ["conv_interactions.sid"],
            name=op.f("fk_conv_receipts_interaction_sid_conv_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_sid"],
            ["conv_messages.sid"],
            name=op.f("fk_conv_receipts_message_sid_conv_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_receipts")),
    )
    op.create_index(
        op.f("ix_conv_receipts_message_sid"), "conv_receipts", ["message_sid"], unique=False
    )
    op.create_table(
        "conv_audit",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("subject_sid", sa.String(length=34), nullable=False),
        sa.Column("target_sid", sa.String(length=34), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_audit_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_audit")),
    )
    op.create_index(op.f("ix_conv_audit_subject_sid"), "conv_audit", ["subject_sid"])
    op.create_index(op.f("ix_conv_audit_target_sid"), "conv_audit", ["target_sid"])
    op.create_table(
        "conv_addresses",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("friendly_name", sa.String(length=256), nullable=True),
        sa.Column("auto_creation", sa.Text(), nullable=False),
        sa.Column("address_country", sa.String(length=8), nullable=True),
        sa.Column("organization", sa.String(length=256), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_conv_addresses_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_addresses")),
        sa.UniqueConstraint(
            "account_sid", "type", "address", name=op.f("uq_conv_addresses_account_sid")
        ),
    )
    _search(SQLITE_SEARCH, POSTGRES_SEARCH)


def _search(sqlite: list[str], postgres: list[str]) -> None:
    dialect = op.get_bind().dialect.name
    for statement in sqlite if dialect == "sqlite" else postgres if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    _search(SQLITE_SEARCH_DROP, POSTGRES_SEARCH_DROP)
    for table in reversed(TABLES):
        op.drop_table(table)
