"""Turn points: a backlogged account's running request steps aside for a lighter one.

Admission bounds how many of a noisy account's requests run; at a turn point (before
each store statement, see switchboard.kernel.turns) a request of an account with
requests waiting in the queue pauses while a request of an account with nothing waiting
runs, for at most `max_pause_seconds`, so the quiet request has the loop to itself.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from switchboard.database import SCHEMA, upgrade
from switchboard.kernel import turns
from switchboard.store.sql import SqlStore
from switchboard.tenancy.api.fairness import (
    FairnessMiddleware,
    FairnessSettings,
    FairScheduler,
    Standing,
    identify,
)
from switchboard.tenancy.domain.records import Account


class EqualStandings:
    async def of(self, account_sid: str | None) -> Standing:
        return Standing(1.0, False)


class SteppingApp:
    """Each request notes its start, waits until its account's work may begin (the noise
    is queued by then), passes one turn point, notes it, then waits to be released."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.begin: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.gates: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(0))

    async def work(self, request: Request) -> PlainTextResponse:
        account = identify(request.scope)[0].split(":")[0]
        self.log.append((account, "started"))
        await self.begin[account].wait()
        await turns.checkpoint()
        self.log.append((account, "past the turn point"))
        await self.gates[account].acquire()
        return PlainTextResponse("done")

    def asgi(self, scheduler: FairScheduler) -> FairnessMiddleware:
        return FairnessMiddleware(Starlette(routes=[Route("/work", self.work)]), scheduler)

    def past(self, account: str) -> int:
        return self.log.count((account, "past the turn point"))


def fair(max_pause: float = 5.0) -> FairScheduler:
    settings = FairnessSettings(max_in_flight=4, max_wait_seconds=5.0, max_pause_seconds=max_pause)
    return FairScheduler(settings, EqualStandings())  # type: ignore[arg-type]


@pytest.fixture
async def app() -> AsyncIterator[SteppingApp]:
    yield SteppingApp()


def client_for(asgi: FairnessMiddleware) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://t")


async def settle() -> None:
    for _ in range(30):
        await asyncio.sleep(0)


async def _quiet_running_then_noise(
    client: httpx.AsyncClient, app: SteppingApp, noisy_requests: int
) -> tuple[asyncio.Task[httpx.Response], list[asyncio.Task[httpx.Response]]]:
    app.begin["quiet"].set()
    quiet = asyncio.create_task(client.get("/work", auth=("quiet", "q")))
    await settle()
    assert app.past("quiet") == 1
    noisy = [
        asyncio.create_task(client.get("/work", auth=("noisy", "n"))) for _ in range(noisy_requests)
    ]
    await settle()  # one noisy request runs, the others queue (the quiet account is active)
    app.begin["noisy"].set()
    await settle()
    return quiet, noisy


async def test_a_backlogged_accounts_request_waits_at_a_turn_point_while_a_quiet_one_runs(
    app: SteppingApp,
) -> None:
    scheduler = fair()
    async with client_for(app.asgi(scheduler)) as client:
        quiet, noisy = await _quiet_running_then_noise(client, app, 3)
        # one noisy request holds its slot (the quiet account is active); two wait
        assert scheduler.running["noisy:" + identify_digest("n")] == 1
        assert app.past("noisy") == 0  # it stepped aside before its first statement
        app.gates["quiet"].release()
        assert (await quiet).status_code == 200
        await settle()
        assert app.past("noisy") == 1  # the quiet request finished: the noisy one goes on
        for _ in range(3):
            app.gates["noisy"].release()
            await settle()
        assert [r.status_code for r in await asyncio.gather(*noisy)] == [200, 200, 200]
    assert scheduler.in_flight == 0 and not scheduler._paused


async def test_an_account_with_nothing_waiting_does_not_step_aside(app: SteppingApp) -> None:
    scheduler = fair()
    async with client_for(app.asgi(scheduler)) as client:
        quiet, [noisy] = await _quiet_running_then_noise(client, app, 1)
        assert app.past("noisy") == 1  # one request each: nobody is backlogged
        app.gates["quiet"].release()
        app.gates["noisy"].release()
        await asyncio.gather(quiet, noisy)


async def test_a_pause_is_bounded_so_a_stream_of_quiet_requests_cannot_starve_the_noisy(
    app: SteppingApp,
) -> None:
    scheduler = fair(max_pause=0.05)
    async with client_for(app.asgi(scheduler)) as client:
        quiet, noisy = await _quiet_running_then_noise(client, app, 2)
        assert app.past("noisy") == 0
        started = time.monotonic()
        while app.past("noisy") == 0:  # the quiet request keeps running meanwhile
            assert time.monotonic() - started < 2.0
            await asyncio.sleep(0.01)
        assert time.monotonic() - started >= 0.04
        app.gates["quiet"].release()
        for _ in range(2):
            app.gates["noisy"].release()
            await settle()
        await asyncio.gather(quiet, *noisy)


async def test_pausing_can_be_turned_off(app: SteppingApp) -> None:
    scheduler = fair(max_pause=0)
    async with client_for(app.asgi(scheduler)) as client:
        quiet, noisy = await _quiet_running_then_noise(client, app, 3)
        assert app.past("noisy") == 1
        app.gates["quiet"].release()
        for _ in range(3):
            app.gates["noisy"].release()
            await settle()
        await asyncio.gather(quiet, *noisy)


def identify_digest(password: str) -> str:
    import hashlib

    return hashlib.blake2b(password.encode(), digest_size=8).hexdigest()


async def test_the_store_offers_a_turn_before_each_read_statement_and_each_transaction(
    tmp_path: Path,
) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 't.db'}", SCHEMA)
    turns_taken: list[str] = []

    async def gate() -> None:
        turns_taken.append("turn")

    try:
        await upgrade(store)
        token = turns.install(gate)
        try:
            async with store.transaction() as unit:
                account = Account(
                    sid="AC" + "1" * 32,
                    friendly_name="a",
                    auth_token_hash="x",
                    date_created=0,
                    date_updated=0,
                )
                unit.add(account)
            assert turns_taken == ["turn"]  # before the lock, none inside the transaction
            async with store.read() as unit:
                await unit.count(Account)
                await unit.count(Account)
            assert len(turns_taken) == 3
        finally:
            turns.remove(token)
        async with store.read() as unit:  # no gate installed: nothing to call
            await unit.count(Account)
        assert len(turns_taken) == 3
    finally:
        await store.dispose()


async def test_a_task_the_request_starts_does_not_step_aside_for_it(app: SteppingApp) -> None:
    """A routing pass or callback scan started by a request copies its context; its
    turn points are not the request's (it may outlive the request)."""
    scheduler = fair()
    spawned: list[str] = []
    started: list[asyncio.Task[None]] = []

    async def spawn_then_work(request: Request) -> PlainTextResponse:
        account = identify(request.scope)[0].split(":")[0]

        async def background() -> None:
            await turns.checkpoint()
            spawned.append(account)

        started.append(asyncio.get_running_loop().create_task(background()))
        return await app.work(request)

    routes = [Route("/work", spawn_then_work)]
    asgi = FairnessMiddleware(Starlette(routes=routes), scheduler)
    async with client_for(asgi) as client:
        quiet, noisy = await _quiet_running_then_noise(client, app, 3)
        assert app.past("noisy") == 0  # the request itself waits ...
        assert spawned == ["quiet", "noisy"]  # ... the task it started does not
        assert all(task.done() for task in started)
        app.gates["quiet"].release()
        for _ in range(3):
            app.gates["noisy"].release()
            await settle()
        await asyncio.gather(quiet, *noisy)
