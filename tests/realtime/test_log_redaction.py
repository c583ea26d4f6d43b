"""No credential reaches the server's log: not a worker's bearer token in the websocket
handshake line uvicorn writes, not an auth token (issue 11)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from switchboard.client import WorkerClient
from switchboard.wire.redaction import REDACTED, redact
from tests.live import HTTP_TIMEOUT, LiveServer, create_account


async def _open_channel(base_url: str, account_sid: str, worker_sid: str, token: str) -> None:
    async with WorkerClient.connect_to(base_url, account_sid, worker_sid, token) as worker:
        assert worker.snapshot["worker"]["sid"] == worker_sid


def test_a_live_server_log_holds_no_token(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    account_sid, auth_token = create_account(url)
    server = LiveServer(url, tmp_path / "server.log", log_level="info")
    server.start()
    try:
        with httpx.Client(
            base_url=server.base_url, auth=(account_sid, auth_token), timeout=HTTP_TIMEOUT
        ) as http:
            ws = http.post("/v1/Workspaces", data={"FriendlyName": "Logs"}).json()["sid"]
            wk = http.post(f"/v1/Workspaces/{ws}/Workers", data={"FriendlyName": "A"}).json()
            minted = http.post(f"/v1/Workspaces/{ws}/Workers/{wk['sid']}/Token").json()
        asyncio.run(_open_channel(server.base_url, account_sid, wk["sid"], minted["token"]))
    finally:
        server.stop()

    log = (tmp_path / "server.log").read_text()
    assert "WebSocket" in log  # the handshake was logged ...
    assert minted["token"] not in log  # ... without the bearer token
    assert auth_token not in log
    assert f"?token={REDACTED}" in log


def test_credentials_in_any_text_are_redacted() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert jwt not in redact(f"GET /v1/wschannels/AC1/WK1?token={jwt}&x=1")
    assert "x=1" in redact(f"GET /v1/wschannels/AC1/WK1?token={jwt}&x=1")
    assert jwt not in redact(f"a bare {jwt} in a message")
    assert "hunter2" not in redact("postgresql+asyncpg://app:hunter2@db/sb")
    assert "db/sb" in redact("postgresql+asyncpg://app:hunter2@db/sb")
    assert "s3cr3t" not in redact("Authorization: Basic s3cr3t")
    assert "abc123" not in redact("{'auth_token': 'abc123'}")
    assert redact("nothing secret here") == "nothing secret here"
