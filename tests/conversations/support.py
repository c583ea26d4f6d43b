"""An in-process websocket client for the ASGI app (httpx speaks no websocket)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlencode

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant

STREAM = "/v1/ConversationsStream"


def chat_token(account_sid: str, auth_token: str, identity: str, ttl: int = 3600) -> str:
    """A Twilio access token with a chat grant, as the SDK makes it (issuer: the account)."""
    token = AccessToken(account_sid, account_sid, auth_token, identity=identity, ttl=ttl)
    token.add_grant(ChatGrant(service_sid="IS" + "0" * 32))
    return str(token.to_jwt())


class Socket:
    """One websocket on an ASGI app: every frame the server sent, and its close, if any."""

    def __init__(self, app: Any, path: str, token: str) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[MutableMapping[str, Any]] = []
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": urlencode({"token": token}).encode(),
            "headers": [(b"host", b"testserver")],
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
            "subprotocols": [],
            "state": {},
        }
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.inbox.get, self._send))

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        self.sent.append(message)

    def frames(self) -> list[dict[str, Any]]:
        return [json.loads(m["text"]) for m in self.sent if m["type"] == "websocket.send"]

    def closed(self) -> MutableMapping[str, Any] | None:
        return next((m for m in self.sent if m["type"] == "websocket.close"), None)

    async def ready(self, timeout: float = 5.0) -> None:
        """Until the server said `ready` (or closed)."""
        for _ in range(int(timeout / 0.01)):
            if self.frames() or self.closed() or self.task.done():
                return
            await asyncio.sleep(0.01)

    async def settle(self, rounds: int = 20) -> None:
        """Let queued frames go out."""
        for _ in range(rounds):
            await asyncio.sleep(0)
        await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)


def stream(app: Any, token: str) -> Socket:
    return Socket(app, STREAM, token)
