"""The cost of a task creation and its routing pass with many workers, against few.

Issue 10 asks that nothing in a routing pass scan all workers. Four rows.

A target on a worker attribute: two identical centers
whose workflow targets `worker.lang == task.lang`: one with `many_workers` workers, one
with 50; in both, the 10 workers created last (so idle the shortest) speak French and
the rest English, and every task asks for French. The first ten tasks are offered
to the French workers, who are then full, so each later task waits. A pass that
scanned the queue would test every English worker against each new task, a cost
growing with the workforce; the owner keeps the queue's members grouped by `lang`
and reads the French group only. The second row is the same with a list of skills
(`worker.skills HAS task.lang`): each worker is in the group of every item of its
list.

Most of the workforce logged out: `many_workers` registered workers of whom 50 are
available, against 60 of whom 50 are; no target. A pass that listed the queue's members would
read every logged-out worker for each new task; the owner keeps apart the members
that may have room.

The same, with `skip_if`: the workflow's first target has `skip_if:
"workers.available == 0"` (nobody free: go to the default filter), checked once for
each task that no worker took at once. Counting the queue's workers by activity and by
room read every member; the owner keeps the counts by activity, and only ready members
can have room.

Most of the workforce idle: `many_workers` available workers, none busy, against
just enough for every task of the run (so no task waits in either); each task is
offered at once to the longest-idle worker. A pass that listed and sorted the queue's
ready workers to find the longest idle paid for every idle worker (12.4 ms per task
with 5,000 against 1.7 ms with 500, before the owner kept them in idle order). The
last row is the same with the target `worker.lang == task.lang` and everyone French:
the task's group is the whole idle workforce, kept in idle order as well.

Each task is created through the service layer and then routed by a pass of its own
(the dispatcher, waited for before the next creation): concurrent requests share a
pass, which would spread a scan over them. CPU per task, creation and pass.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bench.center import Center, create_center, open_core
from bench.common import Config, Result
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.work.tasks import TaskCreate, create_task

NAME = "task creation with many workers"
TARGET_RATIO = 1.5  # issue 10: no per-pass cost proportional to the workforce
FEW = 50
SPEAKERS = 10  # French speakers, created last
TARGET = "worker.lang == task.lang"
WARMUP = 20  # tasks: the picture's load and the first offers, not measured
SKIP_IF = "workers.available == 0"
SKILLED = "worker.skills HAS task.lang"
TARGETED = {"lang": "fr"}
PLAIN = {"type": "support"}


def _languages(total: int) -> Any:
    return lambda index: {"lang": "fr" if index >= total - SPEAKERS else "en", "n": index}


def _all_french(index: int) -> dict[str, Any]:
    return {"lang": "fr", "n": index}


def _skills(total: int) -> Any:
    def skills(index: int) -> dict[str, Any]:
        lang = "fr" if index >= total - SPEAKERS else "en"
        return {"skills": [lang, "support", f"desk-{index % 7}"], "n": index}

    return skills


async def _per_task(center: Center, tasks: int, attributes: dict[str, Any]) -> float:
    """CPU seconds per task created and routed, one pass each (`settle` runs it also
    for a task whose pass the dispatcher would put off while no worker has room)."""
    core = open_core(center.database_url)
    dispatcher = Dispatcher(core.services)
    params = TaskCreate(attributes=json.dumps(attributes), workflow_sid=center.workflow_sid)
    svc, account, workspace = core.services, center.account_sid, center.workspace_sid
    try:
        for _ in range(WARMUP):
            await create_task(svc, account, workspace, params)
            await dispatcher.settle(workspace)
        passes = dispatcher.passes
        cpu = time.process_time()
        for _ in range(tasks):
            await create_task(svc, account, workspace, params)
            await dispatcher.settle(workspace)
        spent = time.process_time() - cpu
        assert dispatcher.passes - passes >= tasks, "each creation makes a pass of its own"
        return spent / tasks
    finally:
        await dispatcher.stop()
        await core.close()


async def _measure(config: Config, workdir: Path) -> tuple[float, ...]:
    many = config.many_workers
    large = await create_center(
        workdir / "workers-many.db", many, attributes=_languages(many), target=TARGET
    )
    small = await create_center(
        workdir / "workers-few.db", FEW, attributes=_languages(FEW), target=TARGET
    )
    skilled = await create_center(
        workdir / "workers-skilled.db", many, attributes=_skills(many), target=SKILLED
    )
    skilled_few = await create_center(
        workdir / "workers-skilled-few.db", FEW, attributes=_skills(FEW), target=SKILLED
    )
    # most of the workforce logged out, as in a center with shifts (TaskRouter allows
    # 15,000 registered workers and 7,500 connected)
    away = await create_center(workdir / "workers-away.db", many, offline=many - FEW)
    near = await create_center(workdir / "workers-near.db", FEW + SPEAKERS, offline=SPEAKERS)
    skipping_away = await create_center(
        workdir / "workers-skip-away.db", many, offline=many - FEW, skip_if=SKIP_IF
    )
    skipping_near = await create_center(
        workdir / "workers-skip-near.db", FEW + SPEAKERS, offline=SPEAKERS, skip_if=SKIP_IF
    )
    tasks = config.diagnose_requests
    enough = tasks + WARMUP + SPEAKERS  # every task offered at once, a few left idle
    idle = await create_center(workdir / "workers-idle.db", max(many, enough), multi_task=False)
    idle_few = await create_center(workdir / "workers-idle-few.db", enough, multi_task=False)
    french = _all_french
    idle_targeted = await create_center(
        workdir / "workers-idle-fr.db",
        max(many, enough),
        multi_task=False,
        attributes=french,
        target=TARGET,
    )
    idle_targeted_few = await create_center(
        workdir / "workers-idle-fr-few.db",
        enough,
        multi_task=False,
        attributes=french,
        target=TARGET,
    )
    return (
        await _per_task(large, tasks, TARGETED),
        await _per_task(small, tasks, TARGETED),
        await _per_task(skilled, tasks, TARGETED),
        await _per_task(skilled_few, tasks, TARGETED),
        await _per_task(away, tasks, PLAIN),
        await _per_task(near, tasks, PLAIN),
        await _per_task(skipping_away, tasks, PLAIN),
        await _per_task(skipping_near, tasks, PLAIN),
        await _per_task(idle, tasks, PLAIN),
        await _per_task(idle_few, tasks, PLAIN),
        await _per_task(idle_targeted, tasks, TARGETED),
        await _per_task(idle_targeted_few, tasks, TARGETED),
    )


def run(config: Config, workdir: Path) -> list[Result]:
    (
        cpu,
        cpu_few,
        cpu_skilled,
        cpu_skilled_few,
        cpu_away,
        cpu_near,
        cpu_skip,
        cpu_skip_near,
        cpu_idle,
        cpu_idle_few,
        cpu_idle_targeted,
        cpu_idle_targeted_few,
    ) = asyncio.run(_measure(config, workdir))
    many, tasks = config.many_workers, config.diagnose_requests
    enough = tasks + WARMUP + SPEAKERS
    targeted = Result(
        NAME,
        f"CPU per task created and routed, target on a worker attribute, {many:,} workers vs {FEW}",
        cpu,
        "s",
        cpu_few,
        better="lower",
        notes=[
            f"{tasks} tasks through the service layer, each routed by a pass of its own; "
            f"target `{TARGET}`, every task French, the {SPEAKERS} French workers idle the "
            "shortest and full after the first ten offers (TaskRouter allows 15,000 "
            "workers per workspace)",
        ],
    )
    skilled = Result(
        NAME,
        f"CPU per task created and routed, target on a list of skills, {many:,} workers vs {FEW}",
        cpu_skilled,
        "s",
        cpu_skilled_few,
        better="lower",
        notes=[
            f"as the row above, with the target `{SKILLED}` and three skills per worker",
        ],
    )
    logged_out = Result(
        NAME,
        f"CPU per task created and routed, {many - FEW:,} of {many:,} workers logged out "
        f"vs {SPEAKERS} of {FEW + SPEAKERS}",
        cpu_away,
        "s",
        cpu_near,
        better="lower",
        notes=[
            f"{tasks} tasks, each routed by a pass of its own, no target; {FEW} workers "
            "available in both, full after the first offers",
        ],
    )
    skipping = Result(
        NAME,
        f"CPU per task created and routed, skip_if, {many - FEW:,} of {many:,} workers "
        f"logged out vs {SPEAKERS} of {FEW + SPEAKERS}",
        cpu_skip,
        "s",
        cpu_skip_near,
        better="lower",
        notes=[
            f"as the row above, with a first target whose skip_if is `{SKIP_IF}` (the "
            "workers are full after the first offers, so it fires and the task goes on to the "
            "default filter)",
        ],
    )
    idle = Result(
        NAME,
        f"CPU per task created and routed, {max(many, enough):,} workers idle vs {enough:,}",
        cpu_idle,
        "s",
        cpu_idle_few,
        better="lower",
        notes=[
            f"{tasks} tasks, each routed by a pass of its own, no target; every worker "
            "available and single-tasking, more of them than tasks in both, so each task "
            "is offered at once to the longest-idle worker",
        ],
    )
    idle_targeted = Result(
        NAME,
        f"CPU per task created and routed, target on a worker attribute, "
        f"{max(many, enough):,} workers idle vs {enough:,}",
        cpu_idle_targeted,
        "s",
        cpu_idle_targeted_few,
        better="lower",
        notes=[
            f"as the row above, with the target `{TARGET}` and every worker and task "
            "French: the task's group is the whole idle workforce",
        ],
    )
    why = (
        "profile the routing pass (py-spy) for a scan of the queue's members; the "
        "groups serve only a target's `==` and `HAS` conjuncts on a worker attribute"
    )
    return [
        result.judge(f"<= {TARGET_RATIO}x", (result.ratio or float("inf")) <= TARGET_RATIO, why)
        for result in (targeted, skilled, logged_out, skipping, idle, idle_targeted)
    ]
