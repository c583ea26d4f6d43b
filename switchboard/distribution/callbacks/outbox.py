"""From committed events to delivery rows: the outbox reader.

The `events` table is the outbox. Each workspace has a cursor (the last event
sequence number turned into deliveries); reading events past it, writing their
deliveries and moving the cursor happen in one transaction, so every event is
considered exactly once, also across crashes and between processes.

The bus only rings the outbox's bell: bus subscribers run after the publishing
transaction committed (and released the workspace lock), but inside the request
that made the change, so a subscriber must be quick and never touch the store;
the outbox reads events in its own loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from switchboard.distribution.callbacks.forms import assignment_form, event_form
from switchboard.distribution.domain.records import CallbackCursor, Event, Workflow, Workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel import sids
from switchboard.kernel.criteria import asc, eq, gt, isin, largest, le
from switchboard.kernel.ports import Unit
from switchboard.outbound.records import CallbackDelivery

log = logging.getLogger(__name__)
DELIVERY_PREFIX = "CB"
BATCH = 500
ASSIGNING = "reservation.created"  # the one event type assignment callbacks follow
# a pass waits this long after the first bell, so that one pass reads what several
# commits wrote (under load, one pass per commit was a fifth of a request's CPU)
GATHER_SECONDS = 0.01
# an event that cannot make a delivery (by the types its workspace's last scan found
# deliverable) still moves the cursor, but at most once a second: without callbacks,
# a scan per commit was a tenth of a routed task's CPU
LAZY_SECONDS = 1.0


def wanted(workspace: Workspace, event_type: str) -> bool:
    """`EventsFilter` is a comma list of event types; empty means every event."""
    if not workspace.event_callback_url:
        return False
    raw = workspace.events_filter or ""
    types = {part.strip() for part in raw.split(",") if part.strip()}
    return not types or event_type in types


def new_delivery(
    event: Event,
    now: int,
    kind: str,
    url: str,
    form: dict[str, str],
    fallback: str | None = None,
) -> CallbackDelivery:
    return CallbackDelivery(
        sid=sids.new_sid(DELIVERY_PREFIX),
        account_sid=event.account_sid,
        workspace_sid=event.workspace_sid,
        kind=kind,
        event_sid=event.sid,
        event_type=event.event_type,
        reservation_sid=event.reservation_sid,
        url=url,
        fallback_url=fallback,
        payload=json.dumps(form, separators=(",", ":")),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        attempt_log="[]",
        date_created=now,
        date_updated=now,
    )


async def _assignment(unit: Unit, now: int, event: Event) -> CallbackDelivery | None:
    if event.event_type != ASSIGNING or event.workflow_sid is None:
        return None
    workflow = await unit.get(Workflow, event.workflow_sid)
    if workflow is None or not workflow.assignment_callback_url:
        return None
    return new_delivery(
        event,
        now,
        "assignment",
        workflow.assignment_callback_url,
        assignment_form(event),
        workflow.fallback_assignment_callback_url,
    )


async def deliveries_for(
    unit: Unit, now: int, workspace: Workspace | None, event: Event
) -> list[CallbackDelivery]:
    """The deliveries one event calls for, with the workspace's settings of now."""
    rows: list[CallbackDelivery] = []
    assignment = await _assignment(unit, now, event)
    if assignment is not None:
        rows.append(assignment)
    if workspace is not None and wanted(workspace, event.event_type):
        form = event_form(event, workspace.friendly_name)
        rows.append(new_delivery(event, now, "event", workspace.event_callback_url or "", form))
    return rows


async def _cursor(unit: Unit, workspace_sid: str) -> CallbackCursor:
    cursor = await unit.get(CallbackCursor, workspace_sid)
    if cursor is None:
        cursor = CallbackCursor(workspace_sid=workspace_sid, last_seq=0)
        unit.add(cursor)
    return cursor


def _types_that_deliver(workspace: Workspace | None, assigning: bool) -> list[str] | None:
    """The event types that can make a delivery now (None: every type can).

    Without an event callback (or with a filter), most events make none, and reading
    and decoding them only to find that out was most of an outbox pass: only
    `reservation.created` (when a workflow has an assignment callback) and the
    filter's types are read.
    """
    types = {ASSIGNING} if assigning else set()
    if workspace is not None and workspace.event_callback_url:
        raw = workspace.events_filter or ""
        chosen = {part.strip() for part in raw.split(",") if part.strip()}
        if not chosen:
            return None  # an empty filter means every event
        types |= chosen
    return sorted(types)


