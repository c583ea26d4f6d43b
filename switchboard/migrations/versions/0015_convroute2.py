"""the handling history of a category: each member's retired requests of a category, newest
first, for the lowest-average-handling-time preference (issue 19)

Revision ID: 0015_convroute2
Revises: 0012_channels
"""

from __future__ import annotations

from alembic import op

revision = "0015_convroute2"
down_revision = "0012_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_conv_requests_category",
        "conv_requests",
        ["account_sid", "organization", "category", "status", "date_retired"],
    )


def downgrade() -> None:
    op.drop_index("ix_conv_requests_category", table_name="conv_requests")
