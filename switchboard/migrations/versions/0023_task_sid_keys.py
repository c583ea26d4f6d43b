"""tasks: workflow, queue and channel sids stored as keys on SQLite (issue 10)

A task row names its workflow, queue and channel: a handful of sids per workspace,
34 characters each in every task row, and the queue again in `ix_tasks_task_queue_sid`.
On SQLite these columns now hold the key of their sid in `sid_keys` (migration 0022,
switchboard/store/sid_keys.py). PostgreSQL keeps its text.

Revision ID: 0023_task_sid_keys
Revises: 0022_sid_keys
"""

from __future__ import annotations

from alembic import op

revision = "0023_task_sid_keys"
down_revision = "0022_sid_keys"
branch_labels = None
depends_on = None

COLUMNS = ("workflow_sid", "task_queue_sid", "task_channel_sid")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for column in COLUMNS:
        bind.exec_driver_sql(
            f"INSERT INTO sid_keys (sid) SELECT DISTINCT {column} FROM tasks "  # noqa: S608 (constants)
            f"WHERE {column} IS NOT NULL ORDER BY 1 ON CONFLICT DO NOTHING"
        )
    assignments = ", ".join(
        f"{column} = CAST((SELECT key FROM sid_keys WHERE sid = tasks.{column}) AS TEXT)"  # noqa: S608 (constants)
        for column in COLUMNS
    )
    bind.exec_driver_sql(f"UPDATE tasks SET {assignments}")  # noqa: S608 (constants)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    assignments = ", ".join(
        f"{column} = (SELECT sid FROM sid_keys WHERE key = tasks.{column})"  # noqa: S608 (constants)
        for column in COLUMNS
    )
    bind.exec_driver_sql(f"UPDATE tasks SET {assignments}")  # noqa: S608 (constants)
