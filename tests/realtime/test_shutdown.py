"""Stopping the server closes worker sockets with 1001 ("going away"), as the protocol says.

uvicorn would close them itself with 1012 before the app's shutdown runs; the realtime
hub is stopped first (switchboard.serving), so workers hear "going away: reconnect".
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.live import HTTP_TIMEOUT, LiveServer, create_account

pytestmark = pytest.mark.slow


async def _worker(http: httpx.AsyncClient) -> tuple[str, str]:
    ws = (await http.post("/v1/Workspaces", data={"FriendlyName": "Stop"})).json()["sid"]
    path = f"/v1/Workspaces/{ws}/Workers"
    return ws, (await http.post(path, data={"FriendlyName": "Alice"})).json()["sid"]


async def _close_code(socket_url: str, server: LiveServer, first: str) -> tuple[int, str]:
    async with connect(socket_url) as socket:
        assert first in json.loads(await socket.recv())
        await asyncio.to_thread(server.stop)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket.recv(), 10)
    frame = closed.value.rcvd
    assert frame is not None, "the server dropped the connection without a close frame"
    return frame.code, frame.reason


@pytest.mark.parametrize(
    ("path", "first"),
    [("/v1/wschannels/{account}/{worker}", "type"), ("/v1/wschannels", "event_type")],
)
async def test_a_stopping_server_closes_worker_sockets_with_1001(
    tmp_path: Path, path: str, first: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stop.db'}"
    account, auth_token = await asyncio.to_thread(create_account, url)
    server = LiveServer(url, tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(
            base_url=server.base_url, auth=(account, auth_token), timeout=HTTP_TIMEOUT
        ) as http:
            ws, worker = await _worker(http)
        token = WorkerCapabilityToken(account, auth_token, ws, worker).to_jwt()
        channel = path.format(account=account, worker=worker)
        socket_url = f"ws{server.base_url.removeprefix('http')}{channel}?token={token}"
        assert await _close_code(socket_url, server, first) == (1001, "server stopping")
    finally:
        await asyncio.to_thread(server.stop)
