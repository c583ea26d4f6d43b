"""Two app instances on one PostgreSQL database, both running the request sweep on the
same (fake) clock: a quiet customer gets exactly one "we noticed you went away" and one
closing message. The sweep runs in the process that owns the workspace's routing; and
when both sweep anyway (an owner change in flight), each clock's action is a conditional
update in the store, so only one of them sends it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.routing import Router
from switchboard.kernel.clock import FakeClock
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from tests.api.helpers import BASE_URL, activity_sids, create, create_workspace, listing, ok
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]
T = TypeVar("T")
NUDGE = "We noticed you went away. Reply here whenever you are ready."
CLOSING = "We are closing this request for now. Write again any time."
RATING = "How did we do? Reply with a rating from 1 to 5 and a comment."


@dataclass
class Instance:
    runtime: Runtime
    client: httpx.AsyncClient

    @property
    def router(self) -> Router:
        found: Router = self.runtime.deps.get(Router)
        return found

    async def settle(self) -> None:
        await self.runtime.dispatcher.wait_idle()
        await self.runtime.deps.get(Conversations).drain()


@dataclass
class Pair:
    clock: FakeClock
    a: Instance
    b: Instance
    workspace: str

    async def settle(self) -> None:
        for _ in range(3):
            await self.a.settle()
            await self.b.settle()

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await asyncio.sleep(0)  # the timers' sweeps start
        await self.settle()

    async def said(self, conversation: str) -> list[str]:
        found = await listing(self.a.client, f"/v1/Conversations/{conversation}/Messages")
        return [m["body"] for m in found]


async def eventually(probe: Callable[[], Awaitable[T | None]], seconds: float = 20) -> T:
    """Poll `probe` until it answers something (the instances talk over LISTEN/NOTIFY)."""
    for _ in range(int(seconds / 0.05)):
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("nothing came")


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    clock = FakeClock(int(datetime(2027, 1, 4, 9, tzinfo=UTC).timestamp() * 1000), tick_ms=1)
    try:
        async with AsyncExitStack() as stack:
            instances = []
            for _ in range(2):
                runtime = build_runtime(Settings(database_url=url), clock=clock)
                await stack.enter_async_context(runtime.app.router.lifespan_context(runtime.app))
                instances.append(runtime)
            account, token = await instances[0].core.accounts.create("Sweep")
            clients = []
            for runtime in instances:
                client = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=runtime.app),
                    base_url=BASE_URL,
                    auth=(account.sid, token),
                )
                await stack.enter_async_context(client)
                clients.append(client)
            a, b = (Instance(r, c) for r, c in zip(instances, clients, strict=True))
            yield await _organization(clock, a, b)
    finally:
        await drop_postgres_database(url)


async def _organization(clock: FakeClock, a: Instance, b: Instance) -> Pair:
    """One member, one queue, one workflow; customers quiet for a minute after the
    member's answer are nudged, for two they are retired."""
    space = await create_workspace(a.client, FriendlyName="Acme", MultiTaskEnabled="false")
    url = space["url"]
    activities = await activity_sids(a.client, url)
    queue = await create(a.client, f"{url}/TaskQueues", FriendlyName="All", TargetWorkers="1==1")
    routing = {
        "task_routing": {"filters": [{"expression": "1==1", "targets": [{"queue": queue["sid"]}]}]}
    }
    flow = await create(
        a.client, f"{url}/Workflows", FriendlyName="Requests", Configuration=json.dumps(routing)
    )
    await create(
        a.client,
        f"{url}/Workers",
        FriendlyName="Alice",
        Attributes=json.dumps({"identity": "alice"}),
        ActivitySid=activities["Available"],
    )
    profile = {
        "WorkspaceSid": space["sid"],
        "WorkflowSid": flow["sid"],
        "ProxyAddress": "web:acme",
        "InactiveAfter": "PT1M",
        "RetireFactor": "2",
    }
    ok(await b.client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    return Pair(clock, a, b, url)


async def _answered_request(pair: Pair) -> dict[str, Any]:
    """A customer writes through one instance; the member accepts and answers through
    the other."""
    data = {"From": "web:carol", "Body": "Hello, is anyone there?"}
    request = ok(await pair.b.client.post("/v1/Organizations/acme/Inbound", data=data))
    reservations = f"{pair.workspace}/Tasks/{request['task_sid']}/Reservations"

    async def offered() -> list[dict[str, Any]]:
        return await listing(pair.a.client, reservations, ReservationStatus="pending")

    [offer] = await eventually(offered)
    ok(await pair.a.client.post(offer["url"], data={"ReservationStatus": "accepted"}))

    async def joined() -> dict[str, Any] | None:
        found = ok(await pair.a.client.get(f"/v1/Requests/{request['sid']}"))
        return found if found["member"] == "alice" else None

    await eventually(joined)
    chat = request["conversation_sid"]
    answer = {"Author": "alice", "Body": "Hi, how can I help?"}
    ok(await pair.a.client.post(f"/v1/Conversations/{chat}/Messages", data=answer), 201)
    await pair.settle()
    return request


async def test_only_the_routing_owner_sweeps_a_workspaces_requests(pair: Pair) -> None:
    request = await _answered_request(pair)
    routed = [
        (i.router, ok(await i.client.get(f"{pair.workspace}/Routing"))["routed_here"])
        for i in (pair.a, pair.b)
    ]
    [owner] = [router for router, here in routed if here]
    [other] = [router for router, here in routed if not here]
    # the clocks ring in both instances; only the owner's sweep acts on the request
    for router in (owner, other):
        router.stop()
    pair.clock.advance(65)
    await other.sweep()
    await pair.settle()
    assert NUDGE not in await pair.said(request["conversation_sid"])
    await owner.sweep()
    await pair.settle()
    assert (await pair.said(request["conversation_sid"])).count(NUDGE) == 1
    # the timers of both instances ring: one closing message, one rating question
    for router in (owner, other):
        router.arm()
    await pair.advance(60)
    said = await pair.said(request["conversation_sid"])
    assert (said.count(NUDGE), said.count(CLOSING), said.count(RATING)) == (1, 1, 1)
    status = ok(await pair.b.client.get(f"/v1/Requests/{request['sid']}"))["status"]
    assert status == "retired"


async def test_two_sweeps_racing_over_one_request_send_each_message_once(pair: Pair) -> None:
    request = await _answered_request(pair)
    for instance in (pair.a, pair.b):
        instance.router.ownership = None  # both believe they own the workspace
    chat = request["conversation_sid"]
    pair.clock.advance(65)
    await asyncio.gather(pair.a.router.sweep(), pair.b.router.sweep())
    await pair.settle()
    assert (await pair.said(chat)).count(NUDGE) == 1
    pair.clock.advance(60)
    await asyncio.gather(pair.a.router.sweep(), pair.b.router.sweep())
    await pair.settle()
    said = await pair.said(chat)
    assert (said.count(NUDGE), said.count(CLOSING), said.count(RATING)) == (1, 1, 1)