async def scan(svc: Services, workspace_sid: str) -> tuple[int, frozenset[str] | None]:
    """Turn the workspace's new events into deliveries; returns how many were created,
    and the event types that can make one with the workspace's settings (None: all)."""
    created, more, deliverable = 0, True, None
    while more:
        async with svc.store.transaction(workspace_sid) as unit:
            cursor = await _cursor(unit, workspace_sid)
            workspace = await unit.get(Workspace, workspace_sid)
            workflows = await unit.select(Workflow, eq("workspace_sid", workspace_sid))
            assigning = any(w.assignment_callback_url for w in workflows)
            types = _types_that_deliver(workspace, assigning)
            deliverable = None if types is None else frozenset(types)
            where = [eq("workspace_sid", workspace_sid), gt("seq", cursor.last_seq)]
            top = None
            if types is not None:
                [newest] = await unit.aggregate(Event, (), *where, seq=largest("seq"))
                top = newest["seq"]
                if top is None:
                    return created, deliverable
                where += [le("seq", top), isin("event_type", types)]
            events = []
            if types is None or types:  # with no type that delivers, only the cursor moves
                events = await unit.select(Event, *where, order=[asc("seq")], limit=BATCH)
            for event in events:
                rows = await deliveries_for(unit, svc.now(), workspace, event)
                for row in rows:
                    unit.add(row)
                created += len(rows)
            more = len(events) == BATCH
            if more or top is None:
                top = events[-1].seq if events else None
            if top is not None:
                cursor.last_seq = max(cursor.last_seq, top)
    return created, deliverable


async def behind(svc: Services) -> list[str]:
    """Workspaces with events past their cursor (what a restart must catch up on)."""
    async with svc.store.read() as unit:
        newest = await unit.aggregate(Event, ("workspace_sid",), seq=largest("seq"))
        cursors = {c.workspace_sid: c.last_seq for c in await unit.select(CallbackCursor)}
    return [
        row["workspace_sid"]
        for row in newest
        if row["seq"] is not None and cursors.get(row["workspace_sid"], 0) < row["seq"]
    ]


class Outbox:
    """Background reader: scans workspaces the bus reported, then wakes the sender."""

    def __init__(self, svc: Services, wake_sender: Callable[[], None]) -> None:
        self.svc = svc
        self._wake_sender = wake_sender
        self._dirty: set[str] = set()
        self._bell = asyncio.Event()
        self._lazy: set[str] = set()  # reported, but nothing there can make a delivery
        self._lazy_timer: asyncio.TimerHandle | None = None
        # per workspace, the event types its last scan found deliverable (None: all)
        self._deliverable: dict[str, frozenset[str] | None] = {}

    def notify(self, event: dict[str, Any]) -> None:
        """Bus subscriber: remember the workspace, never block (the publisher waits on us).

        Only this process's own commits count: another process that committed an event
        scans its outbox itself, so a scan here would only contend for the workspace's
        lock and find nothing new (with N processes, N - 1 wasted scans per commit).
        """
        if event.get("remote"):
            return
        workspace_sid = event.get("workspace_sid")
        if not isinstance(workspace_sid, str):
            return
        if self._may_deliver(workspace_sid, event.get("event_type")) or not self._defer(
            workspace_sid
        ):
            self._dirty.add(workspace_sid)
            self._bell.set()

    def _may_deliver(self, workspace_sid: str, event_type: Any) -> bool:
        """By what the workspace's last scan found (a workspace not scanned yet: yes).

        Settings changed since then are read by the next scan, at most `LAZY_SECONDS`
        later, so an event the old settings would not deliver is late, never lost."""
        if workspace_sid not in self._deliverable:
            return True
        types = self._deliverable[workspace_sid]
        return types is None or event_type in types

    def _defer(self, workspace_sid: str) -> bool:
        """Scan the workspace within `LAZY_SECONDS`; False when no timer can be set."""
        if self._lazy_timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return False
            self._lazy_timer = loop.call_later(LAZY_SECONDS, self._promote)
        self._lazy.add(workspace_sid)
        return True

    def _promote(self) -> None:
        self._lazy_timer = None
        if self._lazy:
            self._dirty |= self._lazy
            self._lazy.clear()
            self._bell.set()

    async def catch_up(self) -> None:
        """At start-up: every workspace whose events were not all considered."""
        for workspace_sid in await behind(self.svc):
            self._dirty.add(workspace_sid)
        self._bell.set()

    async def run(self) -> None:
        while True:
            await self._bell.wait()
            await asyncio.sleep(GATHER_SECONDS)
            self._bell.clear()
            await self.drain()

    async def drain(self) -> None:
        """Scan every reported workspace; a failure keeps it reported for the next round."""
        while self._dirty:
            workspace_sid = self._dirty.pop()
            self._lazy.discard(workspace_sid)  # the scan reads every event up to now
            try:
                created, self._deliverable[workspace_sid] = await scan(self.svc, workspace_sid)
            except Exception:
                log.exception("reading the outbox of %s failed; retrying", workspace_sid)
                self._dirty.add(workspace_sid)
                await asyncio.sleep(1.0)
                continue
            if created:
                self._wake_sender()
