"""events: account, workspace, workflow and queue sids stored as keys on SQLite (issue 10)

A new table `sid_keys` numbers the sids that many rows repeat; on SQLite the `events`
columns `account_sid`, `workspace_sid`, `workflow_sid`, `task_queue_sid` and
`task_channel` hold the key of their sid (one to three digits) in place of its 18 bytes
(a channel's 34 characters or its unique name), in the rows and in the two
indexes that start with the workspace (switchboard/store/sid_keys.py). The rows written
before are rewritten here; going back down writes the sids again (as 18-byte BLOBs, the
form of migration 0018). PostgreSQL keeps its text and an empty `sid_keys`.

Revision ID: 0022_sid_keys
Revises: 0021_event_links
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from alembic import op

from switchboard.store import compact_sid

revision = "0022_sid_keys"
down_revision = "0021_event_links"
branch_labels = None
depends_on = None

COLUMNS = ("account_sid", "workspace_sid", "workflow_sid", "task_queue_sid", "task_channel")
TEXT_BEFORE = {"task_channel"}  # text below this revision; the others 18-byte BLOBs
BATCH = 5_000
log = logging.getLogger("alembic.runtime.migration")


def _text(column: str) -> str:
    """SQL for the sid a column holds: an 18-byte BLOB as its text, text as it is."""
    return (
        f"CASE WHEN typeof({column}) = 'blob' "
        f"THEN CAST(substr({column}, 1, 2) AS TEXT) || lower(hex(substr({column}, 3))) "
        f"ELSE {column} END"
    )


def upgrade() -> None:
    op.create_table(
        "sid_keys",
        sa.Column("key", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sid_keys")),
        sa.UniqueConstraint("sid", name=op.f("uq_sid_keys_sid")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for column in COLUMNS:
        bind.exec_driver_sql(
            f"INSERT INTO sid_keys (sid) SELECT DISTINCT {_text(column)} FROM events "  # noqa: S608 (constants)
            f"WHERE {column} IS NOT NULL ORDER BY 1 ON CONFLICT DO NOTHING"
        )
    assignments = ", ".join(
        f"{column} = CAST((SELECT key FROM sid_keys WHERE sid = {_text(column)}) AS TEXT)"  # noqa: S608 (constants)
        for column in COLUMNS
    )
    bind.exec_driver_sql(f"UPDATE events SET {assignments}")  # noqa: S608 (constants)


def _named(row: Any) -> list[tuple[str, Any]]:
    """(column, value) of a row `seq, *COLUMNS`."""
    return list(zip(COLUMNS, row[1:], strict=True))


def _sid_before(column: str, sid: Any) -> Any:
    return sid if column in TEXT_BEFORE else compact_sid.pack(sid)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        query = "SELECT CAST(key AS TEXT), sid FROM sid_keys"
        sids: dict[str, str] = {row[0]: row[1] for row in bind.exec_driver_sql(query)}
        names = ", ".join(COLUMNS)
        assignments = ", ".join(f"{column} = ?" for column in COLUMNS)
        last, done = 0, 0
        while True:
            rows = bind.exec_driver_sql(
                f"SELECT seq, {names} FROM events WHERE seq > ? ORDER BY seq LIMIT {BATCH}",  # noqa: S608 (constants)
                (last,),
            ).all()
            if not rows:
                break
            written = [
                (*(_sid_before(name, sids.get(key, key)) for name, key in _named(row)), row[0])
                for row in rows
            ]
            bind.exec_driver_sql(f"UPDATE events SET {assignments} WHERE seq = ?", written)  # noqa: S608
            last, done = rows[-1][0], done + len(rows)
            log.info("events: %d rows given their sids again", done)
    op.drop_table("sid_keys")
