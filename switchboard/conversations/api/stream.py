"""`/v1/ConversationsStream?token=...`: a websocket for members and supervisors.

Each committed event of the pillar is offered to the account's open streams; a stream
gets it only when its reader's scope (the one point-of-view predicate) allows it. A
membership or history change recomputes the scopes of the account's streams from the
store; removals are checked against the scope from before the change, so a member
hears that they were removed, then nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from switchboard.conversations.api import serializers as ser
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services.access import scope_for, viewer_of
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.events import SCOPE_CHANGES
from switchboard.conversations.services.tokens import TokenRejected, verify
from switchboard.conversations.services.typing import TYPING
from switchboard.wire.deps import deps

PATH = "/v1/ConversationsStream"
CLOSE_UNAUTHORIZED = 4401
CLOSE_OVERFLOW = 4408
QUEUE_LIMIT = 1000


@dataclass(eq=False)
class Listener:
    """One open stream: whose view, and what waits to be sent."""

    account_sid: str
    identity: str
    base: str
    outgoing: asyncio.Queue[dict[str, Any] | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    scope: Scope | None = None  # None: stale, recomputed before the next check


class StreamHub:
    """The account's open streams, fed from the pillar's bus."""

    def __init__(self, svc: Conversations) -> None:
        self.svc = svc
        self.by_account: dict[str, set[Listener]] = {}
        self._unsubscribe = svc.bus.subscribe(self.publish)

    def register(self, listener: Listener) -> None:
        self.by_account.setdefault(listener.account_sid, set()).add(listener)

    def unregister(self, listener: Listener) -> None:
        listeners = self.by_account.get(listener.account_sid, set())
        listeners.discard(listener)
        if not listeners:
            self.by_account.pop(listener.account_sid, None)

    async def scope(self, listener: Listener) -> Scope:
        if listener.scope is None:
            async with self.svc.store.read() as unit:
                viewer = await viewer_of(unit, listener.account_sid, listener.identity)
                listener.scope = await scope_for(unit, listener.account_sid, viewer)
        return listener.scope

    async def publish(self, event: dict[str, Any]) -> None:
        listeners = list(self.by_account.get(event["account_sid"], ()))
        removal = event["type"].endswith("Removed")
        changes_scope = event["type"] in SCOPE_CHANGES
        frames: dict[str, dict[str, Any]] = {}
        for listener in listeners:
            if changes_scope and not removal:
                listener.scope = None  # an addition counts from now on
            if visible(await self.scope(listener), event):
                frame = frames.get(listener.base) or self.frame(event, listener.base)
                frames[listener.base] = frame
                offer(listener, frame)
            if changes_scope and removal:
                listener.scope = None  # a removal was heard with the scope from before
                await self.scope(listener)

    def frame(self, event: dict[str, Any], base: str) -> dict[str, Any]:
        """What a stream receives: the event type and the resource as the REST API renders it."""
        kind = event["type"]
        record = event["record"]
        frame: dict[str, Any] = {"type": kind, "conversation_sid": event["conversation_sid"]}
        if kind == TYPING:  # who started typing (nothing stored)
            frame["participant_sid"] = record["participant_sid"]
            frame["identity"] = record["identity"]
            frame["address"] = record["address"]
        elif "Message" in kind:
            frame["message"] = ser.message(r.Message(**record), event["body"], None, base)
        elif "Participant" in kind:
            frame["participant"] = ser.participant(r.Participant(**record), base)
        else:
            row_i = r.Interaction(**record)
            frame["conversation"] = ser.interaction(
                row_i, base, Scope(everything=False), self.svc.clock.now_ms()
            )
        return frame

    def close(self) -> None:
        self._unsubscribe()


def visible(scope: Scope, event: dict[str, Any]) -> bool:
    """The point-of-view predicate applied to an event."""
    if event["index"] is not None:
        return scope.sees_message(event["conversation_sid"], event["index"])
    return scope.sees_interaction(event["conversation_sid"])


def offer(listener: Listener, frame: dict[str, Any]) -> None:
    try:
        listener.outgoing.put_nowait(frame)
    except asyncio.QueueFull:
        with contextlib.suppress(asyncio.QueueEmpty):
            listener.outgoing.get_nowait()
        listener.outgoing.put_nowait(None)  # a reader this far behind is closed


async def conversations_stream(websocket: WebSocket) -> None:
    """Verify the token, then push what the reader may see until either side leaves."""
    registry = deps(websocket)
    hub = registry.get(StreamHub)
    await websocket.accept()
    try:
        if hub.svc.keys is None:
            raise TokenRejected("streams are not enabled")
        claims = await verify(hub.svc.keys, websocket.query_params.get("token"))
    except TokenRejected as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=str(exc))
        return
    base = str(websocket.base_url).replace("ws", "http", 1).rstrip("/") + "/v1"
    listener = Listener(claims.account_sid, claims.identity, base)
    hub.register(listener)
    try:
        await hub.scope(listener)  # as of now: later changes keep it current
        await websocket.send_json({"type": "ready", "identity": claims.identity})
        await _serve(websocket, listener)
    finally:
        hub.unregister(listener)


async def _serve(websocket: WebSocket, listener: Listener) -> None:
    reader = asyncio.create_task(_drain_incoming(websocket))
    try:
        while True:
            getter = asyncio.create_task(listener.outgoing.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                getter.cancel()
                return
            frame = getter.result()
            if frame is None:
                await websocket.close(code=CLOSE_OVERFLOW, reason="too far behind")
                return
            await websocket.send_json(frame)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def _drain_incoming(websocket: WebSocket) -> None:
    """The stream is one-way; reading only notices the client leaving."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()
