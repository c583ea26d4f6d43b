"""The fair-scheduling middleware over a deliberately slow app: turns, 429s and give-ups."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from switchboard.api.fairness import (
    FairnessMiddleware,
    FairnessSettings,
    FairScheduler,
    Standing,
    identify,
)


class FixedStandings:
    """Weights by account sid, no store."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights

    async def of(self, account_sid: str | None) -> Standing:
        return Standing(self.weights.get(account_sid or "", 1.0), False)


class SlowApp:
    """Each request waits at a gate; `served` records who got in, in order."""

    def __init__(self) -> None:
        self.gate = asyncio.Semaphore(0)
        self.served: list[str] = []

    async def work(self, request: Request) -> PlainTextResponse:
        lane, _ = identify(request.scope)
        self.served.append(lane.split(":")[0])
        await self.gate.acquire()
        return PlainTextResponse("done")

    async def health(self, _request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    def asgi(self, scheduler: FairScheduler) -> FairnessMiddleware:
        routes = [Route("/work", self.work), Route("/health", self.health)]
        return FairnessMiddleware(Starlette(routes=routes), scheduler)


def scheduler(weights: dict[str, float] | None = None, **settings: float) -> FairScheduler:
    config = FairnessSettings(
        max_in_flight=int(settings.get("max_in_flight", 1)),
        max_queue_per_account=int(settings.get("max_queue", 50)),
        max_wait_seconds=settings.get("max_wait", 5.0),
    )
    return FairScheduler(config, FixedStandings(weights or {}))  # type: ignore[arg-type]


@pytest.fixture
async def slow() -> AsyncIterator[SlowApp]:
    yield SlowApp()


def client_for(app: FairnessMiddleware) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_quiet_account_is_served_before_a_noisy_backlog(slow: SlowApp) -> None:
    fair = scheduler()
    async with client_for(slow.asgi(fair)) as client:
        noisy = [asyncio.create_task(client.get("/work", auth=("noisy", "x"))) for _ in range(6)]
        await settle()
        quiet = asyncio.create_task(client.get("/work", auth=("quiet", "y")))
        await settle()
        for _ in range(7):
            slow.gate.release()
            await settle()
        responses = await asyncio.gather(*noisy, quiet)
    assert all(r.status_code == 200 for r in responses)
    assert slow.served.index("quiet") <= 2  # one turn after the noisy requests in flight
    assert fair.in_flight == 0


async def test_weights_decide_the_turns(slow: SlowApp) -> None:
    fair = scheduler({"premium": 4.0, "free": 1.0})
    async with client_for(slow.asgi(fair)) as client:
        first = asyncio.create_task(client.get("/work", auth=("blocker", "z")))
        await settle()
        tasks = [
            asyncio.create_task(client.get("/work", auth=(name, "p")))
            for _ in range(5)
            for name in ("free", "premium")
        ]
        await settle()
        for _ in range(11):
            slow.gate.release()
            await settle()
        await asyncio.gather(first, *tasks)
    assert slow.served[1:6].count("premium") == 4


async def test_a_full_lane_is_answered_429_at_once(slow: SlowApp) -> None:
    fair = scheduler(max_queue=1)
    async with client_for(slow.asgi(fair)) as client:
        running = asyncio.create_task(client.get("/work", auth=("noisy", "x")))
        await settle()
        waiting = asyncio.create_task(client.get("/work", auth=("noisy", "x")))
        await settle()
        refused = await client.get("/work", auth=("noisy", "x"))
        other = asyncio.create_task(client.get("/work", auth=("quiet", "y")))
        await settle()
        for _ in range(3):
            slow.gate.release()
            await settle()
        await asyncio.gather(running, waiting, other)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json() == {
        "code": 20429,
        "message": "Too many requests: retry later",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
    assert other.result().status_code == 200


async def test_waiting_longer_than_the_limit_is_answered_429(slow: SlowApp) -> None:
    fair = scheduler(max_wait=0.05)
    async with client_for(slow.asgi(fair)) as client:
        running = asyncio.create_task(client.get("/work", auth=("a", "x")))
        await settle()
        late = await client.get("/work", auth=("b", "y"))
        assert late.status_code == 429 and late.headers["Retry-After"] == "1"
        assert not fair.queue
        slow.gate.release()
        await running
    assert fair.in_flight == 0


async def test_a_client_giving_up_while_queued_frees_its_place(slow: SlowApp) -> None:
    fair = scheduler()
    async with client_for(slow.asgi(fair)) as client:
        running = asyncio.create_task(client.get("/work", auth=("a", "x")))
        await settle()
        impatient = asyncio.create_task(client.get("/work", auth=("b", "y")))
        await settle()
        assert fair.queue.waiting("b:" + identify_digest("y")) == 1
        impatient.cancel()
        await settle()
        assert not fair.queue
        slow.gate.release()
        await running
    assert fair.in_flight == 0 and slow.served == ["a"]


def identify_digest(password: str) -> str:
    scope = {"type": "http", "headers": [(b"authorization", _basic("b", password))]}
    return identify(scope)[0].split(":", 1)[1]


def _basic(user: str, password: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{password}".encode())


async def test_health_checks_and_anonymous_requests(slow: SlowApp) -> None:
    fair = scheduler()
    async with client_for(slow.asgi(fair)) as client:
        running = asyncio.create_task(client.get("/work"))
        await settle()
        assert (await client.get("/health")).status_code == 200  # never queued
        slow.gate.release()
        await running
    assert identify({"type": "http", "headers": []}) == ("anonymous", None)
    garbage = {"type": "http", "headers": [(b"authorization", b"Basic !!!")]}
    assert identify(garbage) == ("anonymous", None)


def test_settings_from_the_environment() -> None:
    settings = FairnessSettings.from_env(
        {
            "SWITCHBOARD_FAIRNESS": "off",
            "SWITCHBOARD_MAX_IN_FLIGHT": "8",
            "SWITCHBOARD_PLAN_WEIGHTS": "free=1, gold=8",
        }
    )
    assert not settings.enabled and settings.max_in_flight == 8
    assert settings.plan_weights == {"free": 1.0, "gold": 8.0}
    assert FairnessSettings.from_env({}).plan_weights["premium"] == 4.0
