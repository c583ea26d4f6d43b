"""Web chat typing indicators both ways, and web chat across server processes.

Typing (SQLite and PostgreSQL, real websockets): the visitor's `{"type": "typing"}` frame
reaches the members' conversation stream as `onTypingStarted`; a member's
`POST /v1/Conversations/{sid}/Typing` reaches the visitor's widget as
`{"type": "typing", "author": ...}`. Nothing is stored.

Processes (PostgreSQL): two app instances over one database; the visitor is connected to
the first; a member answers, and types, through the second; the visitor's socket on the
first gets both (relayed over LISTEN/NOTIFY) and the reply's receipt turns `delivered`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from switchboard.runtime import build_runtime
from switchboard.settings import Settings
from tests.callbacks.support import eventually, fast_settings
from tests.channels.provider import serve
from tests.conversations.support import chat_token
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres
from tests.live import HTTP_TIMEOUT

WIDGET = "acme-web"


async def _frame(socket: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(socket.recv(), 10)))


def _ws(url: str, path: str) -> Any:
    return connect(url.replace("http", "ws", 1) + path)


async def _visitor(public: httpx.AsyncClient) -> dict[str, Any]:
    answer = await public.post(f"/v1/Channels/Chat/{WIDGET}/Visitors")
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _first_message(
    socket: ClientConnection, api: httpx.AsyncClient, body: str = "Hello?"
) -> str:
    """The visitor writes; the conversation it opened, which ada joins."""
    assert (await _frame(socket))["type"] == "ready"
    await socket.send(json.dumps({"type": "message", "body": body}))
    assert (await _frame(socket))["type"] == "sent"
    [conversation] = (await api.get("/v1/Conversations")).json()["conversations"]
    joined = await api.post(
        f"/v1/Conversations/{conversation['sid']}/Participants", data={"Identity": "ada"}
    )
    assert joined.status_code == 201, joined.text
    return str(conversation["sid"])


async def test_typing_shows_both_ways(database_url: str) -> None:
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
            visitor = await _visitor(public)
            async with _ws(url, f"/v1/Channels/Chat/Stream?token={visitor['token']}") as socket:
                conversation = await _first_message(socket, api)
                stream_path = (
                    f"/v1/ConversationsStream?token={chat_token(account.sid, token, 'ada')}"
                )
                async with _ws(url, stream_path) as ada:
                    assert (await _frame(ada))["type"] == "ready"

                    # the visitor types: ada's stream shows it
                    await socket.send(json.dumps({"type": "typing"}))
                    shown = await _frame(ada)
                    assert (shown["type"], shown["conversation_sid"]) == (
                        "onTypingStarted",
                        conversation,
                    )
                    assert (shown["address"], shown["identity"]) == (visitor["visitor_sid"], None)

                    # ada types: the visitor's widget shows it
                    path = f"/v1/Conversations/{conversation}/Typing"
                    typed = await api.post(path, data={"Identity": "ada"})
                    assert typed.status_code == 202, typed.text
                    assert await _frame(socket) == {"type": "typing", "author": "ada"}
                    assert (await _frame(ada))["identity"] == "ada"  # members see it too

                    stranger = await api.post(path, data={"Identity": "mallory"})
                    assert stranger.status_code == 400
                    # nothing was stored: the conversation still holds one message
                    said = (await api.get(f"/v1/Conversations/{conversation}/Messages")).json()
                    assert [m["body"] for m in said["messages"]] == ["Hello?"]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.mark.postgres
async def test_a_visitor_on_one_process_hears_a_reply_sent_through_another(
    postgres_url: str,
) -> None:
    settings = Settings(database_url=postgres_url, channel_chat=True, fairness=False)
    first = build_runtime(settings, outbound=fast_settings())
    second = build_runtime(settings, outbound=fast_settings())
    async with AsyncExitStack() as stack:
        url_a = await stack.enter_async_context(serve(first.app))
        url_b = await stack.enter_async_context(serve(second.app))
        account, token = await first.core.accounts.create("Acme")
        api_a = await stack.enter_async_context(
            httpx.AsyncClient(base_url=url_a, auth=(account.sid, token), timeout=HTTP_TIMEOUT)
        )
        api_b = await stack.enter_async_context(
            httpx.AsyncClient(base_url=url_b, auth=(account.sid, token), timeout=HTTP_TIMEOUT)
        )
        public_a = await stack.enter_async_context(
            httpx.AsyncClient(base_url=url_a, timeout=HTTP_TIMEOUT)
        )
        widget = {"Channel": "chat", "Address": WIDGET}
        assert (await api_b.post("/v1/Channels/Addresses", data=widget)).status_code == 201

        visitor = await _visitor(public_a)
        async with _ws(url_a, f"/v1/Channels/Chat/Stream?token={visitor['token']}") as socket:
            conversation = await _first_message(socket, api_a, "Anyone there?")
            path = f"/v1/Conversations/{conversation}"

            typed = await api_b.post(f"{path}/Typing", data={"Identity": "ada"})
            assert typed.status_code == 202
            assert await _frame(socket) == {"type": "typing", "author": "ada"}

            said = await api_b.post(f"{path}/Messages", data={"Author": "ada", "Body": "Yes!"})
            assert said.status_code == 201, said.text
            reply = await _frame(socket)
            assert (reply["type"], reply["author"], reply["body"]) == ("message", "ada", "Yes!")

            async def delivered() -> bool:
                receipts = (
                    await api_b.get(f"{path}/Messages/{said.json()['sid']}/Receipts")
                ).json()["delivery_receipts"]
                return [r["status"] for r in receipts] == ["delivered"]

            await eventually(delivered)
