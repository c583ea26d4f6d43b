"""Fair request scheduling under overload: one noisy tenant cannot starve the others.

At most `max_in_flight` requests run at once. While a slot is free and nobody
waits, a request goes straight through (the fast path costs a counter). Beyond
that, requests wait in per-account lanes and free slots are handed out by the
weighted round-robin of :class:`~switchboard.tenancy.domain.fairness.FairQueue`
(weights by plan; a fraud-throttled account gets a tiny weight plus a rate cap).

Per-account slots: while another account has sent a request within
`contention_seconds`, one account may hold at most `account_slots` of the slots (a
quarter by default), so a quiet tenant's request finds a free slot on arrival and
runs beside few of the noisy tenant's requests; its latency stays near its
unloaded latency however many slots there are. An account alone uses them all.
A request whose lane is full, or that waited `max_wait_seconds`, is answered 429
with `Retry-After` and Twilio's error 20429.

Lanes are keyed by the Basic credentials *as sent* (account sid plus a digest of
the password), before they are verified: someone guessing a victim's password
gets a lane of their own and cannot fill the victim's. The weight comes from the
account's plan and fraud stage, cached for a few seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from switchboard.kernel import sids, turns
from switchboard.kernel.errors import Unauthorized
from switchboard.kernel.ports import Store
from switchboard.tenancy.domain.fairness import (
    DEFAULT_PLAN_WEIGHTS,
    THROTTLED_WEIGHT,
    FairQueue,
    TokenBucket,
    account_slots,
    weight_for,
)
from switchboard.tenancy.domain.records import Account
from switchboard.wire.auth import basic_credentials
from switchboard.wire.errors import error_response

TOO_MANY_REQUESTS = 20429
EXEMPT_PATHS = frozenset({"/health", "/metrics"})  # probes must never queue
ANONYMOUS = "anonymous"


def _plan_weights(text: str | None) -> Mapping[str, float]:
    """`free=1,standard=2,premium=4` -> {"free": 1.0, ...}."""
    if not text:
        return DEFAULT_PLAN_WEIGHTS
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {name.strip(): float(value) for name, value in pairs}


@dataclass(frozen=True)
class FairnessSettings:
    enabled: bool = True
    max_in_flight: int = 8
    max_queue_per_account: int = 128
    max_wait_seconds: float = 10.0
    plan_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_PLAN_WEIGHTS)
    throttled_weight: float = THROTTLED_WEIGHT
    # requests per second (and burst) a fraud-throttled account may send at all
    throttled_rate: float = 5.0
    throttled_burst: float = 10.0
    # how long an account's plan and fraud stage are trusted before being read again
    standing_ttl_seconds: float = 5.0
    # slots one account may hold while others are active (0: a quarter of max_in_flight)
    max_in_flight_per_account: int = 0
    # another account counts as active this long after its last request
    contention_seconds: float = 1.0
    # longest a backlogged account's request steps aside, per store statement, while a
    # request of an account with nothing waiting runs (0: never step aside)
    max_pause_seconds: float = 0.05


@dataclass(frozen=True)
class Standing:
    weight: float
    throttled: bool


class Standings:
    """Each account's weight and throttling, read from the store and cached briefly."""

    def __init__(self, store: Store, settings: FairnessSettings) -> None:
        self.store = store
        self.settings = settings
        self.default = Standing(weight_for("", False, settings.plan_weights), False)
        self._cache: dict[str, tuple[Standing, float]] = {}

    async def of(self, account_sid: str | None) -> Standing:
        if account_sid is None or not sids.is_sid(account_sid, sids.ACCOUNT):
            return self.default
        cached = self._cache.get(account_sid)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        standing = await self._load(account_sid)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[account_sid] = (standing, time.monotonic() + self.settings.standing_ttl_seconds)
        return standing

    async def _load(self, account_sid: str) -> Standing:
        async with self.store.read() as unit:
            row = await unit.get(Account, account_sid)
        if row is None:
            return self.default
        throttled = row.fraud_stage == "throttled"
        weights = self.settings
        return Standing(
            weight_for(row.plan, throttled, weights.plan_weights, weights.throttled_weight),
            throttled,
        )


