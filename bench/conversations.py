"""Conversations: message fan-out to websockets, and a user's listing at 100 and 100k.

* **fan-out**: one conversation with ten chat participants, each with an open
  `/v1/ConversationsStream` websocket (in-process ASGI, SQLite file). Messages are
  posted one after another through the REST API; for each, the time from the POST
  until each of the ten sockets received its frame. Reported: messages posted per
  second (with the fan-out), and the p99 delivery latency over every (message, socket).
* **listing**: a user takes part in 20 conversations; the account holds 100, then
  100,000 conversations. The median time of `GET /v1/Conversations` read as that user
  (`X-Switchboard-Identity`) must not grow with the account: baseline is the 100 case.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant

from bench.center import open_core, sqlite_url
from bench.common import Config, Result, measuring, median, percentile
from switchboard.conversations.domain import records as r
from switchboard.conversations.services.configuration import default_configuration
from switchboard.database import upgrade
from switchboard.kernel import sids
from switchboard.runtime import Core, http_app

NAME = "conversations"
MEMBERS = 10
MINE = 20
CHUNK = 5_000


def _token(account: str, secret: str, identity: str) -> str:
    token = AccessToken(account, account, secret, identity=identity, ttl=3600)
    token.add_grant(ChatGrant(service_sid="IS" + "0" * 32))
    return str(token.to_jwt())


class _Socket:
    """One in-process websocket client that timestamps every frame it receives."""

    def __init__(self, app: Any, token: str) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.arrivals: dict[int, float] = {}
        self.ready = asyncio.Event()
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws",
            "path": "/v1/ConversationsStream", "raw_path": b"/v1/ConversationsStream",
            "root_path": "", "query_string": urlencode({"token": token}).encode(),
            "headers": [(b"host", b"bench")], "server": ("bench", 80),
            "client": ("127.0.0.1", 1), "subprotocols": [], "state": {},
        }  # fmt: skip
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.inbox.get, self._send))

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] != "websocket.send":
            return
        frame = json.loads(message["text"])
        if frame["type"] == "ready":
            self.ready.set()
        elif frame["type"] == "onMessageAdded":
            self.arrivals[frame["message"]["index"]] = time.perf_counter()

    async def close(self) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)


async def _fan_out(core: Core, messages: int) -> tuple[float, float]:
    app, _registry = http_app(core)
    account, token = await core.accounts.create("bench conversations")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", auth=(account.sid, token)
    ) as http:
        sid = (await http.post("/v1/Conversations", data={})).json()["sid"]
        for n in range(MEMBERS):
            await http.post(f"/v1/Conversations/{sid}/Participants", data={"Identity": f"m{n}"})
        sockets = [_Socket(app, _token(account.sid, token, f"m{n}")) for n in range(MEMBERS)]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in sockets)), 10)
        posted: dict[int, float] = {}
        started = time.perf_counter()
        for n in range(messages):
            posted[n] = time.perf_counter()
            await http.post(
                f"/v1/Conversations/{sid}/Messages", data={"Author": "m0", "Body": f"{n}"}
            )
        await _until(lambda: all(len(s.arrivals) == messages for s in sockets))
        elapsed = max(max(s.arrivals.values()) for s in sockets) - started
        latencies = [s.arrivals[i] - posted[i] for s in sockets for i in range(messages)]
        for socket in sockets:
            await socket.close()
    return messages / elapsed, percentile(latencies, 0.99)


async def _until(done: Any, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not done() and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)


def _interaction(account: str, service: r.Configuration, number: int, batch: int) -> r.Interaction:
    return r.Interaction(
        sid=f"CH{batch:08x}{number:024x}", account_sid=account,
        chat_service_sid=service.default_chat_service_sid,
        messaging_service_sid=service.default_messaging_service_sid,
        friendly_name=f"c{number}", unique_name=None, attributes="{}", state="active",
        inactive_after_ms=None, closed_after_ms=None, last_activity=1, parent_sid=None,
        history="shared", sequence_sid=None, conversation_sid=None, encryption=None,
        next_index=0, created_by=None, date_created=number, date_updated=number,
    )  # fmt: skip


async def _fill(core: Core, account: str, total: int) -> None:
    """`total` conversations, the user in `MINE` of them spread across the range."""
    service = default_configuration(account)
    async with core.store.transaction() as unit:
        unit.add(service)
    step = max(1, total // MINE)
    for start in range(0, total, CHUNK):
        async with core.store.transaction() as unit:
            for number in range(start, min(total, start + CHUNK)):
                row = _interaction(account, service, number, total)
                unit.add(row)
                if number % step == 0:
                    unit.add(
                        r.Participant(
                            sid=sids.new_sid(r.PARTICIPANT), account_sid=account,
                            interaction_sid=row.sid, identity="me", address=None,
                            proxy_address=None, projected_address=None, attributes="{}",
                            role_sid=None, last_read_message_index=None,
                            last_read_timestamp=None, joined_index=0, invited_index=0,
                            date_created=1, date_updated=1,
                        )
                    )  # fmt: skip


async def _listing(core: Core, total: int, requests: int) -> float:
    app, _registry = http_app(core)
    account, token = await core.accounts.create(f"bench listing {total}")
    await _fill(core, account.sid, total)
    timings = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", auth=(account.sid, token)
    ) as http:
        for _ in range(requests):
            started = time.perf_counter()
            response = await http.get("/v1/Conversations", headers={"X-Switchboard-Identity": "me"})
            timings.append(time.perf_counter() - started)
            assert len(response.json()["conversations"]) == MINE, response.text
    return median(timings)


async def _run(config: Config, workdir: Path) -> list[Result]:
    messages = 30 if config.quick else 500
    large = 1_000 if config.quick else 100_000
    requests = 5 if config.quick else 50
    core = open_core(sqlite_url(workdir / "conversations.db"))
    await upgrade(core.store)
    try:
        rate, p99 = await _fan_out(core, messages)
        small = await _listing(core, 100, requests)
        big = await _listing(core, large, requests)
    finally:
        await core.close()
    fan_note = f"{messages} messages, {MEMBERS} member websockets each, SQLite, in-process"
    return [
        Result(NAME, "messages/s with fan-out to 10 websockets", rate, "msg/s", notes=[fan_note]),
        Result(
            NAME, "p99 delivery latency (POST to frame)", p99, "s", better="lower", notes=[fan_note]
        ),
        Result(
            NAME,
            f"user's listing, {large:,} conversations in the account",
            big,
            "s",
            baseline=small,
            better="lower",
            notes=[f"median of {requests}; baseline: 100 conversations; the user is in {MINE}"],
        ),
    ]


def run(config: Config, workdir: Path) -> list[Result]:
    with measuring():  # the runner's earlier objects stay out of the collector's scans
        return asyncio.run(_run(config, workdir))
