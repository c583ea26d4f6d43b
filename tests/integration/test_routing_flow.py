"""The engine end to end through the services, on a real SQLite database."""

from __future__ import annotations

from switchboard.distribution.domain.records import Task, Worker
from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.distribution.work.tasks import TaskUpdate, update_task
from tests.integration.conftest import Center


async def test_the_longest_idle_matching_worker_gets_the_task(center: Center) -> None:
    support = await center.queue("Support", "skills HAS 'support'")
    wf = await center.workflow({"task_routing": {"default_filter": {"queue": support}}})
    await center.worker("Sales", skills=["sales"])
    first = await center.worker("First", skills=["support"])
    await center.worker("Second", skills=["support"])
    task = await center.task(wf, type="support")
    await center.settle()
    [reservation] = await center.reservations(task_sid=task)
    assert reservation.worker_sid == first
    assert reservation.status == "pending"
    assert (await center.get(Task, task)).assignment_status == "reserved"


async def test_accept_then_complete_frees_the_worker_for_the_next_task(center: Center) -> None:
    queue = await center.queue("All")
    wf = await center.workflow({"task_routing": {"default_filter": {"queue": queue}}})
    worker = await center.worker("Solo")
    first = await center.task(wf)
    second = await center.task(wf)
    await center.settle()
    [reservation] = await center.reservations(status="pending")
    assert reservation.task_sid == first
    svc, acc, ws = center.svc, center.account_sid, center.workspace_sid
    await update_reservation(
        svc, acc, ws, reservation.sid, ReservationUpdate(reservation_status="accepted")
    )
    await update_task(svc, acc, ws, first, TaskUpdate(assignment_status="completed", reason="ok"))
    await center.settle()
    [following] = await center.reservations(status="pending")
    assert (following.task_sid, following.worker_sid) == (second, worker)
    assert (await center.get(Task, first)).assignment_status == "completed"
    types = await center.event_types()
    assert types.index("reservation.accepted") < types.index("task.completed")


async def test_higher_priority_waits_less(center: Center) -> None:
    queue = await center.queue("All")
    wf = await center.workflow(
        {
            "task_routing": {
                "filters": [
                    {"expression": "vip == true", "targets": [{"queue": queue, "priority": 10}]}
                ],
                "default_filter": {"queue": queue},
            }
        }
    )
    await center.task(wf, vip=False)
    vip = await center.task(wf, vip=True)
    await center.worker("Late")
    await center.settle()
    [reservation] = await center.reservations()
    assert reservation.task_sid == vip
    assert (await center.get(Task, vip)).priority == 10


async def test_reject_offers_the_task_to_the_next_worker(center: Center) -> None:
    queue = await center.queue("All")
    wf = await center.workflow({"task_routing": {"default_filter": {"queue": queue}}})
    a = await center.worker("A")
    b = await center.worker("B")
    task = await center.task(wf)
    await center.settle()
    [first] = await center.reservations()
    assert first.worker_sid == a
    await update_reservation(
        center.svc,
        center.account_sid,
        center.workspace_sid,
        first.sid,
        ReservationUpdate(reservation_status="rejected"),
    )
    await center.settle()
    second = (await center.reservations(status="pending"))[0]
    assert (second.task_sid, second.worker_sid) == (task, b)


async def test_reservation_timeout_moves_the_worker_to_the_timeout_activity(
    center: Center,
) -> None:
    queue = await center.queue("All")
    wf = await center.workflow({"task_routing": {"default_filter": {"queue": queue}}}, timeout=1)
    worker = await center.worker("Sleepy")
    task = await center.task(wf)
    await center.settle()
    await center.advance(0.9)
    [reservation] = await center.reservations()
    assert reservation.status == "pending"  # a timer, not a race: nothing moves before it
    await center.advance(0.3)
    [reservation] = await center.reservations()
    assert reservation.status == "timeout"
    row = await center.get(Worker, worker)
    assert row.activity_sid == center.activities["Offline"]
    assert not row.available
    assert (await center.get(Task, task)).assignment_status == "pending"


async def test_expanding_targets_widen_after_the_timeout(center: Center) -> None:
    experts = await center.queue("Experts", "level >= 5")
    everyone = await center.queue("Everyone")
    wf = await center.workflow(
        {
            "task_routing": {
                "filters": [
                    {
                        "expression": "1==1",
                        "targets": [{"queue": experts, "timeout": 1}, {"queue": everyone}],
                    }
                ]
            }
        }
    )
    novice = await center.worker("Novice", level=1)
    task = await center.task(wf)
    await center.settle()
    assert await center.reservations() == []
    await center.advance(1.2)
    [reservation] = await center.reservations()
    assert (reservation.task_sid, reservation.worker_sid) == (task, novice)
    assert reservation.task_queue_sid == everyone
    assert "task-queue.moved" in await center.event_types()


