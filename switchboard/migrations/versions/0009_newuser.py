"""sealing_keys: the fingerprint of the secret key that seals this database's tokens (issue 11)

A process started with another key refuses to run instead of failing later, token by
token, when it cannot unseal what the first key sealed.

Revision ID: 0009_newuser
Revises: 0008_attribution
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_newuser"
down_revision = "0008_attribution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sealing_keys",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sealing_keys")
