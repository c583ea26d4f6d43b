"""channels2: a carrier address names the organization whose request router takes new
contacts; organizations' own carrier credentials, sealed (issue 13)

Revision ID: 0016_channels2
Revises: 0015_convroute2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_channels2"
down_revision = "0015_convroute2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_addresses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization", sa.String(length=256), nullable=True))
    op.create_table(
        "channel_credentials",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("organization", sa.String(length=256), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_account", sa.String(length=64), nullable=False),
        sa.Column("sealed_token", sa.Text(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_channel_credentials_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_channel_credentials")),
        sa.UniqueConstraint(
            "account_sid",
            "organization",
            "provider",
            name=op.f("uq_channel_credentials_account_sid"),
        ),
    )


def downgrade() -> None:
    op.drop_table("channel_credentials")
    with op.batch_alter_table("channel_addresses", schema=None) as batch_op:
        batch_op.drop_column("organization")
