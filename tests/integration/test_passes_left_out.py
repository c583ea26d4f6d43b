"""A routing pass runs when a change may let it offer something: an accept that takes
no one's slot back, and a completion while no work waits, leave the pass to the next
change that needs one (the writer's claim, `Unit.claim`), and nothing waits longer for it."""

from __future__ import annotations

from switchboard.distribution.domain.records import Reservation, Workspace
from switchboard.distribution.engine.resident import WorkspaceState
from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.distribution.work.tasks import TaskUpdate, update_task
from switchboard.kernel.changes import OPENS_NOTHING, Changes, Claim
from tests.integration.conftest import Center


async def _workflow(center: Center, max_reserved_workers: int = 1) -> str:
    queue_sid = await center.queue("All", max_reserved_workers=max_reserved_workers)
    return await center.workflow({"task_routing": {"default_filter": {"queue": queue_sid}}})


async def _answer(center: Center, offer: Reservation, status: str) -> None:
    update = ReservationUpdate(reservation_status=status)
    await update_reservation(
        center.svc, center.account_sid, center.workspace_sid, offer.sid, update
    )
    await center.settle()


async def _complete(center: Center, task: str) -> None:
    update = TaskUpdate(assignment_status="completed")
    await update_task(center.svc, center.account_sid, center.workspace_sid, task, update)
    await center.settle()


async def _offer(center: Center, task: str) -> Reservation:
    [offer] = await center.reservations(task_sid=task, status="pending")
    return offer


async def _picture_is_the_store(center: Center) -> None:
    kept = await center.dispatcher.settle(center.workspace_sid)
    async with center.svc.store.read() as unit:
        workspace = await unit.get(Workspace, center.workspace_sid)
        assert workspace is not None
        fresh = WorkspaceState(center.workspace_sid)
        await fresh.load(unit, workspace, center.svc.clock.now_ms())
    assert kept is not None and kept.describe() == fresh.describe()


async def test_an_accept_runs_no_pass(center: Center) -> None:
    await center.worker("Ann")
    workflow = await _workflow(center)
    task = await center.task(workflow)
    await center.settle()
    passes = center.dispatcher.passes
    await _answer(center, await _offer(center, task), "accepted")
    assert center.dispatcher.passes == passes
    await _picture_is_the_store(center)


async def test_a_completion_with_nothing_waiting_runs_no_pass(center: Center) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    first = await center.task(workflow)
    await center.settle()
    await _answer(center, await _offer(center, first), "accepted")
    passes = center.dispatcher.passes
    await _complete(center, first)
    assert center.dispatcher.passes == passes
    second = await center.task(workflow)
    await center.settle()
    assert (await _offer(center, second)).worker_sid == ann
    await _picture_is_the_store(center)


async def test_a_completion_while_work_waits_offers_it_to_the_freed_worker(
    center: Center,
) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    first = await center.task(workflow)
    await center.settle()
    await _answer(center, await _offer(center, first), "accepted")
    second = await center.task(workflow)
    await center.settle()
    assert await center.reservations(task_sid=second) == []  # Ann is busy
    await _complete(center, first)
    assert (await _offer(center, second)).worker_sid == ann
    await _picture_is_the_store(center)


async def test_an_accept_that_rescinds_other_offers_frees_those_workers_at_once(
    center: Center,
) -> None:
    await center.worker("Ann")
    await center.worker("Bob")
    workflow = await _workflow(center, max_reserved_workers=2)
    first = await center.task(workflow)
    await center.settle()
    offers = await center.reservations(task_sid=first, status="pending")
    assert len(offers) == 2
    second = await center.task(workflow)
    await center.settle()
    assert await center.reservations(task_sid=second) == []  # both hold an offer
    taker, other = offers
    await _answer(center, taker, "accepted")
    assert (await _offer(center, second)).worker_sid == other.worker_sid
    await _picture_is_the_store(center)


def test_a_claim_holds_only_for_the_changes_it_covers() -> None:
    class Task:
        pass

    class Worker:
        pass

    covered = Changes()
    covered.note(Task, ("WT1",))
    claim = Claim(OPENS_NOTHING, covered)
    same = Changes()
    same.note(Task, ("WT1",))
    assert claim.holds_for(same)
    more = Changes()
    more.note(Task, ("WT1",))
    more.note(Worker, ("WK1",))
    assert not claim.holds_for(more)
    assert not claim.holds_for(Changes.everything())
