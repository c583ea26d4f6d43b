"""statistics: events by workspace, type and instant (issue 5)

Every cumulative statistics query reads one workspace's events of a few types
in a time window; this index turns that into a range scan per type instead of
a scan of the workspace's whole history (or of every workspace's window).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_events_workspace_type_date",
        "events",
        ["workspace_sid", "event_type", "event_date"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_events_workspace_type_date", table_name="events")
