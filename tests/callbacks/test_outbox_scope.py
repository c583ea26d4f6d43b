"""Which commits make the outbox scan: this process's own, not those another process shares.

With several processes on PostgreSQL every committed event is shared with the others
(marked `remote`) for their websockets; the process that committed it scans its own
outbox, so a scan in every other process would only contend for the workspace's lock.
"""

from __future__ import annotations

import asyncio

from switchboard.distribution.callbacks import outbox as outbox_module
from switchboard.distribution.callbacks.outbox import Outbox
from switchboard.runtime import Core

WORKSPACE = "WS" + "0" * 32


def test_an_event_shared_by_another_process_does_not_ring_the_outbox(core: Core) -> None:
    outbox = Outbox(core.services, lambda: None)
    outbox.notify({"workspace_sid": WORKSPACE, "event_type": "task.created", "remote": True})
    assert not outbox._bell.is_set() and not outbox._dirty


def test_an_event_committed_here_rings_it_for_its_workspace(core: Core) -> None:
    outbox = Outbox(core.services, lambda: None)
    outbox.notify({"workspace_sid": WORKSPACE, "event_type": "task.created"})
    assert outbox._bell.is_set() and outbox._dirty == {WORKSPACE}


def test_an_event_its_workspace_cannot_deliver_waits_for_the_next_lazy_scan(core: Core) -> None:
    """Once a scan found that only `reservation.created` delivers (an assignment callback
    may follow it), other events move the cursor at most once every `LAZY_SECONDS`."""

    async def run() -> None:
        outbox = Outbox(core.services, lambda: None)
        outbox._deliverable[WORKSPACE] = frozenset({"reservation.created"})
        outbox.notify({"workspace_sid": WORKSPACE, "event_type": "task.created"})
        assert not outbox._bell.is_set() and not outbox._dirty
        assert outbox._lazy == {WORKSPACE}
        outbox.notify({"workspace_sid": WORKSPACE, "event_type": "reservation.created"})
        assert outbox._bell.is_set() and outbox._dirty == {WORKSPACE}  # at once
        outbox._bell.clear()
        outbox._dirty.clear()
        await asyncio.sleep(outbox_module.LAZY_SECONDS + 0.2)
        assert outbox._bell.is_set() and outbox._dirty == {WORKSPACE}  # and the lazy one
        assert not outbox._lazy

    asyncio.run(run())


def test_a_workspace_with_an_unfiltered_event_callback_scans_at_once(core: Core) -> None:
    outbox = Outbox(core.services, lambda: None)
    outbox._deliverable[WORKSPACE] = None  # every event type can make a delivery
    outbox.notify({"workspace_sid": WORKSPACE, "event_type": "worker.activity.update"})
    assert outbox._bell.is_set() and outbox._dirty == {WORKSPACE}
