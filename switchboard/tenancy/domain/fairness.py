"""Fair scheduling policy: per-account queues served by weighted round-robin.

The policy is stride scheduling. Each account with waiting requests has a lane
and a *pass* value; the lane with the smallest pass is served next and its pass
grows by ``1 / weight``. So over any stretch in which several accounts stay
backlogged, each is served in proportion to its weight (within one request),
and no lane can starve: every other lane's pass rises past it after finitely
many turns. A lane that empties is forgotten, so an idle account banks no
credit it could later spend in a burst; a lane (re)appearing starts at the
current virtual time, level with the lanes already waiting.

Deterministic: ties go to the lane that became active first. No clock and no
I/O here; the ASGI middleware in :mod:`switchboard.tenancy.api.fairness` owns both.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PLAN_WEIGHTS: Mapping[str, float] = {"free": 1.0, "standard": 2.0, "premium": 4.0}
THROTTLED_WEIGHT = 0.1


def account_slots(max_in_flight: int, configured: int = 0) -> int:
    """Requests one account may have running while another account is active too.

    A request's latency in one event loop grows with every other request running
    beside it, so a tenant's quiet request stays near its unloaded latency only when
    a busy neighbour holds few slots: a quarter of them by default (at least one),
    leaving the rest free for arrivals from other accounts. `configured` > 0 overrides.
    """
    if configured > 0:
        return min(configured, max_in_flight)
    return max(1, max_in_flight // 4)


def weight_for(
    plan: str,
    throttled: bool,
    plan_weights: Mapping[str, float] = DEFAULT_PLAN_WEIGHTS,
    throttled_weight: float = THROTTLED_WEIGHT,
) -> float:
    """An account's share: its plan's weight, or the throttled weight when fraud says so.

    An unknown plan gets the smallest plan weight: a typo must not buy priority.
    """
    if throttled:
        return throttled_weight
    return plan_weights.get(plan, min(plan_weights.values(), default=1.0))


@dataclass
class _Lane(Generic[T]):
    items: deque[T]
    weight: float
    pass_value: float
    order: int


@dataclass
class FairQueue(Generic[T]):
    """Waiting items per account; `pop` yields them in weighted round-robin order."""

    max_per_account: int
    _lanes: dict[str, _Lane[T]] = field(default_factory=dict)
    _virtual_time: float = 0.0
    _orders: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        if self.max_per_account < 1:
            raise ValueError("max_per_account must be at least 1")

    def __len__(self) -> int:
        return sum(len(lane.items) for lane in self._lanes.values())

    def __bool__(self) -> bool:
        return bool(self._lanes)

    def waiting(self, account: str) -> int:
        lane = self._lanes.get(account)
        return len(lane.items) if lane else 0

    def push(self, account: str, item: T, weight: float) -> bool:
        """Queue `item` for `account`; False when that account's lane is full."""
        if weight <= 0:
            raise ValueError("weight must be positive")
        lane = self._lanes.get(account)
        if lane is None:
            lane = _Lane(deque(), weight, self._virtual_time, next(self._orders))
            self._lanes[account] = lane
        if len(lane.items) >= self.max_per_account:
            return False
        lane.weight = weight
        lane.items.append(item)
        return True

    def pop(self, allowed: Callable[[str], bool] | None = None) -> tuple[str, T] | None:
        """The next (account, item) to serve, or None when nothing waits.

        `allowed` skips accounts that may not be served now (their concurrency slots
        are full); they keep their place and their pass value for the next turn.
        """
        lanes = [kv for kv in self._lanes.items() if allowed is None or allowed(kv[0])]
        if not lanes:
            return None
        account, lane = min(lanes, key=lambda kv: (kv[1].pass_value, kv[1].order))
        self._virtual_time = lane.pass_value
        lane.pass_value += 1.0 / lane.weight
        item = lane.items.popleft()
        if not lane.items:
            del self._lanes[account]
        return account, item

    def remove(self, account: str, item: T) -> bool:
        """Withdraw a waiting item (its client gave up); False when it is not queued."""
        lane = self._lanes.get(account)
        if lane is None or item not in lane.items:
            return False
        lane.items.remove(item)
        if not lane.items:
            del self._lanes[account]
        return True


@dataclass
class TokenBucket:
    """A rate cap: `rate` requests per second with bursts of up to `burst`."""

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float) -> float:
        """0.0 when a request may pass now (one token spent), else seconds until it may."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate
