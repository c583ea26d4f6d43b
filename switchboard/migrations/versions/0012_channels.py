"""channels: carrier addresses, inbound idempotency keys, outbound provider ids and channel
events (issue 13)

Revision ID: 0012_channels
Revises: 0011_convroute
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_channels"
down_revision = "0011_convroute"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_visitors",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("address_sid", sa.String(length=34), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_channel_visitors_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_channel_visitors")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_channel_visitors_token_hash")),
    )
    op.create_table(
        "channel_events",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_channel_events")),
    )
    with op.batch_alter_table("channel_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_channel_events_account", ["account_sid", "date_created"], unique=False
        )

    op.create_table(
        "channel_addresses",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("friendly_name", sa.String(length=256), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_channel_addresses_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_channel_addresses")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_channel_addresses_channel")),
    )
    with op.batch_alter_table("channel_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_addresses_account_sid"), ["account_sid"], unique=False
        )

    op.create_table(
        "channel_inbound",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("external_id", sa.String(length=998), nullable=False),
        sa.Column("address_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=True),
        sa.Column("message_sid", sa.String(length=34), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("task_sid", sa.String(length=34), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_channel_inbound_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_channel_inbound")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_channel_inbound_channel")),
    )
    op.create_index(
        "ix_channel_inbound_conversation", "channel_inbound", ["conversation_sid"], unique=False
    )
    op.create_table(
        "channel_outbound",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("provider_sid", sa.String(length=998), nullable=True),
        sa.Column("address_sid", sa.String(length=34), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=False),
        sa.Column("receipt_sid", sa.String(length=34), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_channel_outbound_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_channel_outbound")),
    )
    with op.batch_alter_table("channel_outbound", schema=None) as batch_op:
        batch_op.create_index(
            "ix_channel_outbound_provider", ["channel", "provider_sid"], unique=False
        )


def downgrade() -> None:
    op.drop_table("channel_visitors")
    with op.batch_alter_table("channel_outbound", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_outbound_provider")

    op.drop_table("channel_outbound")
    op.drop_index("ix_channel_inbound_conversation", table_name="channel_inbound")
    op.drop_table("channel_inbound")
    with op.batch_alter_table("channel_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_addresses_account_sid"))

    op.drop_table("channel_addresses")
    with op.batch_alter_table("channel_events", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_events_account")

    op.drop_table("channel_events")
