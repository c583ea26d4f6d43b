"""conversations routing: organizations' routing profiles and routed requests (issue 19)

Revision ID: 0011_convroute
Revises: 0010_conv
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_convroute"
down_revision = "0010_conv"
branch_labels = None
depends_on = None

SID = sa.String(length=34)


def _account(table: str) -> list[Any]:
    return [
        sa.Column("account_sid", SID, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f(f"fk_{table}_account_sid_accounts")
        ),
    ]


def _dates() -> list[sa.Column[int]]:
    return [
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "conv_routing_profiles",
        sa.Column("sid", SID, nullable=False),
        *_account("conv_routing_profiles"),
        sa.Column("organization", sa.String(length=256), nullable=False),
        sa.Column("workspace_sid", SID, nullable=False),
        sa.Column("workflow_sid", SID, nullable=True),
        sa.Column("task_channel", sa.String(length=64), nullable=True),
        sa.Column("proxy_address", sa.String(length=256), nullable=False),
        sa.Column("hours", sa.Text(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("default_category", sa.String(length=64), nullable=True),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.Column("feedback_every_ms", sa.BigInteger(), nullable=False),
        sa.Column("inactive_ms", sa.BigInteger(), nullable=False),
        sa.Column("retire_factor", sa.Integer(), nullable=False),
        sa.Column("first_response_ms", sa.BigInteger(), nullable=True),
        sa.Column("next_response_ms", sa.BigInteger(), nullable=True),
        sa.Column("classifier_threshold", sa.Float(), nullable=True),
        sa.Column("max_wait_ms", sa.BigInteger(), nullable=True),
        *_dates(),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_routing_profiles")),
        sa.UniqueConstraint(
            "account_sid", "organization", name=op.f("uq_conv_routing_profiles_account_sid")
        ),
    )
    op.create_table(
        "conv_requests",
        sa.Column("sid", SID, nullable=False),
        *_account("conv_requests"),
        sa.Column("organization", sa.String(length=256), nullable=False),
        sa.Column("conversation_sid", SID, nullable=False),
        sa.Column("sequence_sid", SID, nullable=False),
        sa.Column("interaction_sid", SID, nullable=False),
        sa.Column("customer", sa.String(length=256), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("category_source", sa.String(length=16), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("task_sid", SID, nullable=True),
        sa.Column("worker_sid", SID, nullable=True),
        sa.Column("member", sa.String(length=256), nullable=True),
        sa.Column("opens_at", sa.BigInteger(), nullable=True),
        sa.Column("last_customer_at", sa.BigInteger(), nullable=False),
        sa.Column("last_member_at", sa.BigInteger(), nullable=True),
        sa.Column("awaiting_since", sa.BigInteger(), nullable=True),
        sa.Column("first_response_at", sa.BigInteger(), nullable=True),
        sa.Column("last_feedback_at", sa.BigInteger(), nullable=True),
        sa.Column("breaches", sa.Text(), nullable=False),
        sa.Column("escalations", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("date_assigned", sa.BigInteger(), nullable=True),
        sa.Column("date_retired", sa.BigInteger(), nullable=True),
        *_dates(),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_conv_requests")),
    )
    op.create_index(
        "ix_conv_requests_open", "conv_requests", ["account_sid", "organization", "status"]
    )
    op.create_index(
        "ix_conv_requests_customer", "conv_requests", ["account_sid", "conversation_sid"]
    )
    op.create_index("ix_conv_requests_task", "conv_requests", ["task_sid"])
    op.create_index("ix_conv_requests_interaction", "conv_requests", ["interaction_sid"])


def downgrade() -> None:
    op.drop_table("conv_requests")
    op.drop_table("conv_routing_profiles")
