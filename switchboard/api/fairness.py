"""Fair request scheduling under overload: one noisy tenant cannot starve the others.

At most `max_in_flight` requests run at once. While a slot is free and nobody
waits, a request goes straight through (the fast path costs a counter). Beyond
that, requests wait in per-account lanes and free slots are handed out by the
weighted round-robin of :class:`~switchboard.domain.fairness.FairQueue`
(weights by plan; a fraud-throttled account gets a tiny weight plus a rate cap).
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
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy import select
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from switchboard.api.app import error_response
from switchboard.api.auth import basic_credentials
from switchboard.domain import sids
from switchboard.domain.errors import Unauthorized
from switchboard.domain.fairness import (
    DEFAULT_PLAN_WEIGHTS,
    THROTTLED_WEIGHT,
    FairQueue,
    TokenBucket,
    weight_for,
)
from switchboard.services.context import Services
from switchboard.store import tables as t
from switchboard.store.database import Store

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

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FairnessSettings:
        """`SWITCHBOARD_FAIRNESS` (1/0), `SWITCHBOARD_MAX_IN_FLIGHT`, `SWITCHBOARD_MAX_QUEUE`,
        `SWITCHBOARD_MAX_WAIT_SECONDS`, `SWITCHBOARD_PLAN_WEIGHTS`, `SWITCHBOARD_THROTTLED_*`."""
        return cls(
            enabled=env.get("SWITCHBOARD_FAIRNESS", "1").lower() not in ("0", "false", "off"),
            max_in_flight=int(env.get("SWITCHBOARD_MAX_IN_FLIGHT", "8")),
            max_queue_per_account=int(env.get("SWITCHBOARD_MAX_QUEUE", "128")),
            max_wait_seconds=float(env.get("SWITCHBOARD_MAX_WAIT_SECONDS", "10")),
            plan_weights=_plan_weights(env.get("SWITCHBOARD_PLAN_WEIGHTS")),
            throttled_weight=float(env.get("SWITCHBOARD_THROTTLED_WEIGHT", str(THROTTLED_WEIGHT))),
            throttled_rate=float(env.get("SWITCHBOARD_THROTTLED_RATE", "5")),
            throttled_burst=float(env.get("SWITCHBOARD_THROTTLED_BURST", "10")),
        )


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
        query = select(t.Account.plan, t.Account.fraud_stage).where(t.Account.sid == account_sid)
        async with self.store.read() as session:
            row = (await session.execute(query)).one_or_none()
        if row is None:
            return self.default
        throttled = row.fraud_stage == "throttled"
        weights = self.settings
        return Standing(
            weight_for(row.plan, throttled, weights.plan_weights, weights.throttled_weight),
            throttled,
        )


class FairScheduler:
    """Admission control: a global in-flight limit, per-lane queues, weighted turns."""

    def __init__(self, settings: FairnessSettings, standings: Standings) -> None:
        self.settings = settings
        self.standings = standings
        self.queue: FairQueue[asyncio.Future[None]] = FairQueue(settings.max_queue_per_account)
        self.in_flight = 0
        self._buckets: dict[str, TokenBucket] = {}

    async def admit(self, lane: str, account_sid: str | None) -> float | None:
        """None once admitted (then call :meth:`release`), else seconds to wait before retrying."""
        standing = await self.standings.of(account_sid)
        if standing.throttled and account_sid is not None:
            wait = self._bucket(account_sid).take(time.monotonic())
            if wait > 0:
                return wait
        if self.in_flight < self.settings.max_in_flight and not self.queue:
            self.in_flight += 1
            return None
        return await self._wait(lane, standing.weight)

    def release(self) -> None:
        """A request finished: its slot goes to the next lane in turn."""
        self.in_flight -= 1
        self._dispatch()

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
            self.release()  # a slot was granted that will not be used

    def _dispatch(self) -> None:
        while self.in_flight < self.settings.max_in_flight:
            popped = self.queue.pop()
            if popped is None:
                return
            ticket = popped[1]
            if not ticket.done():
                ticket.set_result(None)
                self.in_flight += 1

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
        try:
            await self.app(scope, receive, send)
        finally:
            self.scheduler.release()


def _too_many_requests(retry_after: float) -> ASGIApp:
    response = error_response(429, TOO_MANY_REQUESTS, "Too many requests: retry later")
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def install(app: FastAPI, services: Services) -> FairScheduler | None:
    """Add the middleware (outermost: install it last) unless fairness is turned off."""
    settings = FairnessSettings.from_env()
    if not settings.enabled:
        return None
    scheduler = FairScheduler(settings, Standings(services.store, settings))
    app.state.fair_scheduler = scheduler
    app.add_middleware(FairnessMiddleware, scheduler=scheduler)
    return scheduler
