"""usage records, fraud rules and scores (issue 4)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("subject_sid", sa.String(length=34), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("event_data", sa.Text(), nullable=False),
        sa.Column("event_date", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_account_events_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_account_events")),
        sa.UniqueConstraint("sid", name=op.f("uq_account_events_sid")),
    )
    with op.batch_alter_table("account_events", schema=None) as batch_op:
        batch_op.create_index("ix_account_events_account_seq", ["account_sid", "seq"], unique=False)

    op.create_table(
        "fraud_rules",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("owner_sid", sa.String(length=34), nullable=True),
        sa.Column("friendly_name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("comparison", sa.String(length=2), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("window", sa.String(length=8), nullable=False),
        sa.Column("younger_than_days", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_sid"], ["accounts.sid"], name=op.f("fk_fraud_rules_owner_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_fraud_rules")),
    )
    with op.batch_alter_table("fraud_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraud_rules_owner_sid"), ["owner_sid"], unique=False)

    op.create_table(
        "usage_counters",
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_usage_counters_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("account_sid", "category", "hour", name=op.f("pk_usage_counters")),
    )
    with op.batch_alter_table("usage_counters", schema=None) as batch_op:
        batch_op.create_index("ix_usage_counters_hour", ["hour"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_counters", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_counters_hour")
    op.drop_table("usage_counters")

    with op.batch_alter_table("fraud_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_rules_owner_sid"))
    op.drop_table("fraud_rules")

    with op.batch_alter_table("account_events", schema=None) as batch_op:
        batch_op.drop_index("ix_account_events_account_seq")
    op.drop_table("account_events")
