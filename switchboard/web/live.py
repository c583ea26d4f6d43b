"""`/supervisor/live`: the floor of one workspace, pushed whenever it changes.

The socket opens with the session cookie (and this server's Origin), subscribes to the
event bus, and after any committed event of its workspace reads the floor again and
sends it, coalescing bursts. Nothing polls: a quiet floor sends a refresh only every
`KEEPALIVE` seconds, which also re-checks that the session is still valid.

With the floor go the supervisor's figures (service level, abandons, waiting tasks) in the
same message, and the charts as server-drawn SVG in a `charts` message: drawn again after
changes at most every `CHARTS_EVERY` seconds (they read plans and reports, heavier than
the floor), and with every keepalive (campaign spend and outcomes change no workspace).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI
from starlette.websockets import WebSocket, WebSocketDisconnect

from switchboard.kernel import sids
from switchboard.kernel.errors import SwitchboardError
from switchboard.kernel.ports import EventPublisher
from switchboard.web import charts
from switchboard.web.domain.people import SUPERVISING
from switchboard.web.ports import Floor, FloorView, Supervision, Supervisor
from switchboard.web.security import same_origin, signed_in
from switchboard.wire.deps import deps

PATH = "/supervisor/live"
COALESCE = 0.05  # seconds: one read of the floor per burst of events
KEEPALIVE = 15.0
REFUSED = 4401
log = logging.getLogger(__name__)
CHARTS_EVERY = 2.0  # seconds between two drawings of the charts while the floor is busy


def floor_message(view: FloorView, supervision: Supervision | None = None) -> dict[str, Any]:
    message = {"type": "floor", **asdict(view)}
    if supervision is not None:
        message["supervision"] = asdict(supervision)
    return message


async def charts_message(
    supervisor: Supervisor, account_sid: str, workspace_sid: str
) -> dict[str, Any]:
    drawn = await supervisor.charts(account_sid, workspace_sid)
    return {"type": "charts", "charts": {chart.key: charts.render(chart) for chart in drawn}}


class _Watch:
    """One socket's view: the floor and figures after every change, charts now and then."""

    def __init__(
        self, websocket: WebSocket, floor: Floor, supervisor: Supervisor | None,
        account_sid: str, workspace_sid: str,
    ) -> None:  # fmt: skip
        self.websocket, self.floor, self.supervisor = websocket, floor, supervisor
        self.account_sid, self.workspace_sid = account_sid, workspace_sid
        self.charts_at = 0.0
        self.charts_due = False  # a change the charts have not shown yet
        self.drawing: asyncio.Future[None] | None = None
        self.sending = asyncio.Lock()  # one message at a time on the socket

    def wait_seconds(self) -> float:
        """Until the keepalive, or until charts a change made due may be drawn."""
        if not self.charts_due or (self.drawing is not None and not self.drawing.done()):
            return KEEPALIVE
        return max(0.0, self.charts_at + CHARTS_EVERY - time.monotonic())

    async def send_floor(self, view: FloorView | None = None) -> None:
        if view is None:
            view = await self.floor.floor(self.account_sid, self.workspace_sid)
        figures = None
        if self.supervisor is not None:
            figures = await self.supervisor.supervision(self.account_sid, self.workspace_sid)
        async with self.sending:
            await self.websocket.send_json(floor_message(view, figures))

    def send_charts(self, force: bool) -> None:
        """Draw the charts beside the floor's pushes (they never hold one up): now, or when
        `CHARTS_EVERY` is up since the last drawing, one drawing at a time."""
        now = time.monotonic()
        if self.supervisor is None:
            return
        busy = self.drawing is not None and not self.drawing.done()
        if busy or (not force and now - self.charts_at < CHARTS_EVERY):
            self.charts_due = True
            return
        self.charts_at, self.charts_due = now, False
        self.drawing = asyncio.ensure_future(self._draw(self.supervisor))

    async def _draw(self, supervisor: Supervisor) -> None:
        try:
            message = await charts_message(supervisor, self.account_sid, self.workspace_sid)
            async with self.sending:
                await self.websocket.send_json(message)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the page went away meanwhile
        except Exception:
            log.exception("drawing the supervisor's charts failed")

    async def stop(self) -> None:
        if self.drawing is not None:
            self.drawing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.drawing


async def supervisor_live(websocket: WebSocket) -> None:
    """Accept, then close with 4401 when the session, role, origin or workspace is wrong."""
    await websocket.accept()
    who = await signed_in(websocket)
    workspace_sid = websocket.query_params.get("workspace", "")
    ok = who is not None and who.user.role in SUPERVISING and same_origin(websocket)
    if not ok or not sids.is_sid(workspace_sid, sids.WORKSPACE):
        await websocket.close(REFUSED, "sign in as a supervisor")
        return
    assert who is not None
    registry = deps(websocket)
    floor = registry.get(Floor)  # type: ignore[type-abstract]
    changed = asyncio.Event()

    def on_event(event: dict[str, Any]) -> None:
        if event.get("workspace_sid") == workspace_sid:
            changed.set()

    # subscribed before the first read: a change committed meanwhile is pushed, not lost
    bus = registry.get(EventPublisher)  # type: ignore[type-abstract]
    unsubscribe = bus.subscribe(on_event)
    unwatch = await bus.watch(workspace_sid)  # other processes' changes too
    try:
        try:
            view = await floor.floor(who.user.account_sid, workspace_sid)
        except SwitchboardError:
            await websocket.close(REFUSED, "not a workspace of your account")
            return
        supervisor = registry.find(Supervisor)  # type: ignore[type-abstract]
        watch = _Watch(websocket, floor, supervisor, who.user.account_sid, workspace_sid)
        try:
            await watch.send_floor(view)
            watch.send_charts(force=True)
            await _follow(watch, changed)
        finally:
            await watch.stop()
    except WebSocketDisconnect:
        pass
    finally:
        unwatch()
        unsubscribe()


async def _follow(watch: _Watch, changed: asyncio.Event) -> None:
    """Push the floor after every change until the browser leaves or the session ends; the
    charts follow at most every `CHARTS_EVERY` seconds (a change they skipped is drawn
    when that time is up), and with every keepalive."""
    websocket = watch.websocket
    reader = asyncio.ensure_future(_drain(websocket))
    try:
        while not reader.done():
            waiter = asyncio.ensure_future(changed.wait())
            waits: set[asyncio.Future[Any]] = {reader, waiter}
            if watch.charts_due and watch.drawing is not None and not watch.drawing.done():
                waits.add(watch.drawing)  # draw again once this drawing is done
            await asyncio.wait(
                waits, timeout=watch.wait_seconds(), return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            if reader.done():
                return
            if not changed.is_set():  # a keepalive, or skipped charts are due
                if await signed_in(websocket) is None:
                    await websocket.close(REFUSED, "the session ended")
                    return
                due = watch.charts_due
                if not due:  # the keepalive: the floor, and charts for spend and outcomes
                    await watch.send_floor()
                watch.send_charts(force=not due)
                continue
            await asyncio.sleep(COALESCE)
            changed.clear()
            if await signed_in(websocket) is None:
                await websocket.close(REFUSED, "the session ended")
                return
            await watch.send_floor()
            watch.send_charts(force=False)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await reader


async def _drain(websocket: WebSocket) -> None:
    """The page sends nothing that matters; reading notices when it goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


def install(app: FastAPI) -> None:
    app.add_api_websocket_route(PATH, supervisor_live)
