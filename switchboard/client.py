"""A small asyncio client for the worker channel (`/v1/wschannels/{AccountSid}/{WorkerSid}`).

    async with WorkerClient.connect_to(base_url, account_sid, worker_sid, token) as worker:
        print(worker.snapshot["reservations"])
        async for event in worker.events():
            if event["event_type"] == "reservation.created":
                await worker.accept(event["data"]["reservation_sid"])

The client answers the server's pings by itself. `events()` ends when the connection
closes; call :meth:`WorkerClient.connect` again to reconnect (the new snapshot carries
any pending reservation). The protocol is documented in `docs/reference/worker-protocol.md`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

_CLOSED: dict[str, Any] = {"type": "__closed__"}


class WorkerChannelError(Exception):
    """The server refused a command (`code` is Twilio's error code) or closed the channel."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class WorkerClient:
    """One worker's channel: snapshot, event stream and commands answered by request id."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self.snapshot: dict[str, Any] = {}
        self.close_code: int | None = None
        self.close_reason: str = ""
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    @classmethod
    def connect_to(
        cls, base_url: str, account_sid: str, worker_sid: str, token: str, **kw: Any
    ) -> WorkerClient:
        """From the HTTP base URL of the server (`http://host:port`)."""
        ws_base = "ws" + base_url.rstrip("/").removeprefix("http")
        return cls(f"{ws_base}/v1/wschannels/{account_sid}/{worker_sid}", token, **kw)

    async def __aenter__(self) -> WorkerClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> dict[str, Any]:
        """Open (or reopen) the channel; returns the snapshot. A refusal raises 4401."""
        await self.close()
        self._events = asyncio.Queue()
        self._ws = await connect(f"{self.url}?token={quote(self.token)}", open_timeout=self.timeout)
        try:
            first: dict[str, Any] = json.loads(
                await asyncio.wait_for(self._ws.recv(), self.timeout)
            )
        except ConnectionClosed as exc:
            await self.close()
            code, reason = _close_info(exc)
            raise WorkerChannelError(code, reason) from None
        self.snapshot = first
        self._reader = asyncio.create_task(self._read(self._ws))
        return first

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._ws = self._reader = None

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                await self._dispatch(ws, json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            self.close_code, self.close_reason = ws.close_code, ws.close_reason or ""
            self._fail_pending()
            self._events.put_nowait(_CLOSED)

    async def _dispatch(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        elif kind in ("ack", "error", "pong") and str(message.get("request_id")) in self._pending:
            future = self._pending.pop(str(message["request_id"]))
            if not future.done():
                future.set_result(message)
        else:
            if kind == "snapshot":
                self.snapshot = message
            self._events.put_nowait(message)

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(WorkerChannelError(self.close_code or 1006, "channel closed"))
        self._pending.clear()

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Events (and requested snapshots) as they arrive, until the channel closes."""
        while True:
            message = await self._events.get()
            if message is _CLOSED:
                self._events.put_nowait(_CLOSED)  # every later reader stops too
                return
            yield message

    async def _next(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            async for message in self.events():
                if wanted(message):
                    return message
            raise WorkerChannelError(self.close_code or 1006, self.close_reason or "closed")

        return await asyncio.wait_for(wait(), self.timeout)

    async def next_event(self, event_type: str | None = None) -> dict[str, Any]:
        """The next event (of `event_type`, skipping others), within the timeout."""
        return await self._next(
            lambda m: (
                m.get("type") == "event"
                and (event_type is None or m.get("event_type") == event_type)
            )
        )

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a command and wait for its answer; an `error` answer raises."""
        if self._ws is None:
            raise WorkerChannelError(1006, "not connected")
        request_id = str(next(self._ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._ws.send(json.dumps({"type": kind, "request_id": request_id, **fields}))
        except ConnectionClosed as closed:  # one error type for "the channel is gone"
            self._pending.pop(request_id, None)
            code = closed.rcvd.code if closed.rcvd else 1006
            raise WorkerChannelError(code, "channel closed") from closed
        answer = await asyncio.wait_for(future, self.timeout)
        if answer.get("type") == "error":
            raise WorkerChannelError(int(answer.get("code", 0)), str(answer.get("message")))
        result = answer.get("result", {})
        return result if isinstance(result, dict) else {}

    async def ping(self) -> None:
        await self.request("ping")

    async def set_activity(
        self, activity_sid: str, *, reject_pending: bool = False
    ) -> dict[str, Any]:
        return await self.request(
            "set_activity", activity_sid=activity_sid, reject_pending_reservations=reject_pending
        )

    async def update_attributes(
        self, attributes: dict[str, Any], *, merge: bool = False
    ) -> dict[str, Any]:
        """Replace the attributes, or (`merge=True`) change only the keys given."""
        return await self.request("update_attributes", attributes=attributes, merge=merge)

    async def accept(self, reservation_sid: str) -> dict[str, Any]:
        return await self.request("accept", reservation_sid=reservation_sid)

    async def reject(self, reservation_sid: str, activity_sid: str | None = None) -> dict[str, Any]:
        return await self.request(
            "reject", reservation_sid=reservation_sid, activity_sid=activity_sid
        )

    async def wrap_up(self, reservation_sid: str) -> dict[str, Any]:
        return await self.request("wrap_up", reservation_sid=reservation_sid)

    async def complete(self, reservation_sid: str, reason: str | None = None) -> dict[str, Any]:
        return await self.request("complete", reservation_sid=reservation_sid, reason=reason)

    async def refresh(self) -> dict[str, Any]:
        """Ask for a new snapshot (it also arrives through :meth:`events`)."""
        if self._ws is None:
            raise WorkerChannelError(1006, "not connected")
        await self._ws.send(json.dumps({"type": "snapshot"}))
        return await self._next(lambda m: m.get("type") == "snapshot")


def _close_info(exc: ConnectionClosed) -> tuple[int, str]:
    frame = exc.rcvd
    if frame is None:
        return 1006, "connection lost"
    return frame.code, frame.reason
