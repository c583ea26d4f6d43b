"""events: the compact stored form (issue 10, "events stay small")

Events store only what their row does not already say (see
switchboard/distribution/persistence/event_rows.py): `resource_sid` and `source` may be
NULL (meaning "the resource's filter column" and "switchboard"), and a description is a
template in which `%` is escaped as `%%`, so the descriptions written before are
escaped here. Rows written before keep their full `event_data`,
which reads back unchanged. The single-column index on `event_date` goes: every query
by instant also names the workspace (`ix_events_workspace_type_date`,
`ix_events_workspace_seq`).

Revision ID: 0017_events
Revises: 0016_channels2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_events"
down_revision = "0016_channels2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_event_date")
        batch_op.alter_column("resource_sid", existing_type=sa.String(length=34), nullable=True)
        batch_op.alter_column("source", existing_type=sa.String(length=32), nullable=True)
    op.execute(
        "UPDATE events SET description = REPLACE(description, '%', '%%') "
        "WHERE description LIKE '%\\%%' ESCAPE '\\'"
    )


def downgrade() -> None:
    """Every row back in full (decoded as the store reads it), then the old schema."""
    from switchboard.distribution.persistence.event_rows import decode

    events = sa.table(
        "events",
        *(
            sa.column(name)
            for name in (
                "seq",
                "workspace_sid",
                "resource_type",
                "resource_sid",
                "actor_type",
                "actor_sid",
                "description",
                "event_data",
                "source",
                "task_sid",
                "worker_sid",
                "reservation_sid",
                "task_queue_sid",
                "workflow_sid",
            )
        ),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(events)).mappings().all()
    for row in rows:
        full = decode(dict(row))
        changed = {name: full[name] for name in full if full[name] != row[name]}
        if changed:
            bind.execute(sa.update(events).where(events.c.seq == row["seq"]).values(changed))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("source", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("resource_sid", existing_type=sa.String(length=34), nullable=False)
        batch_op.create_index("ix_events_event_date", ["event_date"], unique=False)
