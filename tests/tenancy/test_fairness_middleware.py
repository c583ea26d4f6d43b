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

from switchboard.settings import Settings
from switchboard.tenancy.api.fairness import (
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


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_FAIRNESS", "off")
    monkeypatch.setenv("SWITCHBOARD_MAX_IN_FLIGHT", "8")
    monkeypatch.setenv("SWITCHBOARD_PLAN_WEIGHTS", "free=1, gold=8")
    settings = Settings().fairness_settings()
    assert not settings.enabled and settings.max_in_flight == 8
    assert settings.plan_weights == {"free": 1.0, "gold": 8.0}
    for name in ("SWITCHBOARD_FAIRNESS", "SWITCHBOARD_MAX_IN_FLIGHT", "SWITCHBOARD_PLAN_WEIGHTS"):
        monkeypatch.delenv(name)
    assert Settings().fairness_settings().plan_weights["premium"] == 4.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def slotted(clock: FakeClock, max_in_flight: int = 4) -> FairScheduler:
    config = FairnessSettings(max_in_flight=max_in_flight, max_wait_seconds=5.0)
    return FairScheduler(config, FixedStandings({}), clock)  # type: ignore[arg-type]


async def test_beside_a_busy_account_a_quiet_one_finds_a_free_slot_on_arrival(
    slow: SlowApp,
) -> None:
    """The noisy tenant holds a quarter of the slots while the quiet one is active, so the
    quiet request runs at once beside one noisy request instead of queueing behind four."""
    fair = slotted(FakeClock())
    async with client_for(slow.asgi(fair)) as client:
        earlier = asyncio.create_task(client.get("/work", auth=("quiet", "y")))
        await settle()
        slow.gate.release()
        await earlier
        noisy = [asyncio.create_task(client.get("/work", auth=("noisy", "x"))) for _ in range(8)]
        await settle()
        assert fair.running == {"noisy:" + identify_digest("x"): 1}
        quiet = asyncio.create_task(client.get("/work", auth=("quiet", "y")))
        await settle()
        assert slow.served.count("quiet") == 2  # admitted without waiting for a noisy one
        assert fair.in_flight == 2
        for _ in range(9):
            slow.gate.release()
            await settle()
        responses = await asyncio.gather(*noisy, quiet)
    assert all(r.status_code == 200 for r in responses)
    assert fair.in_flight == 0 and not fair.running


async def test_an_account_alone_uses_every_slot(slow: SlowApp) -> None:
    clock = FakeClock()
    fair = slotted(clock)
    async with client_for(slow.asgi(fair)) as client:
        quiet = asyncio.create_task(client.get("/work", auth=("quiet", "y")))
        await settle()
        slow.gate.release()
        await quiet
        clock.now += 1.5  # the quiet account has been silent for longer than the window
        noisy = [asyncio.create_task(client.get("/work", auth=("noisy", "x"))) for _ in range(6)]
        await settle()
        assert fair.in_flight == 4
        for _ in range(6):
            slow.gate.release()
            await settle()
        await asyncio.gather(*noisy)
    assert fair.in_flight == 0


def test_account_slots_default_to_a_quarter() -> None:
    from switchboard.tenancy.domain.fairness import account_slots

    assert [account_slots(n) for n in (1, 4, 8, 16)] == [1, 1, 2, 4]
    assert account_slots(8, 3) == 3 and account_slots(2, 5) == 2


def test_per_account_slots_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_MAX_IN_FLIGHT", "8")
    monkeypatch.setenv("SWITCHBOARD_MAX_IN_FLIGHT_PER_ACCOUNT", "3")
    settings = Settings().fairness_settings()
    assert settings.max_in_flight_per_account == 3
    assert FairScheduler(settings, FixedStandings({})).slots == 3  # type: ignore[arg-type]
    monkeypatch.delenv("SWITCHBOARD_MAX_IN_FLIGHT_PER_ACCOUNT")
    assert FairScheduler(Settings().fairness_settings(), FixedStandings({})).slots == 2  # type: ignore[arg-type]
