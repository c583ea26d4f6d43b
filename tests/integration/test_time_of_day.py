"""Time-of-day targets (`taskrouter.currentTime` & co., UTC minutes, as in Twilio).

What fits changes only when the minute does: the routing owner plans everything again
at each new minute, and within a minute plans only what changed, as for any target.
"""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.distribution.work.tasks import TaskUpdate, update_task
from tests.integration.conftest import Center


def _minute_of(center: Center, seconds_later: float = 0) -> int:
    """`taskrouter.currentTime` (HHMM) of the fake clock, `seconds_later`."""
    moment = datetime.fromtimestamp(center.svc.clock.now_ms() / 1000 + seconds_later, tz=UTC)
    return moment.hour * 100 + moment.minute


async def _opening_next_minute(center: Center) -> tuple[str, float]:
    """A workflow whose target opens at the next minute, and the seconds until then."""
    queue = await center.queue("All")
    now_ms = center.svc.clock.now_ms()
    seconds_left = (60_000 - now_ms % 60_000) / 1000
    opens = _minute_of(center, seconds_left)
    if opens == 0:  # midnight: currentTime starts again; wait for the minute after
        seconds_left += 60
        opens = _minute_of(center, seconds_left)
    target = {"queue": queue, "expression": f"taskrouter.currentTime >= {opens}"}
    routing = {"task_routing": {"default_filter": target}}
    return await center.workflow(routing), seconds_left


async def test_a_task_waits_until_its_target_opens_at_the_next_minute(center: Center) -> None:
    worker = await center.worker("Ann")
    workflow, seconds_left = await _opening_next_minute(center)
    task = await center.task(workflow)
    await center.settle()
    assert await center.reservations(task_sid=task) == []
    await center.advance(seconds_left - 0.5)  # still the old minute: nothing to plan
    assert await center.reservations(task_sid=task) == []
    await center.advance(0.5)  # the new minute, and nothing else changed
    [offer] = await center.reservations(task_sid=task)
    assert offer.worker_sid == worker


async def test_within_the_minute_a_freed_worker_takes_the_waiting_task(center: Center) -> None:
    worker = await center.worker("Ann")
    workflow, seconds_left = await _opening_next_minute(center)
    first = await center.task(workflow)
    await center.advance(seconds_left)
    [offer] = await center.reservations(task_sid=first)
    second = await center.task(workflow)  # Ann is busy: it waits
    await center.settle()
    assert await center.reservations(task_sid=second) == []
    account, workspace = center.account_sid, center.workspace_sid
    accepted = ReservationUpdate(reservation_status="accepted")
    await update_reservation(center.svc, account, workspace, offer.sid, accepted)
    done = TaskUpdate(assignment_status="completed")
    await update_task(center.svc, account, workspace, first, done)
    await center.settle()  # the same minute: an incremental pass
    [again] = await center.reservations(task_sid=second)
    assert again.worker_sid == worker