async def test_falling_off_the_last_target_cancels_the_task(center: Center) -> None:
    experts = await center.queue("Experts", "level >= 5")
    wf = await center.workflow(
        {
            "task_routing": {
                "filters": [{"expression": "1==1", "targets": [{"queue": experts, "timeout": 1}]}]
            }
        }
    )
    task = await center.task(wf)
    await center.settle()
    await center.advance(1.2)
    row = await center.get(Task, task)
    assert (row.assignment_status, row.reason) == ("canceled", "Workflow Timeout")
    assert "workflow.timeout" in await center.event_types()


async def test_skip_if_moves_on_when_nobody_is_available(center: Center) -> None:
    experts = await center.queue("Experts", "level >= 5")
    everyone = await center.queue("Everyone")
    wf = await center.workflow(
        {
            "task_routing": {
                "filters": [
                    {
                        "expression": "1==1",
                        "targets": [
                            {"queue": experts, "timeout": 300, "skip_if": "workers.available == 0"},
                            {"queue": everyone},
                        ],
                    }
                ]
            }
        }
    )
    await center.worker("Expert", activity="Offline", level=9)
    novice = await center.worker("Novice", level=1)
    task = await center.task(wf)
    await center.settle()
    [reservation] = await center.reservations()
    assert (reservation.task_sid, reservation.worker_sid) == (task, novice)


async def test_task_ttl_cancels_a_waiting_task(center: Center) -> None:
    from switchboard.distribution.work.tasks import TaskCreate, create_task

    queue = await center.queue("All")
    wf = await center.workflow({"task_routing": {"default_filter": {"queue": queue}}})
    task = await create_task(
        center.svc, center.account_sid, center.workspace_sid, TaskCreate(workflow_sid=wf, timeout=1)
    )
    await center.settle()
    await center.advance(0.9)
    assert (await center.get(Task, task.sid)).assignment_status == "pending"
    await center.advance(0.3)
    row = await center.get(Task, task.sid)
    assert (row.assignment_status, row.reason) == ("canceled", "Task TTL Exceeded")


async def test_a_task_deep_in_the_queue_still_reaches_the_only_free_worker(
    center: Center,
) -> None:
    """Better tasks nobody can take do not hold up a worse one that someone can."""
    experts = await center.queue("Experts", "level >= 5")
    everyone = await center.queue("Everyone")
    wf = await center.workflow(
        {
            "task_routing": {
                "filters": [
                    {"expression": "kind == 'hard'", "targets": [{"queue": experts, "priority": 9}]}
                ],
                "default_filter": {"queue": everyone},
            }
        }
    )
    for _ in range(6):
        await center.task(wf, kind="hard")  # better tasks, but nobody can take them
    easy = await center.task(wf, kind="easy")
    novice = await center.worker("Novice", level=1)
    await center.settle()
    [reservation] = await center.reservations()
    assert (reservation.task_sid, reservation.worker_sid) == (easy, novice)


async def test_deleting_a_reserved_task_returns_the_worker_to_its_activity(
    center: Center,
) -> None:
    """Single-tasking: the offer moved the worker to the queue's reservation activity."""
    from switchboard.distribution.config.activities import create_activity
    from switchboard.distribution.config.workspaces import WorkspaceUpdate, update_workspace
    from switchboard.distribution.work.tasks import delete_task

    svc, acc, ws = center.svc, center.account_sid, center.workspace_sid
    await update_workspace(svc, acc, ws, WorkspaceUpdate(multi_task_enabled=False))
    busy = await create_activity(svc, acc, ws, "Busy", False)
    queue = await center.queue("All", reservation_activity_sid=busy.sid)
    wf = await center.workflow({"task_routing": {"default_filter": {"queue": queue}}})
    worker = await center.worker("Solo")
    task = await center.task(wf)
    await center.settle()
    assert (await center.get(Worker, worker)).activity_sid == busy.sid
    await delete_task(svc, acc, ws, task, None)
    row = await center.get(Worker, worker)
    assert (row.activity_sid, row.available) == (center.activities["Available"], True)
