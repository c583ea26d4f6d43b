"""Web chat end to end over a real websocket, on SQLite and PostgreSQL: a visitor's message
becomes a conversation; a member's reply reaches the visitor's websocket; read positions
become read receipts; a reconnect brings the whole history; a bad token is refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from tests.callbacks.support import fast_settings
from tests.channels.provider import serve
from tests.live import HTTP_TIMEOUT

WIDGET = "acme-web"


@dataclass
class Deployment:
    runtime: Runtime
    url: str
    api: httpx.AsyncClient
    public: httpx.AsyncClient

    def stream(self, token: str) -> Any:
        ws = self.url.replace("http", "ws", 1)
        return connect(f"{ws}/v1/Channels/Chat/Stream?token={token}")


@pytest.fixture
async def d(database_url: str) -> AsyncIterator[Deployment]:
    settings = Settings(database_url=database_url, channel_chat=True, fairness=False)
    runtime = build_runtime(settings, outbound=fast_settings())
    async with serve(runtime.app) as url:
        account, token = await runtime.core.accounts.create("Acme")
        async with (
            httpx.AsyncClient(base_url=url, auth=(account.sid, token), timeout=HTTP_TIMEOUT) as api,
            httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as public,
        ):
            widget = {"Channel": "chat", "Address": WIDGET}
            assert (await api.post("/v1/Channels/Addresses", data=widget)).status_code == 201
            yield Deployment(runtime, url, api, public)


async def _frame(socket: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(socket.recv(), 10)))


async def _visitor(d: Deployment) -> dict[str, Any]:
    answer = await d.public.post(f"/v1/Channels/Chat/{WIDGET}/Visitors")
    assert answer.status_code == 201, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    return dict(answer.json())


async def test_a_visitor_chats_with_a_member_and_gets_the_history_back_on_reconnect(
    d: Deployment,
) -> None:
    visitor = await _visitor(d)
    async with d.stream(visitor["token"]) as socket:
        ready = await _frame(socket)
        assert (ready["type"], ready["history"]) == ("ready", [])
        await socket.send(json.dumps({"type": "message", "body": "Do you ship to Norway?"}))
        assert (await _frame(socket))["type"] == "sent"

        [conversation] = (await d.api.get("/v1/Conversations")).json()["conversations"]
        path = f"/v1/Conversations/{conversation['sid']}"
        [first] = (await d.api.get(f"{path}/Messages")).json()["messages"]
        assert (first["author"], first["body"]) == (
            visitor["visitor_sid"],
            "Do you ship to Norway?",
        )

        await d.api.post(f"{path}/Participants", data={"Identity": "ada"})
        said = await d.api.post(f"{path}/Messages", data={"Author": "ada", "Body": "We do!"})
        assert said.status_code == 201
        reply = await _frame(socket)
        assert (reply["type"], reply["author"], reply["body"], reply["mine"]) == (
            "message",
            "ada",
            "We do!",
            False,
        )
        receipts = (await d.api.get(f"{path}/Messages/{said.json()['sid']}/Receipts")).json()
        assert [r["status"] for r in receipts["delivery_receipts"]] == ["delivered"]

        await socket.send(json.dumps({"type": "read", "index": reply["index"]}))
        assert (await _frame(socket)) == {"type": "read", "index": reply["index"]}
        members = (await d.api.get(f"{path}/Participants")).json()["participants"]
        outside = next(m for m in members if m["identity"] is None)
        assert outside["last_read_message_index"] == reply["index"]

        await socket.send(json.dumps({"type": "message", "body": ""}))
        assert (await _frame(socket))["type"] == "error"

    async with d.stream(visitor["token"]) as again:
        history = (await _frame(again))["history"]
        assert [(h["body"], h["mine"]) for h in history] == [
            ("Do you ship to Norway?", True),
            ("We do!", False),
        ]


async def test_a_bad_token_is_refused_and_the_widget_script_is_served(d: Deployment) -> None:
    async with d.stream("not-a-token") as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await _frame(socket)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401

    unknown = await d.public.post("/v1/Channels/Chat/nobody-web/Visitors")
    assert unknown.status_code == 404

    script = await d.public.get("/v1/Channels/Chat/widget.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "data-widget" in script.text and "/v1/Channels/Chat/Stream" in script.text
