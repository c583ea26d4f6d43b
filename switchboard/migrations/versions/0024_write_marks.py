"""write_marks: a counter per lock, bumped by every write transaction (issue 10)

On PostgreSQL a process keeps copies of the tasks, reservations and workers it last
committed and uses them while nobody else wrote the workspace since, which this
counter tells it (switchboard/store/write_marks.py). SQLite has the table too (same
schema everywhere) and leaves it empty: its writer asks `PRAGMA data_version` instead.

Revision ID: 0024_write_marks
Revises: 0023_task_sid_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_write_marks"
down_revision = "0023_task_sid_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "write_marks",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_write_marks")),
    )


def downgrade() -> None:
    op.drop_table("write_marks")
