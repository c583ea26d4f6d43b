"""Rests: the ACD settings of a task's target that pause a worker (Switchboard extensions).

Contact centers coming from FreeSWITCH mod_callcenter or Asterisk app_queue expect a
worker to get a breather after a task (wrap-up time), not to be offered work again at
once after refusing or missing an offer (reject and no-answer delays), and to be taken
out of rotation only after several missed offers in a row (max no answer). The
settings sit on the workflow target that reserved the task (`workflow.Rests`); a
worker's own `wrap_up_seconds` attribute overrides the target's. A rest is stored on
the worker (`rest_until`), so it survives a restart; the routing owner does not offer
the worker anything until it ends.
"""

from __future__ import annotations

import json

from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.records import Task, Worker, Workflow
from switchboard.distribution.work.configs import current_step, task_config
from switchboard.kernel.ports import Unit


async def rests_of(unit: Unit, task: Task) -> wf.Rests:
    """The rests of the target the task is at (none when it has no workflow step)."""
    step = current_step(task)
    workflow = await unit.get(Workflow, task.workflow_sid) if task.workflow_sid else None
    if step is None or workflow is None:
        return wf.NO_RESTS
    try:
        return wf.target_at(await task_config(unit, task, workflow), step).rests
    except IndexError:  # the workflow changed under the task
        return wf.NO_RESTS


def rest(worker: Worker, seconds: int, now: int) -> None:
    """No offers for `seconds` from `now` (a longer rest already running stays)."""
    if seconds > 0:
        worker.rest_until = max(worker.rest_until or 0, now + seconds * 1000)


async def after_completion(unit: Unit, task: Task, worker: Worker, now: int) -> None:
    """Wrap-up time: the worker's own `wrap_up_seconds` attribute, else the target's."""
    own = json.loads(worker.attributes or "{}").get("wrap_up_seconds")
    if isinstance(own, int) and not isinstance(own, bool) and 0 <= own <= wf.MAX_REST_SECONDS:
        rest(worker, own, now)
    else:
        rest(worker, (await rests_of(unit, task)).wrap_up_seconds, now)


async def after_rejection(unit: Unit, task: Task, worker: Worker, now: int) -> None:
    rest(worker, (await rests_of(unit, task)).reject_delay_seconds, now)


async def after_no_answer(unit: Unit, task: Task, worker: Worker, now: int) -> bool:
    """Counts the miss and rests the worker; True when the worker should go to the
    workspace's timeout activity (every miss, unless the target sets `max_no_answer`)."""
    rests = await rests_of(unit, task)
    rest(worker, rests.no_answer_delay_seconds, now)
    worker.missed_in_a_row += 1
    if rests.max_no_answer is None or worker.missed_in_a_row >= rests.max_no_answer:
        worker.missed_in_a_row = 0
        return True
    return False


def after_acceptance(worker: Worker) -> None:
    worker.missed_in_a_row = 0
