"""web_users and web_sessions: the people who sign in to the pages (issue 16)

Revision ID: 0007_pages
Revises: 0006_reservation_times
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_pages"
down_revision = "0006_reservation_times"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("sid", sa.String(34), nullable=False),
        sa.Column("account_sid", sa.String(34), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("friendly_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("workspace_sid", sa.String(34), nullable=True),
        sa.Column("worker_sid", sa.String(34), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name="fk_web_users_account_sid_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name="pk_web_users"),
        sa.UniqueConstraint("email", name="uq_web_users_email"),
    )
    op.create_index("ix_web_users_account_sid", "web_users", ["account_sid"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_sid", sa.String(34), nullable=False),
        sa.Column("account_sid", sa.String(34), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_sid"],
            ["web_users.sid"],
            name="fk_web_sessions_user_sid_web_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_user_sid", "web_sessions", ["user_sid"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("web_users")
