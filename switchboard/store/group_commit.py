"""Group commit on PostgreSQL: writers queued on the same lock share one transaction.

Writers to a workspace already run one at a time (its lock). Committing each of them
costs an advisory-lock statement, a BEGIN and a COMMIT round trip, most of a small
request's wall time on PostgreSQL (bench/analysis.md, "Group commit"). So the first
writer opens a *group*: a transaction holding the advisory lock. Each writer runs its
unit inside a SAVEPOINT of it, one at a time as before; when the first is done it queues
on the lock behind the writers already waiting, who join the open group, and then
commits once for all of them.

What each writer can rely on is unchanged:

* its block exits only after the group committed (a 201 survives ``kill -9``), and its
  after-commit hooks run only then;
* its own failure rolls back its savepoint only, never the others' work; a failed
  COMMIT fails every member;
* it sees the writes of the members before it (they are serialised, as before), and
  the record cache is bypassed for the kinds those members wrote (the cache keeps only
  committed data).

The group is bounded by the queue: writers arriving after the first queued behind it
open the next group.

Off by default (``SWITCHBOARD_GROUP_COMMIT``): on the benchmark machine, whose commits
are cheap, the savepoint of each member and the wait for the others cost more CPU and
wall time than the shared commit saved (the *group commit* rows of docs/benchmarks.md).
It pays where a commit is dear (a slow WAL fsync, a database across a network).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from switchboard.kernel.changes import Changes


@dataclass(eq=False)
class Group:
    """One open transaction shared by the writers of one lock."""

    connection: AsyncConnection
    transaction: AsyncTransaction
    done: asyncio.Future[None]
    # what the members so far wrote (cache copies of it are older than the connection)
    written: Changes = field(default_factory=Changes)
    members: int = 0


class GroupCommitter:
    """Open groups by lock, with the lock that serialises their members."""

    def __init__(self, open_connection: Callable[[str], Awaitable[AsyncConnection]]) -> None:
        self._open_connection = open_connection
        self._locks: dict[str, asyncio.Lock] = {}
        self._groups: dict[str, Group] = {}
        self._closers: set[asyncio.Task[None]] = set()

    def lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def member(self, name: str) -> AsyncIterator[Group]:
        """Run the block as one member of `name`'s group (the caller opens and releases its
        savepoint); wait for the group's commit on a clean exit."""
        lock = self.lock(name)
        await lock.acquire()
        group: Group | None = None
        leader = False
        try:
            group = self._groups.get(name)
            if group is None:
                group = await self._open(name)
                self._groups[name] = group
                leader = True
            group.members += 1
            yield group
        finally:
            lock.release()
            if leader and group is not None:
                # the commit must happen even if the leader is cancelled: other members wait
                closer = asyncio.get_running_loop().create_task(self._close(name, group))
                self._closers.add(closer)
                closer.add_done_callback(self._closers.discard)
        assert group is not None
        await asyncio.shield(group.done)

    async def _open(self, name: str) -> Group:
        connection = await self._open_connection(name)
        try:
            transaction = connection.get_transaction()
            assert transaction is not None, "open_connection begins the transaction"
        except BaseException:
            await connection.close()
            raise
        return Group(connection, transaction, asyncio.get_running_loop().create_future())

    async def _close(self, name: str, group: Group) -> None:
        """Behind the writers queued now (the lock is FIFO), end the group: commit once."""
        try:
            async with self.lock(name):
                if self._groups.get(name) is group:
                    del self._groups[name]
                try:
                    await group.transaction.commit()
                finally:
                    await group.connection.close()
        except Exception as exc:  # noqa: BLE001 (every member gets the failure)
            group.done.set_exception(exc)
        except BaseException:
            group.done.set_exception(RuntimeError("the group commit was interrupted"))
            raise
        else:
            group.done.set_result(None)
        finally:
            if group.done.done() and not group.done.cancelled():
                group.done.exception()  # read, so an unawaited failure is not reported twice

    async def wait_closed(self) -> None:
        """Let every group being committed finish (before the engine is disposed)."""
        while self._closers:
            await asyncio.gather(*list(self._closers), return_exceptions=True)
