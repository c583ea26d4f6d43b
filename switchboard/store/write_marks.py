"""Write marks: how a PostgreSQL process tells that nobody else wrote a workspace.

The SQLite writer answers reads of the work in flight (tasks, reservations, workers)
from the copies it last committed, and SQLite's `data_version` tells it when another
connection wrote since (store/cache.py). PostgreSQL has no such counter, so with it
every step of a task read back by key what the step before had just written, about
eight round trips per task, each under the workspace's lock (issue 10).

`write_marks` holds one counter per workspace (the locks the schema calls scopes; other
locks, one per conversation say, take the advisory lock alone and add no rows). Every
write transaction that takes a workspace's lock bumps its counter in the statement that
takes the lock
(:data:`LOCK_AND_MARK`: the advisory lock, then an upsert that returns the new count),
so the count it gets back is exact: the transaction holds the lock, and the row, until
it commits. A process remembers the count of its own last commit under each lock; if
the next count it gets is exactly one more, no other process (nor any of its own
transactions it did not see commit) wrote under that lock in between, and the copies
it kept of that workspace's records are the rows. Otherwise it drops them.

That holds only if every write to a workspace's in-flight rows bumps the workspace's
mark. Writes under the workspace's own lock do. A unit that writes such rows of
another workspace, or under no lock, bumps their marks too before it commits
(:data:`BUMP`; :data:`BUMP_ALL` when it cannot tell which workspaces a bulk write
reached), see `SqlStore._cover_marks`. The copies are only a cache: the rows stay the
source of truth, and a process that restarts starts without copies.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, column, text

from switchboard.store.direct import prepared
from switchboard.store.schema import metadata

write_marks = Table(
    "write_marks",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

# the lock (a transaction-level advisory lock, as before marks existed, so that writers
# of every version exclude each other), then the mark's new count
LOCK_AND_MARK = prepared(
    text(
        "INSERT INTO write_marks (name, n) "
        "SELECT :name, 1 FROM (SELECT pg_advisory_xact_lock(:key)) AS locked "
        "ON CONFLICT (name) DO UPDATE SET n = write_marks.n + 1 RETURNING n"
    ).columns(column("n", BigInteger))
)

# marks of other locks a unit wrote under (an upsert: it waits for a first, uncommitted
# writer of the same name instead of missing its row)
BUMP = prepared(
    text(
        "INSERT INTO write_marks (name, n) SELECT unnest(CAST(:names AS VARCHAR[])), 1 "
        "ON CONFLICT (name) DO UPDATE SET n = write_marks.n + 1"
    )
)

# every mark: a bulk write whose workspaces the unit cannot name
BUMP_ALL = prepared(text("UPDATE write_marks SET n = n + 1"))
