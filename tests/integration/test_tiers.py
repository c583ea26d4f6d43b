"""Tiers: a target's workers of level 1 first, the next level added after a wait."""

from __future__ import annotations

import pytest

from switchboard.distribution.domain.records import Task
from switchboard.kernel.errors import InvalidParameter
from tests.integration.conftest import Center

TIERS: dict[str, object] = {"levels": 2, "wait_seconds": 30}


async def _tiered_workflow(center: Center, tiers: dict[str, object] = TIERS) -> str:
    queue = await center.queue("Support")
    target = {"queue": queue, "tiers": tiers}
    routing = {"filters": [{"expression": "1==1", "targets": [target]}]}
    return await center.workflow({"task_routing": routing})


async def test_level_two_is_offered_the_task_only_after_the_wait(center: Center) -> None:
    await center.worker("First", activity="Offline", level=1)
    second = await center.worker("Second", level=2)
    workflow = await _tiered_workflow(center)
    task = await center.task(workflow)
    await center.settle()
    assert await center.reservations(task_sid=task) == []  # level 1 only, all offline
    await center.advance(29)
    assert await center.reservations(task_sid=task) == []
    await center.advance(2)
    [offer] = await center.reservations(task_sid=task)
    assert offer.worker_sid == second


async def test_a_level_one_worker_gets_the_task_at_once(center: Center) -> None:
    first = await center.worker("First", level=1)
    await center.worker("Second", level=2)
    task = await center.task(await _tiered_workflow(center))
    await center.settle()
    [offer] = await center.reservations(task_sid=task)
    assert offer.worker_sid == first


async def test_a_task_keeps_its_place_in_the_queue_while_the_tiers_widen(center: Center) -> None:
    workflow = await _tiered_workflow(center)
    older = await center.task(workflow)
    await center.advance(20)
    newer = await center.task(workflow)
    await center.advance(15)  # the older task reached level 2, the newer did not yet
    await center.advance(20)  # both did
    worker = await center.worker("Second", level=2)
    await center.settle()
    [offer] = await center.reservations(worker_sid=worker)
    assert offer.task_sid == older
    assert (await center.get(Task, newer)).assignment_status == "pending"


async def test_workers_without_a_level_are_never_offered_a_tiered_task(center: Center) -> None:
    await center.worker("Nobody")
    task = await center.task(await _tiered_workflow(center))
    await center.advance(100)
    assert await center.reservations(task_sid=task) == []


async def test_tiers_can_read_another_attribute_and_keep_the_targets_expression(
    center: Center,
) -> None:
    await center.worker("French", tier=1, lang="fr")
    english = await center.worker("English", tier=1, lang="en")
    queue = await center.queue("Support")
    target = {
        "queue": queue,
        "expression": "worker.lang == 'en'",
        "tiers": {"levels": 2, "wait_seconds": 5, "attribute": "tier"},
    }
    routing = {"filters": [{"expression": "1==1", "targets": [target]}]}
    task = await center.task(await center.workflow({"task_routing": routing}))
    await center.settle()
    [offer] = await center.reservations(task_sid=task)
    assert offer.worker_sid == english


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ({"levels": 1, "wait_seconds": 30}, "tiers.levels: must be between 2"),
        ({"levels": 21, "wait_seconds": 30}, "tiers.levels: must be between 2 and 20"),
        ({"levels": 2}, "tiers: needs 'levels'"),
        ({"levels": 2, "wait_seconds": 0}, "tiers.wait_seconds: must be between 1"),
        ({"levels": 2, "wait_seconds": 5, "attribute": "a b"}, "tiers.attribute"),
    ],
)
async def test_malformed_tiers_are_refused_on_save(
    center: Center, tiers: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        await _tiered_workflow(center, tiers)


async def test_tiers_on_the_default_filter_are_refused(center: Center) -> None:
    queue = await center.queue("Support")
    routing = {"default_filter": {"queue": queue, "tiers": TIERS}}
    with pytest.raises(InvalidParameter, match=r"default_filter\.tiers: needs a filter's target"):
        await center.workflow({"task_routing": routing})
