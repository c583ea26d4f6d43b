"""events: sids derived from `seq`, not stored (issue 10, "events stay small")

An event's sid is `EV`, sixteen zeros, then its `seq` in sixteen hex digits
(`records.event_sid_of`): a new row stores no sid and no index holds one. The column
`sid` becomes `legacy_sid`, nullable, for the rows written before, whose random sids were
given out (in callbacks and the /Events list) and still find them; its unique index goes
and a partial index of the non-NULL ones takes its place. Going back down gives every
newer row its derived sid, so that no event changes its sid either way.

Revision ID: 0020_event_numbers
Revises: 0019_partial_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from switchboard.distribution.domain.records import event_sid_of
from switchboard.store import compact_sid

revision = "0020_event_numbers"
down_revision = "0019_partial_indexes"
branch_labels = None
depends_on = None

BATCH = 5_000
UNIQUE = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
# SQLite rebuilds the table on `batch_alter_table`: its partial indexes are made again
PARTIAL = (
    ("ix_events_task_sid", "task_sid"),
    ("ix_events_worker_sid", "worker_sid"),
)


def _partial(name: str, column: str) -> None:
    present = sa.text(f"{column} IS NOT NULL")
    op.create_index(name, "events", [column], sqlite_where=present, postgresql_where=present)


def _rebuilt_partial_indexes() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, column in PARTIAL:
        op.drop_index(name, table_name="events")
        _partial(name, column)


def upgrade() -> None:
    # a naming convention: SQLite reflects the unique constraint without its name
    with op.batch_alter_table("events", schema=None, naming_convention=UNIQUE) as batch_op:
        batch_op.drop_constraint("uq_events_sid", type_="unique")
        batch_op.alter_column(
            "sid",
            new_column_name="legacy_sid",
            existing_type=sa.String(length=34),
            nullable=True,
        )
    _rebuilt_partial_indexes()
    _partial("ix_events_legacy_sid", "legacy_sid")


def _number_the_newer_rows() -> None:
    bind = op.get_bind()
    pack = compact_sid.pack if bind.dialect.name == "sqlite" else (lambda sid: sid)
    while True:
        seqs = bind.exec_driver_sql(
            f"SELECT seq FROM events WHERE legacy_sid IS NULL LIMIT {BATCH}"  # noqa: S608 (constant)
        ).all()
        if not seqs:
            return
        update = sa.text("UPDATE events SET legacy_sid = :sid WHERE seq = :seq")
        bind.execute(update, [{"sid": pack(event_sid_of(seq)), "seq": seq} for (seq,) in seqs])


def downgrade() -> None:
    _number_the_newer_rows()
    op.drop_index("ix_events_legacy_sid", table_name="events")
    with op.batch_alter_table("events", schema=None, naming_convention=UNIQUE) as batch_op:
        batch_op.alter_column(
            "legacy_sid",
            new_column_name="sid",
            existing_type=sa.String(length=34),
            nullable=False,
        )
    # a batch of its own: in the batch that renames the column it is left out
    with op.batch_alter_table("events", schema=None, naming_convention=UNIQUE) as batch_op:
        batch_op.create_unique_constraint("uq_events_sid", ["sid"])
    _rebuilt_partial_indexes()
