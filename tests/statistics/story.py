"""The hand-computed scenario most statistics tests read.

Three workers, one queue, a workflow whose default filter sends every task
there. Five tasks arrive one after the other: the first three are reserved,
T1 and T2 are accepted, T3 is rejected (its worker goes Offline), T4 is
canceled while pending, T5 keeps waiting. Everyone then goes Offline and T1
is completed. Afterwards the instants of the events that matter are pinned:

=====  =========  ==============  ==========  ==========================
task   created    entered queue   answered    wait (ms)
=====  =========  ==============  ==========  ==========================
T1     B          B + 250         accepted    12 400 (in queue 12 150)
T2     B + 1 s    B + 1 250       accepted    31 600 (in queue 31 350)
T3     B + 2 s    B + 2 250       rejected    -
T4     B + 3 s    B + 3 250       canceled    45 500
T5     B + 4 s    B + 4 250       -           -
=====  =========  ==============  ==========  ==========================

`B` is ten minutes ago, on a whole second; every other event is moved to `B`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.statistics.helpers import Scene, now_ms

ACCEPT_WAITS = {0: 12_400, 1: 31_600}
CANCEL_WAITS = {3: 45_500}
ENTERED_AFTER = 250


@dataclass
class Story:
    scene: Scene
    base: int
    queue: str
    workflow: str
    workers: list[str]
    tasks: list[str]


async def tell(scene: Scene) -> Story:
    queue = await scene.queue("Support")
    workflow = await scene.workflow({"task_routing": {"default_filter": {"queue": queue}}})
    workers = [await scene.worker(f"W{i}") for i in (1, 2, 3)]
    tasks = []
    for _ in range(5):
        tasks.append(await scene.task(workflow))
        await scene.settle()
    for index in ACCEPT_WAITS:
        await scene.answer(tasks[index], "accepted")
    await scene.answer(tasks[2], "rejected", WorkerActivitySid=scene.activities["Offline"])
    await scene.update_task(tasks[3], AssignmentStatus="canceled", Reason="caller hung up")
    for worker in workers:
        await scene.move_worker(worker, "Offline")
    await scene.update_task(tasks[0], AssignmentStatus="completed", Reason="done")
    await scene.settle()
    base = (now_ms() - 600_000) // 1000 * 1000
    story = Story(scene, base, queue, workflow, workers, tasks)
    await _pin_instants(story)
    return story


async def _pin_instants(story: Story) -> None:
    scene, base = story.scene, story.base
    await scene.retime_all(base)
    dates: dict[str, int] = {}
    for index, task in enumerate(story.tasks):
        created = base + index * 1000
        dates[(await scene.event("task.created", task))["sid"]] = created
        entered = await scene.event("task-queue.entered", task)
        dates[entered["sid"]] = created + ENTERED_AFTER
        if index in ACCEPT_WAITS:
            accepted = await scene.event("reservation.accepted", task)
            dates[accepted["sid"]] = created + ACCEPT_WAITS[index]
        if index in CANCEL_WAITS:
            canceled = await scene.event("task.canceled", task)
            dates[canceled["sid"]] = created + CANCEL_WAITS[index]
    await scene.retime(dates)
