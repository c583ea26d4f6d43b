"""Which commits make the outbox scan: this process's own, not those another process shares.

With several processes on PostgreSQL every committed event is shared with the others
(marked `remote`) for their websockets; the process that committed it scans its own
outbox, so a scan in every other process would only contend for the workspace's lock.
"""

from __future__ import annotations

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
