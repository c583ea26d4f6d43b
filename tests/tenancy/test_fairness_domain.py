"""The pure scheduling policy: weighted round-robin lanes and the throttling rate cap."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.tenancy.domain.fairness import FairQueue, TokenBucket, weight_for


def drain(queue: FairQueue[int]) -> list[str]:
    order = []
    while (popped := queue.pop()) is not None:
        order.append(popped[0])
    return order


def test_equal_weights_alternate() -> None:
    queue: FairQueue[int] = FairQueue(max_per_account=10)
    for i in range(3):
        queue.push("noisy", i, 1.0)
    queue.push("quiet", 0, 1.0)
    assert drain(queue) == ["noisy", "quiet", "noisy", "noisy"]


def test_weights_set_the_share() -> None:
    queue: FairQueue[int] = FairQueue(max_per_account=100)
    for i in range(40):
        queue.push("premium", i, 4.0)
        queue.push("free", i, 1.0)
    first_ten = Counter(drain(queue)[:10])
    assert first_ten == {"premium": 8, "free": 2}


def test_a_full_lane_refuses_and_others_still_queue() -> None:
    queue: FairQueue[int] = FairQueue(max_per_account=2)
    assert queue.push("a", 1, 1.0) and queue.push("a", 2, 1.0)
    assert not queue.push("a", 3, 1.0)
    assert queue.push("b", 1, 1.0)
    assert (len(queue), queue.waiting("a"), queue.waiting("zz")) == (3, 2, 0)


def test_removing_a_waiting_item() -> None:
    queue: FairQueue[int] = FairQueue(max_per_account=5)
    queue.push("a", 1, 1.0)
    assert queue.remove("a", 1)
    assert not queue.remove("a", 1)
    assert not queue and queue.pop() is None


def test_an_idle_lane_banks_no_credit() -> None:
    """A lane that comes back starts level with the others, not with old credit."""
    queue: FairQueue[int] = FairQueue(max_per_account=100)
    for i in range(20):
        queue.push("steady", i, 1.0)
    assert drain(queue)[:5] == ["steady"] * 5
    for i in range(10):
        queue.push("steady", i, 1.0)
        queue.push("returning", i, 1.0)
    assert Counter(drain(queue)[:6]) == {"steady": 3, "returning": 3}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_per_account"):
        FairQueue[int](max_per_account=0)
    with pytest.raises(ValueError, match="weight"):
        FairQueue[int](max_per_account=1).push("a", 1, 0.0)
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0, burst=1)


def test_weights_by_plan_and_throttling() -> None:
    assert weight_for("premium", False) == 4.0
    assert weight_for("free", False) == 1.0
    assert weight_for("typo", False) == 1.0  # never more than the smallest plan
    assert weight_for("premium", True) == 0.1


def test_the_token_bucket_caps_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=2.0, updated=100.0)
    assert bucket.take(100.0) == 0.0
    assert bucket.take(100.0) == 0.0
    assert bucket.take(100.0) == pytest.approx(0.5)
    assert bucket.take(100.5) == 0.0


weights = st.sampled_from([0.1, 0.5, 1.0, 2.0, 4.0])


@given(st.lists(weights, min_size=1, max_size=6), st.integers(1, 400))
def test_backlogged_lanes_get_their_weighted_share(lane_weights: list[float], pops: int) -> None:
    """Stride scheduling's bound: after N turns each lane is within [-n, +1] of N*w/W."""
    queue: FairQueue[int] = FairQueue(max_per_account=pops + 1)
    for lane, weight in enumerate(lane_weights):
        for i in range(pops):
            queue.push(str(lane), i, weight)
    served: Counter[str] = Counter()
    for _ in range(pops):
        popped = queue.pop()
        assert popped is not None
        served[popped[0]] += 1
    total = sum(lane_weights)
    for lane, weight in enumerate(lane_weights):
        ideal = pops * weight / total
        assert -len(lane_weights) - 1e-6 <= served[str(lane)] - ideal <= 1 + 1e-6


@given(
    st.lists(st.tuples(st.integers(0, 5), weights), min_size=1, max_size=60),
    st.integers(0, 59),
)
def test_no_lane_starves(pushes: list[tuple[int, float]], probe: int) -> None:
    """Whatever else is queued, a waiting item is served within a bounded number of turns."""
    queue: FairQueue[int] = FairQueue(max_per_account=100)
    lane_weight: dict[str, float] = {}
    for i, (lane, weight) in enumerate(pushes):
        name = str(lane)
        weight = lane_weight.setdefault(name, weight)  # one weight per lane
        queue.push(name, i, weight)
    target = pushes[probe % len(pushes)]
    name, item = str(target[0]), probe % len(pushes)
    ahead = sum(1 for i, (lane, _) in enumerate(pushes) if str(lane) == name and i <= item)
    smallest = min(lane_weight.values())
    bound = sum(ahead / lane_weight[name] * w + 1 for w in lane_weight.values()) + 1
    bound += sum(w / smallest for w in lane_weight.values())
    turns = 0
    while (popped := queue.pop()) is not None:
        turns += 1
        if popped == (name, item):
            break
    assert turns <= bound


@given(st.lists(st.tuples(st.sampled_from("abc"), weights), max_size=40))
def test_the_order_is_deterministic(pushes: list[tuple[str, float]]) -> None:
    def run() -> list[tuple[str, int]]:
        queue: FairQueue[int] = FairQueue(max_per_account=100)
        for i, (lane, weight) in enumerate(pushes):
            queue.push(lane, i, weight)
        order = []
        while (popped := queue.pop()) is not None:
            order.append(popped)
        return order

    first = run()
    assert first == run()
    assert sorted(item for _, item in first) == list(range(len(pushes)))  # nothing lost