class FairScheduler:
    """Admission control: a global in-flight limit, per-account slots under contention,
    per-lane queues, weighted turns."""

    def __init__(
        self,
        settings: FairnessSettings,
        standings: Standings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.standings = standings
        self.clock = clock
        self.queue: FairQueue[asyncio.Future[None]] = FairQueue(settings.max_queue_per_account)
        self.in_flight = 0
        self.running: Counter[str] = Counter()  # requests in flight per lane
        self.slots = account_slots(settings.max_in_flight, settings.max_in_flight_per_account)
        self._seen: dict[str, float] = {}  # lane -> last arrival, oldest first
        self._buckets: dict[str, TokenBucket] = {}
        self._paused: list[asyncio.Future[None]] = []  # requests stepping aside

    async def admit(self, lane: str, account_sid: str | None) -> float | None:
        """None once admitted (then call :meth:`release`), else seconds to wait before retrying."""
        standing = await self.standings.of(account_sid)
        if standing.throttled and account_sid is not None:
            wait = self._bucket(account_sid).take(time.monotonic())
            if wait > 0:
                return wait
        self._arrived(lane)
        if self.in_flight < self.settings.max_in_flight and not self.queue and self._may_run(lane):
            self._grant(lane)
            return None
        return await self._wait(lane, standing.weight)

    def release(self, lane: str) -> None:
        """A request of `lane` finished: its slot goes to the next lane in turn."""
        self.in_flight -= 1
        self.running[lane] -= 1
        if self.running[lane] <= 0:
            del self.running[lane]
        self._dispatch()
        self._resume()

    async def step_aside(self, lane: str) -> None:
        """A turn point of a running request (see :mod:`switchboard.kernel.turns`).

        A request of a backlogged lane (one with requests waiting in the queue) waits
        here while a request of a lane with nothing waiting runs, for at most
        `max_pause_seconds` per turn point: the light request then has the loop to
        itself between its own awaits, instead of alternating with the heavy one. The
        cap keeps a stream of light requests from starving the heavy lane.
        """
        limit = self.settings.max_pause_seconds
        if limit <= 0 or not self.queue.waiting(lane) or not self._lighter_running(lane):
            return
        deadline = self.clock() + limit
        while self.queue.waiting(lane) and self._lighter_running(lane):
            remaining = deadline - self.clock()
            if remaining <= 0:
                return
            resumed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._paused.append(resumed)
            try:
                await asyncio.wait({resumed}, timeout=remaining)
            finally:
                if not resumed.done():
                    resumed.cancel()
                    self._paused.remove(resumed)

    def _lighter_running(self, lane: str) -> bool:
        """A request of another lane, one with nothing waiting, is running."""
        return any(other != lane and not self.queue.waiting(other) for other in self.running)

    def _resume(self) -> None:
        """Every paused request looks again (a light request may have finished)."""
        if self._paused:
            paused, self._paused = self._paused, []
            for resumed in paused:
                if not resumed.done():
                    resumed.set_result(None)

    def _arrived(self, lane: str) -> None:
        """Remember who is active; forget lanes quiet for longer than the window."""
        now = self.clock()
        self._seen.pop(lane, None)
        self._seen[lane] = now
        horizon = now - self.settings.contention_seconds
        while (oldest := next(iter(self._seen))) != lane and self._seen[oldest] < horizon:
            del self._seen[oldest]

    def _may_run(self, lane: str) -> bool:
        """Below its share of slots, or alone (nobody else active within the window)."""
        if self.running[lane] < self.slots:
            return True
        horizon = self.clock() - self.settings.contention_seconds
        return not any(at >= horizon for other, at in self._seen.items() if other != lane)

    def _grant(self, lane: str) -> None:
        self.in_flight += 1
        self.running[lane] += 1

    async def _wait(self, lane: str, weight: float) -> float | None:
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self.queue.push(lane, ticket, weight):
            return 1.0
        self._dispatch()  # a slot may be free while others wait (it is handed out in turn)
        try:
            await asyncio.wait({ticket}, timeout=self.settings.max_wait_seconds)
        except asyncio.CancelledError:  # the client went away while waiting
            self._abandon(lane, ticket)
            raise
        if ticket.done():
            return None
        self._abandon(lane, ticket)
        return max(1.0, self.settings.max_wait_seconds / 2)

    def _abandon(self, lane: str, ticket: asyncio.Future[None]) -> None:
        if self.queue.remove(lane, ticket):
            ticket.cancel()
        elif ticket.done() and not ticket.cancelled():
            self.release(lane)  # a slot was granted that will not be used

    def _dispatch(self) -> None:
        while self.in_flight < self.settings.max_in_flight:
            popped = self.queue.pop(self._may_run)
            if popped is None:
                return
            lane, ticket = popped
            if not ticket.done():
                ticket.set_result(None)
                self._grant(lane)

    def _bucket(self, account_sid: str) -> TokenBucket:
        bucket = self._buckets.get(account_sid)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._buckets.clear()
            bucket = TokenBucket(self.settings.throttled_rate, self.settings.throttled_burst)
            self._buckets[account_sid] = bucket
        return bucket


def identify(scope: Scope) -> tuple[str, str | None]:
    """(lane, claimed account sid) from the Basic credentials as sent, unverified."""
    try:
        username, password = basic_credentials(Headers(scope=scope).get("authorization"))
    except Unauthorized:
        return ANONYMOUS, None
    digest = hashlib.blake2b(password.encode(), digest_size=8).hexdigest()
    return f"{username}:{digest}", username


class FairnessMiddleware:
    """The ASGI face of :class:`FairScheduler` (HTTP only; websockets pass through)."""

    def __init__(self, app: ASGIApp, scheduler: FairScheduler) -> None:
        self.app = app
        self.scheduler = scheduler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        lane, account_sid = identify(scope)
        retry_after = await self.scheduler.admit(lane, account_sid)
        if retry_after is not None:
            await _too_many_requests(retry_after)(scope, receive, send)
            return
        token = turns.install(self._gate(lane))
        try:
            await self.scheduler.step_aside(lane)  # the first turn point: before any work
            await self.app(scope, receive, send)
        finally:
            turns.remove(token)
            self.scheduler.release(lane)

    def _gate(self, lane: str) -> turns.Gate:
        """The request's turn points, in the request's own task only: a task it starts
        (a routing pass, a callback scan) copies the context, and must not step aside
        on the request's behalf, least of all after the request has finished."""
        owner = asyncio.current_task()
        step_aside = self.scheduler.step_aside

        async def gate() -> None:
            if asyncio.current_task() is owner:
                await step_aside(lane)

        return gate


def _too_many_requests(retry_after: float) -> ASGIApp:
    response = error_response(429, TOO_MANY_REQUESTS, "Too many requests: retry later")
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def install(app: FastAPI, store: Store, settings: FairnessSettings) -> FairScheduler | None:
    """Add the middleware (outermost: install it last) unless fairness is turned off."""
    if not settings.enabled:
        return None
    scheduler = FairScheduler(settings, Standings(store, settings))
    app.add_middleware(FairnessMiddleware, scheduler=scheduler)
    return scheduler
