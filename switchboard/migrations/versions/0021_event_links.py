"""events: a task's events written together store its data once (issue 10)

No change of schema: from this revision on, the SQLite store writes an event that
follows another about the same task in one statement as a link to that event's data
with only what differs (`{"^": k, ...}`, switchboard/distribution/persistence/
event_rows.py). Going back down, every linked row is written whole again, so that
the code of the revision before reads it.

Revision ID: 0021_event_links
Revises: 0020_event_numbers
"""

from __future__ import annotations

import logging
from typing import Any

from alembic import op

from switchboard.distribution.persistence import event_rows, event_types
from switchboard.store import compact_sid

revision = "0021_event_links"
down_revision = "0020_event_numbers"
branch_labels = None
depends_on = None

BATCH = 2_000
SID_COLUMNS = (
    "legacy_sid",
    "account_sid",
    "workspace_sid",
    "resource_sid",
    "actor_sid",
    "task_sid",
    "worker_sid",
    "reservation_sid",
    "task_queue_sid",
    "workflow_sid",
)
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    """Rows written before stay whole: nothing to do."""


def _as_read(row: Any) -> dict[str, Any]:
    """A raw row as the store reads it (sids as text, the type by name)."""
    found = dict(row._mapping)
    for name in SID_COLUMNS:
        found[name] = compact_sid.unpack(found[name])
    found["event_type"] = event_types.unpack(found["event_type"])
    return found


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # only the SQLite store links rows
    linked_rows = "SELECT * FROM events WHERE event_data LIKE '{\"^\":%' AND seq > ? ORDER BY seq"
    last, done = 0, 0
    while True:
        rows = [_as_read(r) for r in bind.exec_driver_sql(f"{linked_rows} LIMIT {BATCH}", (last,))]
        if not rows:
            return
        bases = {}
        for seq in sorted(event_rows.CODEC.bases(rows)):
            for base in bind.exec_driver_sql("SELECT * FROM events WHERE seq = ?", (seq,)):
                bases[seq] = _as_read(base)
        whole = []
        for row in rows:
            fields = event_rows.decode(row, bases)
            whole.append((event_rows.encode(fields)["event_data"], row["seq"]))
        bind.exec_driver_sql("UPDATE events SET event_data = ? WHERE seq = ?", whole)
        last, done = rows[-1]["seq"], done + len(rows)
        log.info("events: %d linked rows written whole", done)
