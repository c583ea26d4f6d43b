"""events and tasks: single-column indexes hold only non-NULL values (issue 10)

`ix_events_task_sid` and `ix_events_worker_sid` are looked up by equality, and
`ix_tasks_timeout_at` and `ix_tasks_step_deadline` by `<= now`: each comparison implies
NOT NULL, so SQLite and PostgreSQL use a partial index for them. Events about no worker
(a task's creation) or no task (a worker's activity), and tasks without a deadline,
then cost no index entry at all.

Revision ID: 0019_partial_indexes
Revises: 0018_event_sids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_partial_indexes"
down_revision = "0018_event_sids"
branch_labels = None
depends_on = None

INDEXES = (
    ("events", "ix_events_task_sid", "task_sid"),
    ("events", "ix_events_worker_sid", "worker_sid"),
    ("tasks", "ix_tasks_timeout_at", "timeout_at"),
    ("tasks", "ix_tasks_step_deadline", "step_deadline"),
)


def upgrade() -> None:
    for table, name, column in INDEXES:
        op.drop_index(name, table_name=table)
        present = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, table, [column], sqlite_where=present, postgresql_where=present)


def downgrade() -> None:
    for table, name, column in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column])
