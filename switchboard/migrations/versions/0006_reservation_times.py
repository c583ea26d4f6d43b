"""reservations' talk and handling times; tasks' workers who returned them; workers'
rests (issue 15)

Queue strategies order workers by tasks handled, talk time and average handling time
today; the events hold those too, but a routing owner reads these with one aggregate.

Revision ID: 0006_reservation_times
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reservation_times"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("accepted_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("completed_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("talk_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("handling_ms", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_reservations_worker_accepted", "reservations", ["worker_sid", "accepted_at"]
    )
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("returned_by", sa.Text(), nullable=True))
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("rest_until", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("missed_in_a_row", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("missed_in_a_row")
        batch.drop_column("rest_until")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("returned_by")
    op.drop_index("ix_reservations_worker_accepted", table_name="reservations")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("handling_ms")
        batch.drop_column("talk_ms")
        batch.drop_column("completed_at")
        batch.drop_column("accepted_at")
