"""One worker's open channel: read commands, write events and answers, keep it alive.

Two loops per socket. The reader answers pings and runs commands one at a time (a
worker's accept must land before its complete). The writer is the only one sending:
it drains the connection's queue (events and answers), pings the worker when it has
been quiet, and closes the socket when the worker went silent, its token expired, it
cannot keep up with its events, or the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from switchboard.distribution.realtime.commands import COMMANDS, Caller
from switchboard.distribution.realtime.hub import WAKE, Connection, RealtimeSettings
from switchboard.distribution.realtime.views import snapshot
from switchboard.kernel import limits
from switchboard.kernel.errors import SwitchboardError

CLOSE_UNAUTHORIZED = 4401
CLOSE_IDLE = 4408
CLOSE_TOO_SLOW = 1013
CLOSE_GOING_AWAY = 1001
CLOSE_REPLACED = 4409
SHUTDOWN = {"type": "__shutdown__"}


def error_message(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"type": "error", "request_id": request_id, "code": code, "message": message}


class Session:
    """The two loops of one socket, and the liveness bookkeeping they share."""

    def __init__(
        self,
        websocket: WebSocket,
        connection: Connection,
        caller: Caller,
        settings: RealtimeSettings,
        expires_at: int,
    ) -> None:
        self.websocket = websocket
        self.connection = connection
        self.caller = caller
        self.settings = settings
        self.expires_at = expires_at
        self.clock = caller.svc.clock
        self.last_heard = self.last_ping = self.clock.monotonic()

    async def run(self) -> None:
        """Until either loop ends (the worker left, or the writer closed the socket)."""
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write())
        try:
            await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, writer):
                task.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)

    async def reply(self, message: dict[str, Any]) -> None:
        """Answers wait for room in the queue; they are never dropped like events."""
        await self.connection.outgoing.put(message)

    async def _read(self) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            async for text in self.websocket.iter_text():
                self.last_heard = self.clock.monotonic()
                await self._handle_text(text)

    async def _handle_text(self, text: str) -> None:
        try:
            message = limits.loads(text)
        except limits.InputError as exc:
            await self.reply(
                error_message(None, 20001, f"messages must be JSON objects: {exc.detail}")
            )
            return
        if not isinstance(message, dict):
            await self.reply(error_message(None, 20001, "messages must be JSON objects"))
            return
        await self._handle(message)

    async def _handle(self, message: dict[str, Any]) -> None:
        kind, request_id = message.get("type"), message.get("request_id")
        if kind == "pong":
            return
        if kind == "ping":
            await self.reply({"type": "pong", "request_id": request_id})
        elif kind == "snapshot":
            await self.reply(await self._snapshot())
        elif isinstance(kind, str) and kind in COMMANDS:
            await self.reply(await self._run_command(kind, request_id, message))
        else:
            await self.reply(error_message(request_id, 20001, f"unknown message type {kind!r}"))

    async def _run_command(
        self, kind: str, request_id: Any, message: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            result = await COMMANDS[kind](self.caller, message)
        except SwitchboardError as exc:
            return error_message(request_id, exc.code, exc.message)
        except (ValueError, TypeError) as exc:
            return error_message(request_id, 20001, f"invalid {kind}: {exc}")
        return {"type": "ack", "request_id": request_id, "result": result}

    async def _snapshot(self) -> dict[str, Any]:
        view = await snapshot(self.caller.svc, self.caller.workspace_sid, self.caller.worker_sid)
        self.connection.hold(r["task_sid"] for r in view["reservations"])
        return view

    async def send_snapshot(self) -> None:
        await self.websocket.send_json(await self._snapshot())

    async def _write(self) -> None:
        settings = self.settings
        tick = max(
            0.01,
            min(settings.ping_interval, settings.idle_timeout, settings.heartbeat_interval) / 2,
        )
        while True:
            reason = self._close_reason()
            if reason is not None:
                await self.websocket.close(code=reason[0], reason=reason[1])
                return
            message = await self._next(tick)
            if message is None:
                await self._maybe_ping()
                continue
            if message is WAKE:
                continue
            if message is SHUTDOWN:
                await self.websocket.close(code=CLOSE_GOING_AWAY, reason="server stopping")
                return
            await self._send(message)

    async def _send(self, message: dict[str, Any]) -> None:
        await self.websocket.send_json(message)

    async def _next(self, tick: float) -> dict[str, Any] | None:
        """The next message to send, or None when `tick` passed on the clock first."""
        outgoing = self.connection.outgoing
        if not outgoing.empty():  # a burst of events: no timer and no wait per message
            return outgoing.get_nowait()
        getter = asyncio.ensure_future(outgoing.get())
        sleeper = asyncio.ensure_future(self.clock.sleep(tick))
        await asyncio.wait({getter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        sleeper.cancel()
        if getter.done():
            return getter.result()
        getter.cancel()  # the item stays queued: a get cancelled before it resumed takes nothing
        return None

    def _close_reason(self) -> tuple[int, str] | None:
        now = self.clock.monotonic()
        if self.connection.replaced:
            return CLOSE_REPLACED, "closed by a newer session of this worker"
        if self.connection.overflowed:
            return CLOSE_TOO_SLOW, "too many undelivered events; reconnect for a snapshot"
        if now - self.last_heard > self.settings.idle_timeout:
            return CLOSE_IDLE, "no message or pong within the idle timeout"
        if time.time() >= self.expires_at:
            return CLOSE_UNAUTHORIZED, "token expired"
        return None

    async def _maybe_ping(self) -> None:
        """Ping a worker quiet for a ping interval (at most once per interval)."""
        now = self.clock.monotonic()
        interval = self.settings.ping_interval
        if now - self.last_heard >= interval and now - self.last_ping >= interval:
            self.last_ping = now
            await self.websocket.send_json({"type": "ping"})
