"""Assignment callbacks against a real HTTP receiver: signature, instructions, fallback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from switchboard.distribution.domain.records import (
    CallbackCursor,
    Event,
    Reservation,
    Task,
    Worker,
)
from switchboard.outbound.records import CallbackDelivery
from tests.callbacks.support import Live, Receiver, eventually

ASSIGNMENT_PARAMS = {
    "AccountSid",
    "WorkspaceSid",
    "WorkflowSid",
    "TaskSid",
    "ReservationSid",
    "TaskQueueSid",
    "WorkerSid",
    "TaskAttributes",
    "WorkerAttributes",
    "TaskAge",
    "TaskPriority",
    "Timestamp",
}


async def _offer(live: Live, receiver: Receiver, **workflow: Any) -> tuple[str, str]:
    """A workspace, one available worker and one task; returns (worker, task)."""
    await live.workspace()
    queue = await live.queue("All")
    wf = await live.workflow(queue, **workflow)
    worker = await live.worker("Alice", contact_uri="client:alice")
    task = await live.task(wf, type="support")
    return worker, task


async def _reservation(live: Live, task: str, status: str) -> Reservation:
    async def check() -> Reservation | None:
        rows = await live.rows(Reservation, task_sid=task, status=status)
        return rows[0] if rows else None

    try:
        reservation: Reservation = await eventually(check)
    except AssertionError as slow:
        # say where it stopped: the offer, the callback's delivery, or its answer
        offers = [(r.sid, r.status) for r in await live.rows(Reservation, task_sid=task)]
        sent = [(d.status, d.error, d.attempt_log) for d in await live.rows(CallbackDelivery)]
        said = f"no {status} reservation: offers {offers}, deliveries {sent}"
        raise AssertionError(said) from slow
    return reservation


async def _delivery(live: Live, status: str, kind: str = "assignment") -> CallbackDelivery:
    async def check() -> CallbackDelivery | None:
        rows = await live.rows(CallbackDelivery, kind=kind, status=status)
        return rows[0] if rows else None

    delivery: CallbackDelivery = await eventually(check)
    return delivery


async def test_a_signed_callback_answering_accept_accepts_the_reservation(
    live: Live, receiver: Receiver
) -> None:
    receiver.answer("assign", {"instruction": "accept"})
    worker, task = await _offer(live, receiver, assignment_url=receiver.url("assign"))
    reservation = await _reservation(live, task, "accepted")
    [hit] = receiver.of("assign")
    assert set(hit.form) == ASSIGNMENT_PARAMS
    assert hit.form["ReservationSid"] == reservation.sid
    assert (hit.form["TaskSid"], hit.form["WorkerSid"]) == (task, worker)
    assert json.loads(hit.form["WorkerAttributes"]) == {"contact_uri": "client:alice"}
    assert json.loads(hit.form["TaskAttributes"]) == {"type": "support"}
    assert RequestValidator(live.auth_token).validate(hit.url, hit.form, hit.signature)
    assert not RequestValidator("not-the-token").validate(hit.url, hit.form, hit.signature)
    delivery = await _delivery(live, "delivered")
    assert delivery.instruction == '{"instruction":"accept"}'
    assert (await live.get(Task, task)).assignment_status == "assigned"


async def test_reject_with_an_activity_rejects_and_moves_the_worker(
    live: Live, receiver: Receiver
) -> None:
    await live.workspace()
    offline = live.activities["Offline"]
    receiver.answer("assign", {"instruction": "reject", "activity_sid": offline})
    queue = await live.queue("All")
    wf = await live.workflow(queue, assignment_url=receiver.url("assign"))
    worker = await live.worker("Bob")
    task = await live.task(wf)
    await _reservation(live, task, "rejected")
    moved = await eventually(lambda: _activity_is(live, worker, offline))
    assert moved
    assert (await live.get(Task, task)).assignment_status == "pending"


async def _activity_is(live: Live, worker_sid: str, activity_sid: str) -> bool:
    worker = await live.get(Worker, worker_sid)
    return bool(worker.activity_sid == activity_sid)


@pytest.mark.parametrize("instruction", ["conference", "dequeue"])
async def test_media_instructions_reach_the_adapter_and_accept_on_success(
    live: Live, receiver: Receiver, instruction: str
) -> None:
    adapter = live.media
    answer = {"instruction": instruction, "from": "+15550100", "timeout": 30, "record": False}
    receiver.answer("assign", answer)
    worker, task = await _offer(live, receiver, assignment_url=receiver.url("assign"))
    reservation = await _reservation(live, task, "accepted")
    [request] = adapter.requests
    assert (request.instruction, request.reservation_sid) == (instruction, reservation.sid)
    assert request.params == {"from": "+15550100", "timeout": "30", "record": "false"}
    assert request.to == "client:alice"  # no `to`: the worker's contact_uri
    [event] = await live.events("reservation.instruction")
    data = json.loads(event.event_data)
    assert (data["instruction"], data["instruction_result"]) == (instruction, "succeeded")
    assert json.loads(data["instruction_params"])["from"] == "+15550100"
    assert event.worker_sid == worker


async def test_a_failed_media_instruction_is_recorded_and_the_reservation_stays_pending(
    live: Live, receiver: Receiver
) -> None:
    live.media.fail = frozenset({"conference"})
    receiver.answer("assign", {"instruction": "conference"})
    _worker, task = await _offer(live, receiver, assignment_url=receiver.url("assign"))
    [event] = await eventually(lambda: live.events("reservation.instruction"))
    assert json.loads(event.event_data)["instruction_result"] == "failed"
    [reservation] = await live.rows(Reservation, task_sid=task)
    assert reservation.status == "pending"


async def test_call_without_accept_leaves_the_reservation_to_the_worker(
    live: Live, receiver: Receiver
) -> None:
    adapter = live.media
    answer = {"instruction": "call", "from": "+1", "url": "http://example.test/twiml"}
    receiver.answer("assign", answer)
    _worker, task = await _offer(live, receiver, assignment_url=receiver.url("assign"))
    await eventually(lambda: live.events("reservation.instruction"))
    assert [r.instruction for r in adapter.requests] == ["call"]
    [reservation] = await live.rows(Reservation, task_sid=task)
    assert reservation.status == "pending"


async def test_a_failing_primary_falls_back_to_the_fallback_url(
    live: Live, receiver: Receiver
) -> None:
    receiver.answer("primary", {"error": "boom"}, status=500)
    receiver.answer("fallback", {"instruction": "accept"})
    _worker, task = await _offer(
        live,
        receiver,
        assignment_url=receiver.url("primary"),
        fallback_url=receiver.url("fallback"),
    )
    await _reservation(live, task, "accepted")
    delivery = await _delivery(live, "delivered")
    assert delivery.attempts == 2
    assert [a["status"] for a in json.loads(delivery.attempt_log)] == [500, 200]
    [hit] = receiver.of("fallback")
    assert RequestValidator(live.auth_token).validate(hit.url, hit.form, hit.signature)


async def test_when_both_urls_fail_the_delivery_fails_and_the_reservation_stays_pending(
    live: Live, receiver: Receiver
) -> None:
    live.outbound.assignment_timeout = 0.5  # the hang is what this test is about
    receiver.hang("primary")
    receiver.answer("fallback", None, status=503)
    _worker, task = await _offer(
        live,
        receiver,
        assignment_url=receiver.url("primary"),
        fallback_url=receiver.url("fallback"),
    )
    delivery = await _delivery(live, "failed")
    log = json.loads(delivery.attempt_log)
    assert "timed out" in log[0]["error"]
    assert log[1]["status"] == 503
    [reservation] = await live.rows(Reservation, task_sid=task)
    assert reservation.status == "pending"
    async with live.http() as http:
        url = f"/v1/Workspaces/{live.workspace_sid}/CallbackDeliveries"
        listing = (await http.get(url, params={"Status": "failed", "Kind": "assignment"})).json()
    [record] = listing["callback_deliveries"]
    assert record["sid"] == delivery.sid
    assert record["attempts"] == 2
    assert listing["meta"]["key"] == "callback_deliveries"


async def test_an_empty_answer_leaves_the_reservation_to_the_worker(
    live: Live, receiver: Receiver
) -> None:
    receiver.answer("assign", None, status=200)
    _worker, task = await _offer(live, receiver, assignment_url=receiver.url("assign"))
    delivery = await _delivery(live, "delivered")
    assert delivery.instruction is None
    [reservation] = await live.rows(Reservation, task_sid=task)
    assert reservation.status == "pending"


async def test_an_assignment_callback_set_after_the_first_scans_gets_the_next_offer(
    live: Live, receiver: Receiver
) -> None:
    """With no callback anywhere the outbox reads no event at once; an assignment
    callback set on the workflow since is read by the next scan, a second later at most:
    the next offer is posted, late by that second at most, never lost."""
    await live.workspace()
    queue = await live.queue("All")
    wf = await live.workflow(queue)
    await live.worker("Alice")
    first = await live.task(wf)
    await _reservation(live, first, "pending")
    assert await eventually(lambda: _scanned(live))
    async with live.http() as http:
        response = await http.post(
            f"/v1/Workspaces/{live.workspace_sid}/Workflows/{wf}",
            data={"AssignmentCallbackUrl": receiver.url("assign")},
        )
        assert response.status_code == 200, response.text
    bob = await live.worker("Bob")
    second = await live.task(wf)
    await _reservation(live, second, "pending")

    async def posted() -> bool:
        return bool(receiver.of("assign"))

    await eventually(posted)
    [hit] = receiver.of("assign")
    assert (hit.form["TaskSid"], hit.form["WorkerSid"]) == (second, bob)


async def _scanned(live: Live) -> bool:
    """The outbox's cursor has passed the workspace's events so far."""
    events = await live.rows(Event, workspace_sid=live.workspace_sid)
    cursor = await live.get(CallbackCursor, live.workspace_sid)
    return cursor is not None and cursor.last_seq >= max(e.seq for e in events)
