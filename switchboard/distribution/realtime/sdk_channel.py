"""`GET /v1/wschannels?token=...`: the websocket of the TaskRouter JavaScript SDK.

Each message is `{"event_type": ..., "payload": {...}}`: first `init` (who the token
names, how long it lives), then the worker's committed events, each with the resource
it concerns rendered the way the SDK reads it (:mod:`.sdk_views`). The SDK sends
nothing on the socket (its requests go through :mod:`.bridge`) and drops a socket
that stayed silent for 30 s, so the server sends a whitespace heartbeat when it has
had nothing to say for the heartbeat interval.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.websockets import WebSocket

from switchboard.distribution.domain.records import (
    Reservation,
    Task,
    Worker,
    WorkerChannel,
    Workspace,
)
from switchboard.distribution.realtime import sdk_views as views
from switchboard.distribution.realtime.commands import Caller
from switchboard.distribution.realtime.hub import Hub
from switchboard.distribution.realtime.session import CLOSE_UNAUTHORIZED, Session
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.transitions import LIVE_RESERVATION
from switchboard.distribution.work.worker_tokens import TokenRejected, verify_bearer
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.ports import Unit
from switchboard.wire.deps import deps

HEARTBEAT = " "
# the status a reservation event announces (the stored one may have moved on already)
EVENT_STATUS = {
    "reservation.created": "pending",
    "reservation.accepted": "accepted",
    "reservation.rejected": "rejected",
    "reservation.timeout": "timeout",
    "reservation.canceled": "canceled",
    "reservation.rescinded": "rescinded",
    "reservation.completed": "completed",
    "reservation.wrapup": "wrapping",
}


async def _payload(
    unit: Unit, ws: Workspace, event_type: str, data: dict[str, Any], now: int
) -> dict[str, Any] | None:
    """The resource an event is about, as the SDK's handler for that event reads it."""
    if event_type.startswith("reservation."):
        reservation = await unit.get(Reservation, str(data.get("reservation_sid")))
        if reservation is None:
            return None
        status = EVENT_STATUS.get(event_type)
        return await views.reservation(unit, reservation, ws, now, status=status)
    if event_type.startswith("task."):
        task = await unit.get(Task, str(data.get("task_sid")))
        return None if task is None else await views.task(unit, task, ws, now)
    if event_type in ("worker.capacity.update", "worker.channel.availability.update"):
        return await _channel_payload(unit, ws, data)
    if event_type.startswith("worker."):
        worker = await unit.get(Worker, str(data.get("worker_sid")))
        return None if worker is None else await views.worker_payload(unit, worker, ws)
    return None


async def _channel_payload(
    unit: Unit, ws: Workspace, data: dict[str, Any]
) -> dict[str, Any] | None:
    worker_sid = str(data.get("worker_sid"))
    channel = await unit.first(
        WorkerChannel,
        eq("worker_sid", worker_sid),
        eq("task_channel_sid", str(data.get("task_channel_sid"))),
    )
    if channel is None:
        return None
    for payload in await views.channel_payloads(unit, ws, worker_sid):
        if payload["sid"] == channel.sid:
            return payload
    return None


class SdkSession(Session):
    """The worker channel's loops, speaking the SDK's messages instead of commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_sent = self.clock.monotonic()

    async def send_snapshot(self) -> None:
        """`init` takes the snapshot's place: the SDK then fetches what it needs. The tasks
        the worker already holds are noted, so their task events reach it."""
        caller = self.caller
        async with caller.svc.store.read() as unit:
            held = await unit.values(
                Reservation,
                "task_sid",
                eq("worker_sid", caller.worker_sid),
                isin("status", LIVE_RESERVATION),
            )
        self.connection.hold(held)
        await self.websocket.send_json(
            {
                "event_type": "init",
                "payload": {
                    "channel_id": caller.worker_sid,
                    "account_sid": caller.account_sid,
                    "workspace_sid": caller.workspace_sid,
                    "token_lifetime": max(0, int(self.expires_at - time.time())) * 1000,
                },
            }
        )

    async def _handle(self, message: dict[str, Any]) -> None:
        """The SDK sends nothing; whatever arrives only proves the worker is there."""

    async def _send(self, message: dict[str, Any]) -> None:
        if message.get("type") != "event":
            return
        event_type = str(message.get("event_type"))
        svc = self.caller.svc
        async with svc.store.read() as unit:
            ws = await unit.get(Workspace, self.caller.workspace_sid)
            if ws is None:
                return
            payload = await _payload(unit, ws, event_type, message.get("data") or {}, svc.now())
        if payload is not None:
            await self.websocket.send_json({"event_type": event_type, "payload": payload})
            self.last_sent = self.clock.monotonic()

    def _close_reason(self) -> tuple[int, str] | None:
        self.last_heard = self.clock.monotonic()  # liveness is the transport's own ping here
        return super()._close_reason()

    async def _maybe_ping(self) -> None:
        now = self.clock.monotonic()
        if now - self.last_sent >= self.settings.heartbeat_interval:
            self.last_sent = now
            await self.websocket.send_text(HEARTBEAT)


async def sdk_channel(websocket: WebSocket) -> None:
    """Verify the token alone (it names account and worker), then serve like the channel."""
    registry = deps(websocket)
    svc, hub = registry.get(Services), registry.get(Hub)
    await websocket.accept()
    try:
        claims = await verify_bearer(svc.store, svc.signing, websocket.query_params.get("token"))
    except TokenRejected as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=str(exc))
        return
    if websocket.query_params.get("closeExistingSessions") == "true":
        hub.replace(claims.workspace_sid, claims.worker_sid)
    connection = await hub.register(claims.account_sid, claims.workspace_sid, claims.worker_sid)
    caller = Caller(svc, claims.account_sid, claims.workspace_sid, claims.worker_sid)
    session = SdkSession(websocket, connection, caller, hub.settings, claims.expires_at)
    try:
        await session.send_snapshot()
        await session.run()
    finally:
        hub.unregister(connection)
