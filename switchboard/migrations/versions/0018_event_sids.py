"""events: sids as 18-byte BLOBs and event types as codes on SQLite (issue 10)

"Events stay small": the `events` columns that hold sids use `CompactSid`
(switchboard/store/compact_sid.py), so on SQLite a canonical sid is stored as its two
letters and 16 bytes, not 34 characters; `event_type` uses `EventTypeCode`
(switchboard/distribution/persistence/event_types.py), a known type stored as its code.
The rows written before are rewritten here, in batches by `seq`, so that a filter
(which binds the stored form) finds them. PostgreSQL is unchanged.

Revision ID: 0018_event_sids
Revises: 0017_events
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from alembic import op

from switchboard.distribution.persistence import event_types
from switchboard.store import compact_sid

revision = "0018_event_sids"
down_revision = "0017_events"
branch_labels = None
depends_on = None

COLUMNS = (
    "event_type",
    "sid",
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
BATCH = 5_000
log = logging.getLogger("alembic.runtime.migration")


def _rewrite(sid: Callable[[Any], Any], event_type: Callable[[Any], Any]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    names = ", ".join(COLUMNS)
    assignments = ", ".join(f"{name} = ?" for name in COLUMNS)
    last, done = 0, 0
    while True:
        rows = bind.exec_driver_sql(
            f"SELECT seq, {names} FROM events WHERE seq > ? ORDER BY seq LIMIT {BATCH}",  # noqa: S608 (constants)
            (last,),
        ).all()
        if not rows:
            break
        changed = [
            (*converted, row[0])
            for row in rows
            if (converted := (event_type(row[1]), *(sid(value) for value in row[2:])))
            != tuple(row[1:])
        ]
        if changed:
            update = f"UPDATE events SET {assignments} WHERE seq = ?"  # noqa: S608 (constants)
            bind.exec_driver_sql(update, changed)
        last, done = rows[-1][0], done + len(rows)
        if done % (20 * BATCH) == 0:
            log.info("events: %d rows rewritten so far", done)


def upgrade() -> None:
    _rewrite(compact_sid.pack, event_types.pack)


def downgrade() -> None:
    _rewrite(compact_sid.unpack, event_types.unpack)
