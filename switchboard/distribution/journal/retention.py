"""Event retention: events older than the retention period are deleted, oldest first.

TaskRouter keeps a workspace's events for 30 days ("for the purpose of historical
reporting and auditing"), and so do we by default; without a limit the `events`
table, three or more rows per task, grows for as long as the service runs.
`SWITCHBOARD_EVENT_RETENTION_DAYS=0` keeps every event.

Events are deleted in small batches found by `seq` (the primary key: event order is
time order, so the oldest events are the first rows), each batch in its own short
write transaction, with a turn for other work in between: a first run over a long
history never holds the writer for long. What the retention removes is gone from the
Events API, from the statistics (whose windows are at most 30 days) and from the
callback outbox (an event a month old was turned into deliveries long ago).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from switchboard.distribution.domain.records import Event
from switchboard.kernel.criteria import asc, le, lt
from switchboard.kernel.ports import Clock, Store

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
BATCH = 500  # rows per write transaction
FIRST_RUN_SECONDS = 60.0  # after start-up, once the server is serving
INTERVAL_SECONDS = 3600.0


async def prune_events(
    store: Store,
    before_ms: int,
    batch: int = BATCH,
    going_on: Callable[[], bool] = lambda: True,
) -> int:
    """Delete the events dated before `before_ms`; returns how many were deleted.
    `going_on` is asked between batches (False: stop there, the rest waits)."""
    deleted = 0
    while going_on():
        async with store.read() as unit:
            oldest = await unit.select(Event, order=[asc("seq")], limit=batch)
        expired = [event.seq for event in oldest if event.event_date < before_ms]
        if not expired:
            return deleted
        last = max(seq for seq in expired if seq is not None)
        async with store.transaction() as unit:
            deleted += await unit.delete_where(Event, le("seq", last), lt("event_date", before_ms))
        if len(oldest) < batch or len(expired) < len(oldest):
            return deleted  # the rest of the table is younger than the cut-off
        await asyncio.sleep(0)  # requests run between batches
    return deleted


class EventRetention:
    """Prunes expired events a minute after start-up, then every hour."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        retention_days: int,
        *,
        first_run_seconds: float = FIRST_RUN_SECONDS,
        interval_seconds: float = INTERVAL_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.retention_days = retention_days
        self.first_run_seconds = first_run_seconds
        self.interval_seconds = interval_seconds
        self.pruned = 0  # events deleted since start (for tests and logs)
        self._task: asyncio.Task[None] | None = None
        self._pass: asyncio.Task[int] | None = None  # the pass in flight, if any
        self._stopping = False

    async def start(self) -> None:
        if self.retention_days > 0:
            self._task = asyncio.create_task(self._run(), name="event-retention")

    async def stop(self) -> None:
        """Stop sleeping at once; a pass in flight finishes its batch first (cancelled in
        the middle of a statement, the driver's thread would answer a closed loop)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pass is not None:
            with contextlib.suppress(Exception):
                await self._pass
            self._pass = None

    async def prune(self) -> int:
        """One pass: every event older than the retention period goes."""
        cutoff = self.clock.now_ms() - self.retention_days * DAY_MS
        deleted = await prune_events(self.store, cutoff, going_on=lambda: not self._stopping)
        self.pruned += deleted
        if deleted:
            log.info("deleted %d event(s) older than %d days", deleted, self.retention_days)
        return deleted

    async def _run(self) -> None:
        await self.clock.sleep(self.first_run_seconds)
        while True:
            self._pass = asyncio.create_task(self.prune(), name="event-retention-pass")
            try:
                await asyncio.shield(self._pass)
            except asyncio.CancelledError:
                raise  # stop() waits for the pass itself
            except Exception:  # a failed pass must not end retention; the next one retries
                log.exception("pruning expired events failed")
            self._pass = None
            await self.clock.sleep(self.interval_seconds)
