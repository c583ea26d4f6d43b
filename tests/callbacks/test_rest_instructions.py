"""`Instruction=dequeue|call|redirect|conference` on a REST reservation update use the adapter."""

from __future__ import annotations

import json

from switchboard.distribution.domain.records import Reservation
from switchboard.distribution.work.instructions import rest_params
from tests.callbacks.support import Live, eventually


async def _pending(live: Live) -> Reservation:
    await live.workspace()
    queue = await live.queue("All")
    wf = await live.workflow(queue)
    await live.worker("Alice", contact_uri="client:alice")
    task = await live.task(wf)

    async def check() -> Reservation | None:
        rows = await live.rows(Reservation, task_sid=task, status="pending")
        return rows[0] if rows else None

    reservation: Reservation = await eventually(check)
    return reservation


async def test_rest_dequeue_goes_through_the_adapter_and_accepts(live: Live) -> None:
    adapter = live.media
    reservation = await _pending(live)
    url = (
        f"/v1/Workspaces/{live.workspace_sid}/Tasks/{reservation.task_sid}"
        f"/Reservations/{reservation.sid}"
    )
    form = {"Instruction": "dequeue", "DequeueFrom": "+15550100", "DequeueTimeout": "20"}
    async with live.http() as http:
        response = await http.post(url, data=form)
    assert response.status_code == 200, response.text
    assert response.json()["reservation_status"] == "accepted"
    [request] = adapter.requests
    assert request.params == {"from": "+15550100", "timeout": "20"}
    [event] = await live.events("reservation.instruction")
    assert json.loads(event.event_data)["instruction"] == "dequeue"


async def test_rest_conference_on_a_finished_reservation_is_refused(live: Live) -> None:
    reservation = await _pending(live)
    base = f"/v1/Workspaces/{live.workspace_sid}/Workers/{reservation.worker_sid}"
    url = f"{base}/Reservations/{reservation.sid}"
    async with live.http() as http:
        await http.post(url, data={"ReservationStatus": "rejected"})
        response = await http.post(url, data={"Instruction": "conference", "To": "client:x"})
    assert response.status_code == 400
    assert "rejected" in response.json()["message"]


def test_rest_parameter_names_become_the_callback_names() -> None:
    assert rest_params("call", {"CallFrom": "+1", "CallStatusCallbackUrl": "http://x"}) == {
        "from": "+1",
        "status_callback_url": "http://x",
    }
    assert rest_params("conference", {"To": "a", "PostWorkActivitySid": "WA1"}) == {
        "to": "a",
        "post_work_activity_sid": "WA1",
    }
    assert rest_params("redirect", {"RedirectCallSid": "CA1"}) == {"call_sid": "CA1"}
    assert rest_params("supervise", {"SupervisorMode": "monitor"}) == {"supervisor_mode": "monitor"}
