"""From committed events to delivery rows: the outbox reader.

The `events` table is the outbox. Each workspace has a cursor (the last event
sequence number turned into deliveries); reading events past it, writing their
deliveries and moving the cursor happen in one transaction, so every event is
considered exactly once, also across crashes and between processes.

The bus only rings the doorbell: a subscriber runs while the publishing transaction
still holds the workspace lock, so it must never touch the store itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callbacks.forms import assignment_form, event_form
from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.services.context import Services
from switchboard.store import tables as t

log = logging.getLogger(__name__)
DELIVERY_PREFIX = "CB"
BATCH = 500


def wanted(workspace: t.Workspace, event_type: str) -> bool:
    """`EventsFilter` is a comma list of event types; empty means every event."""
    if not workspace.event_callback_url:
        return False
    raw = workspace.events_filter or ""
    types = {part.strip() for part in raw.split(",") if part.strip()}
    return not types or event_type in types


def new_delivery(
    event: t.Event, kind: str, url: str, form: dict[str, str], fallback: str | None = None
) -> t.CallbackDelivery:
    now = now_ms()
    return t.CallbackDelivery(
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


async def _assignment(session: AsyncSession, event: t.Event) -> t.CallbackDelivery | None:
    if event.event_type != "reservation.created" or event.workflow_sid is None:
        return None
    workflow = await session.get(t.Workflow, event.workflow_sid)
    if workflow is None or not workflow.assignment_callback_url:
        return None
    return new_delivery(
        event,
        "assignment",
        workflow.assignment_callback_url,
        assignment_form(event),
        workflow.fallback_assignment_callback_url,
    )


async def deliveries_for(
    session: AsyncSession, workspace: t.Workspace | None, event: t.Event
) -> list[t.CallbackDelivery]:
    """The deliveries one event calls for, with the workspace's settings of now."""
    rows: list[t.CallbackDelivery] = []
    assignment = await _assignment(session, event)
    if assignment is not None:
        rows.append(assignment)
    if workspace is not None and wanted(workspace, event.event_type):
        form = event_form(event, workspace.friendly_name)
        rows.append(new_delivery(event, "event", workspace.event_callback_url or "", form))
    return rows


async def _cursor(session: AsyncSession, workspace_sid: str) -> t.CallbackCursor:
    cursor = await session.get(t.CallbackCursor, workspace_sid)
    if cursor is None:
        cursor = t.CallbackCursor(workspace_sid=workspace_sid, last_seq=0)
        session.add(cursor)
    return cursor


async def scan(svc: Services, workspace_sid: str) -> int:
    """Turn the workspace's new events into deliveries; returns how many were created."""
    created, more = 0, True
    while more:
        async with svc.store.transaction(workspace_sid) as session:
            cursor = await _cursor(session, workspace_sid)
            query = (
                select(t.Event)
                .where(t.Event.workspace_sid == workspace_sid, t.Event.seq > cursor.last_seq)
                .order_by(t.Event.seq)
                .limit(BATCH)
            )
            events = list((await session.execute(query)).scalars())
            workspace = await session.get(t.Workspace, workspace_sid)
            for event in events:
                rows = await deliveries_for(session, workspace, event)
                session.add_all(rows)
                created += len(rows)
            if events:
                cursor.last_seq = events[-1].seq
            more = len(events) == BATCH
    return created


async def behind(svc: Services) -> list[str]:
    """Workspaces with events past their cursor (what a restart must catch up on)."""
    newest = (
        select(t.Event.workspace_sid, func.max(t.Event.seq).label("seq"))
        .group_by(t.Event.workspace_sid)
        .subquery()
    )
    query = select(newest.c.workspace_sid).outerjoin(
        t.CallbackCursor, t.CallbackCursor.workspace_sid == newest.c.workspace_sid
    )
    query = query.where(func.coalesce(t.CallbackCursor.last_seq, 0) < newest.c.seq)
    async with svc.store.read() as session:
        return list((await session.execute(query)).scalars())


class Outbox:
    """Background reader: scans workspaces the bus reported, then wakes the sender."""

    def __init__(self, svc: Services, wake_sender: Callable[[], None]) -> None:
        self.svc = svc
        self._wake_sender = wake_sender
        self._dirty: set[str] = set()
        self._bell = asyncio.Event()

    def notify(self, event: dict[str, Any]) -> None:
        """Bus subscriber: remember the workspace, never block (the publisher holds a lock)."""
        workspace_sid = event.get("workspace_sid")
        if isinstance(workspace_sid, str):
            self._dirty.add(workspace_sid)
            self._bell.set()

    async def catch_up(self) -> None:
        """At start-up: every workspace whose events were not all considered."""
        for workspace_sid in await behind(self.svc):
            self._dirty.add(workspace_sid)
        self._bell.set()

    async def run(self) -> None:
        while True:
            await self._bell.wait()
            self._bell.clear()
            await self.drain()

    async def drain(self) -> None:
        """Scan every reported workspace; a failure keeps it reported for the next round."""
        while self._dirty:
            workspace_sid = self._dirty.pop()
            try:
                created = await scan(self.svc, workspace_sid)
            except Exception:
                log.exception("reading the outbox of %s failed; retrying", workspace_sid)
                self._dirty.add(workspace_sid)
                await asyncio.sleep(1.0)
                continue
            if created:
                self._wake_sender()
