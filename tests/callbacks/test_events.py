"""Event callbacks: Twilio's form, signature, EventsFilter, retries and the failure record."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from functools import partial

from starlette.responses import Response
from twilio.request_validator import RequestValidator

from switchboard.distribution.domain.records import CallbackCursor, Event
from switchboard.outbound.records import CallbackDelivery
from tests.callbacks.support import Hit, Live, Receiver, eventually


async def _deliveries(live: Live, status: str) -> list[CallbackDelivery]:
    return await live.rows(CallbackDelivery, kind="event", status=status)


async def test_every_event_is_posted_signed_in_twilio_form(live: Live, receiver: Receiver) -> None:
    await live.workspace(event_url=receiver.url("events"))
    queue = await live.queue("All")
    wf = await live.workflow(queue)
    worker = await live.worker("Alice")
    task = await live.task(wf, type="support")
    # deliveries of one outbox pass go out side by side: any order
    expected = ("workspace.created", "worker.created", "task.created", "reservation.created")
    for event_type in expected:
        await eventually(partial(_has_hit, receiver, event_type))
    hits = {hit.form["EventType"]: hit for hit in receiver.of("events")}
    assert set(expected) <= set(hits)
    created = hits["reservation.created"]
    assert RequestValidator(live.auth_token).validate(created.url, created.form, created.signature)
    form = created.form
    assert form["ResourceType"] == "Reservation"
    assert (form["TaskSid"], form["WorkerSid"]) == (task, worker)
    assert form["WorkspaceName"] == "Live"
    assert form["AccountSid"] == live.account_sid
    assert form["Sid"].startswith("EV")
    assert form["Timestamp"].isdigit()
    assert json.loads(form["TaskAttributes"]) == {"type": "support"}
    assert {"EventDescription", "ResourceSid", "ReservationSid", "TaskQueueSid"} <= set(form)
    assert hits["task.created"].form["ResourceType"] == "Task"


async def _has_hit(receiver: Receiver, event_type: str) -> bool:
    return any(hit.form.get("EventType") == event_type for hit in receiver.of("events"))


async def test_events_filter_limits_what_is_sent(live: Live, receiver: Receiver) -> None:
    await live.workspace(
        event_url=receiver.url("events"), events_filter="task.created, task.canceled"
    )
    queue = await live.queue("All")
    wf = await live.workflow(queue)
    await live.worker("Alice")
    await live.task(wf)
    await live.task(wf)
    await eventually(lambda: _count(receiver, 2))
    await live.runtime.dispatcher.wait_idle()
    assert {hit.form["EventType"] for hit in receiver.of("events")} == {"task.created"}
    rows = await live.rows(CallbackDelivery, workspace_sid=live.workspace_sid)
    assert {row.event_type for row in rows} == {"task.created"}


async def _count(receiver: Receiver, n: int) -> bool:
    return len(receiver.of("events")) >= n


class FlakyPlan:
    """500 for the first `failures` requests, 204 afterwards."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen = 0

    def __call__(self, _hit: Hit) -> Awaitable[Response]:
        self.seen += 1
        status = 500 if self.seen <= self.failures else 204

        async def respond() -> Response:
            return Response(status_code=status)

        return respond()


async def test_a_failing_callback_is_retried_until_delivered(
    live: Live, receiver: Receiver
) -> None:
    receiver.on("events", FlakyPlan(2))
    await live.workspace(event_url=receiver.url("events"), events_filter="workspace.created")
    [delivery] = await eventually(lambda: _deliveries(live, "delivered"))
    assert delivery.attempts == 3
    assert [a["status"] for a in json.loads(delivery.attempt_log)] == [500, 500, 204]
    assert len(receiver.of("events")) == 3


async def test_after_the_last_attempt_the_failure_is_recorded_and_listed(
    live: Live, receiver: Receiver
) -> None:
    receiver.answer("events", {"error": "down"}, status=500)
    await live.workspace(event_url=receiver.url("events"), events_filter="workspace.created")
    [delivery] = await eventually(lambda: _deliveries(live, "failed"))
    attempts = live.outbound.event_attempts
    assert delivery.attempts == attempts == len(receiver.of("events"))
    assert delivery.response_status == 500
    async with live.http() as http:
        url = f"/v1/Workspaces/{live.workspace_sid}/CallbackDeliveries"
        failed = (await http.get(url, params={"Status": "failed"})).json()
        delivered = (await http.get(url, params={"Status": "delivered"})).json()
        bad = await http.get(url, params={"Status": "lost"})
    [record] = failed["callback_deliveries"]
    assert (record["kind"], record["event_type"]) == ("event", "workspace.created")
    assert record["callback_url"] == receiver.url("events")
    assert len(record["attempt_log"]) == attempts
    assert delivered["callback_deliveries"] == []
    assert bad.status_code == 400


async def test_a_private_callback_address_is_refused_without_connecting(live: Live) -> None:
    await live.workspace(event_url="http://10.255.255.1/events", events_filter="workspace.created")
    [delivery] = await eventually(lambda: _deliveries(live, "failed"))
    log = json.loads(delivery.attempt_log)
    assert all("refused" in attempt["error"] for attempt in log)
    assert "private" in (delivery.error or "")


async def test_an_event_callback_set_after_the_first_scans_gets_the_next_events(
    live: Live, receiver: Receiver
) -> None:
    """The outbox defers events its last scan found undeliverable; a callback URL set
    since is read by the deferred scan: the events are late by at most a second, never
    lost."""
    await live.workspace()
    queue = await live.queue("All")
    wf = await live.workflow(queue)
    await live.task(wf)
    await eventually(lambda: _scanned(live))
    async with live.http() as http:
        response = await http.post(
            f"/v1/Workspaces/{live.workspace_sid}",
            data={"EventCallbackUrl": receiver.url("events")},
        )
        assert response.status_code == 200, response.text
    second = await live.task(wf)
    await eventually(partial(_has_hit, receiver, "task.created"))
    [hit] = [h for h in receiver.of("events") if h.form["EventType"] == "task.created"]
    assert hit.form["TaskSid"] == second


async def _scanned(live: Live) -> bool:
    """The outbox's cursor has passed the workspace's events so far."""
    events = await live.rows(Event, workspace_sid=live.workspace_sid)
    cursor = await live.get(CallbackCursor, live.workspace_sid)
    return cursor is not None and cursor.last_seq >= max(e.seq for e in events)
