"""marketing attribution: contact-point pools, leases, contacts, spend, pacing rules (issue 14)

Revision ID: 0008_attribution
Revises: 0007_pages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_attribution"
down_revision = "0007_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribution_pacing_rules",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("task_queue_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.String(length=64), nullable=False),
        sa.Column("handle_seconds", sa.Integer(), nullable=False),
        sa.Column("answer_seconds", sa.Integer(), nullable=False),
        sa.Column("service_level", sa.Float(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("contacts_per_impression", sa.Float(), nullable=False),
        sa.Column("forecast_contacts", sa.Float(), nullable=False),
        sa.Column("hysteresis", sa.Float(), nullable=False),
        sa.Column("last_show", sa.String(length=8), nullable=False),
        sa.Column("business_hours", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_attribution_pacing_rules_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_attribution_pacing_rules")),
    )
    op.create_index(
        op.f("ix_attribution_pacing_rules_account_sid"),
        "attribution_pacing_rules",
        ["account_sid"],
        unique=False,
    )
    op.create_table(
        "attribution_pools",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fallback", sa.String(length=256), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("slot_seconds", sa.Integer(), nullable=True),
        sa.Column("repeat_days", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("conversion_url", sa.Text(), nullable=True),
        sa.Column("leases", sa.BigInteger(), nullable=False),
        sa.Column("overflows", sa.BigInteger(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_attribution_pools_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_attribution_pools")),
        sa.UniqueConstraint("public_key", name=op.f("uq_attribution_pools_public_key")),
    )
    op.create_index(
        op.f("ix_attribution_pools_account_sid"), "attribution_pools", ["account_sid"], unique=False
    )
    op.create_table(
        "attribution_spend",
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("campaign", sa.String(length=256), nullable=False),
        sa.Column("publisher", sa.String(length=256), nullable=False),
        sa.Column("keyword", sa.String(length=256), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_attribution_spend_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint(
            "account_sid",
            "day",
            "campaign",
            "publisher",
            "keyword",
            "currency",
            name=op.f("pk_attribution_spend"),
        ),
    )
    op.create_table(
        "attribution_contacts",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("pool_sid", sa.String(length=34), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("caller", sa.String(length=256), nullable=True),
        sa.Column("lease_sid", sa.String(length=34), nullable=True),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("campaign", sa.String(length=256), nullable=True),
        sa.Column("publisher", sa.String(length=256), nullable=True),
        sa.Column("keyword", sa.String(length=256), nullable=True),
        sa.Column("source", sa.String(length=256), nullable=True),
        sa.Column("medium", sa.String(length=256), nullable=True),
        sa.Column("first_touch_sid", sa.String(length=34), nullable=True),
        sa.Column("task_sid", sa.String(length=34), nullable=True),
        sa.Column("workspace_sid", sa.String(length=34), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("arrived_at", sa.BigInteger(), nullable=False),
        sa.Column("answered_at", sa.BigInteger(), nullable=True),
        sa.Column("abandoned_at", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("revenue_micros", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("outcome_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pool_sid"],
            ["attribution_pools.sid"],
            name=op.f("fk_attribution_contacts_pool_sid_attribution_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_attribution_contacts")),
    )
    op.create_index(
        "ix_attribution_contacts_account_day",
        "attribution_contacts",
        ["account_sid", "day"],
        unique=False,
    )
    op.create_index(
        "ix_attribution_contacts_caller",
        "attribution_contacts",
        ["account_sid", "caller", "arrived_at"],
        unique=False,
    )
    op.create_index(
        "ix_attribution_contacts_task", "attribution_contacts", ["task_sid"], unique=False
    )
    op.create_table(
        "attribution_leases",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("pool_sid", sa.String(length=34), nullable=False),
        sa.Column("point_sid", sa.String(length=34), nullable=True),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("visitor", sa.String(length=256), nullable=True),
        sa.Column("campaign", sa.String(length=256), nullable=True),
        sa.Column("publisher", sa.String(length=256), nullable=True),
        sa.Column("keyword", sa.String(length=256), nullable=True),
        sa.Column("source", sa.String(length=256), nullable=True),
        sa.Column("medium", sa.String(length=256), nullable=True),
        sa.Column("click_id", sa.String(length=256), nullable=True),
        sa.Column("click_id_kind", sa.String(length=16), nullable=True),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("slot_start", sa.BigInteger(), nullable=True),
        sa.Column("slot_end", sa.BigInteger(), nullable=True),
        sa.Column("released_at", sa.BigInteger(), nullable=True),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("revenue_micros", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["pool_sid"],
            ["attribution_pools.sid"],
            name=op.f("fk_attribution_leases_pool_sid_attribution_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_attribution_leases")),
    )
    op.create_index(
        op.f("ix_attribution_leases_account_sid"),
        "attribution_leases",
        ["account_sid"],
        unique=False,
    )
    op.create_index(
        "ix_attribution_leases_created",
        "attribution_leases",
        ["pool_sid", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_attribution_leases_visitor",
        "attribution_leases",
        ["pool_sid", "visitor", "status"],
        unique=False,
    )
    op.create_table(
        "attribution_points",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("pool_sid", sa.String(length=34), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("lease_sid", sa.String(length=34), nullable=True),
        sa.Column("busy_until", sa.BigInteger(), nullable=False),
        sa.Column("released_at", sa.BigInteger(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_sid"],
            ["attribution_pools.sid"],
            name=op.f("fk_attribution_points_pool_sid_attribution_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_attribution_points")),
    )
    op.create_index(
        "ix_attribution_points_address",
        "attribution_points",
        ["account_sid", "address"],
        unique=True,
    )
    op.create_index(
        "ix_attribution_points_free", "attribution_points", ["pool_sid", "busy_until"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_attribution_points_free", table_name="attribution_points")
    op.drop_index("ix_attribution_points_address", table_name="attribution_points")
    op.drop_table("attribution_points")
    op.drop_index("ix_attribution_leases_visitor", table_name="attribution_leases")
    op.drop_index("ix_attribution_leases_created", table_name="attribution_leases")
    op.drop_index(op.f("ix_attribution_leases_account_sid"), table_name="attribution_leases")
    op.drop_table("attribution_leases")
    op.drop_index("ix_attribution_contacts_task", table_name="attribution_contacts")
    op.drop_index("ix_attribution_contacts_caller", table_name="attribution_contacts")
    op.drop_index("ix_attribution_contacts_account_day", table_name="attribution_contacts")
    op.drop_table("attribution_contacts")
    op.drop_table("attribution_spend")
    op.drop_index(op.f("ix_attribution_pools_account_sid"), table_name="attribution_pools")
    op.drop_table("attribution_pools")
    op.drop_index(
        op.f("ix_attribution_pacing_rules_account_sid"), table_name="attribution_pacing_rules"
    )
    op.drop_table("attribution_pacing_rules")
