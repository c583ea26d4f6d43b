"""Remote workflow documents: fetched per task before its transaction, with fallbacks."""

from __future__ import annotations

import json
from typing import Any

from twilio.request_validator import RequestValidator

from switchboard.distribution.domain.records import Reservation, Task, TaskDocument, Workflow
from tests.callbacks.support import Live, Receiver, eventually


def _routing(*targets: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_routing": {
            "filters": [
                {"filter_friendly_name": "remote", "expression": "1==1", "targets": list(targets)}
            ]
        }
    }


async def _setup(live: Live, receiver: Receiver, **workflow: Any) -> tuple[str, str, str]:
    """Queues A (the stored document's) and B; returns (a, b, workflow)."""
    await live.workspace()
    a = await live.queue("A")
    b = await live.queue("B")
    wf = await live.workflow(a, document_url=receiver.url("doc"), **workflow)
    return a, b, wf


async def test_the_fetched_document_routes_the_task(live: Live, receiver: Receiver) -> None:
    _a, b, _ = await _setup(live, receiver)
    receiver.answer("doc", _routing({"queue": b, "priority": 7}))
    await live.worker("Alice", skill="x")
    wf = (await live.rows(Workflow))[0].sid
    task_sid = await live.task(wf, type="remote")
    task = await live.get(Task, task_sid)
    assert (task.task_queue_sid, task.priority) == (b, 7)
    [hit] = receiver.of("doc")
    body = hit.json()
    assert (body["TaskSid"], body["WorkflowSid"]) == (task_sid, wf)
    assert body["TaskAttributes"] == {"type": "remote"}
    assert {q["friendly_name"] for q in body["TaskQueues"]} == {"A", "B"}
    assert [w["attributes"] for w in body["Workers"]] == [{"skill": "x"}]
    assert RequestValidator(live.auth_token).validate(hit.url, hit.body.decode(), hit.signature)
    [document] = await live.rows(TaskDocument, task_sid=task_sid)
    assert document.source_url == receiver.url("doc")
    await eventually(lambda: live.rows(Reservation, task_sid=task_sid))


async def test_later_steps_follow_the_fetched_document(live: Live, receiver: Receiver) -> None:
    a, b, wf = await _setup(live, receiver)
    receiver.answer("doc", _routing({"queue": b, "timeout": 1}, {"queue": a, "priority": 3}))
    task_sid = await live.task(wf)
    assert (await live.get(Task, task_sid)).task_queue_sid == b

    async def moved() -> bool:
        task = await live.get(Task, task_sid)
        return bool(task.task_queue_sid == a and task.priority == 3)

    assert await eventually(moved, timeout=20)


async def _falls_back(live: Live, wf: str, a: str) -> dict[str, Any]:
    task_sid = await live.task(wf)
    task = await live.get(Task, task_sid)
    assert task.task_queue_sid == a  # the stored copy
    assert await live.rows(TaskDocument, task_sid=task_sid) == []
    [event] = await live.events("workflow.document-fetch-failed")
    assert event.task_sid == task_sid
    data: dict[str, Any] = json.loads(event.event_data)
    return data


async def test_an_http_error_falls_back_to_the_stored_copy(live: Live, receiver: Receiver) -> None:
    a, _b, wf = await _setup(live, receiver)
    receiver.answer("doc", {"error": "down"}, status=502)
    data = await _falls_back(live, wf, a)
    assert "HTTP 502" in data["error"]
    assert data["document_url"] == receiver.url("doc")


async def test_a_timeout_falls_back_to_the_stored_copy(live: Live, receiver: Receiver) -> None:
    a, _b, wf = await _setup(live, receiver)
    live.outbound.document_timeout = 0.5  # the hang is what this test is about
    receiver.hang("doc")
    data = await _falls_back(live, wf, a)
    assert data["error"] == "timed out"


async def test_an_invalid_document_falls_back_to_the_stored_copy(
    live: Live, receiver: Receiver
) -> None:
    a, _b, wf = await _setup(live, receiver)
    receiver.answer("doc", _routing({"queue": "WQ" + "0" * 32}))
    data = await _falls_back(live, wf, a)
    assert data["error"].startswith("invalid document")


async def test_use_stored_document_skips_the_fetch(live: Live, receiver: Receiver) -> None:
    a, b, wf = await _setup(live, receiver, use_stored=True)
    receiver.answer("doc", _routing({"queue": b}))
    task_sid = await live.task(wf)
    assert (await live.get(Task, task_sid)).task_queue_sid == a
    assert receiver.of("doc") == []


async def test_the_workflow_api_takes_and_shows_the_document_settings(
    live: Live, receiver: Receiver
) -> None:
    await live.workspace()
    a = await live.queue("A")
    b = await live.queue("B")
    receiver.answer("doc", _routing({"queue": b}))
    stored = json.dumps({"task_routing": {"default_filter": {"queue": a}}})
    base = f"/v1/Workspaces/{live.workspace_sid}"
    async with live.http() as http:
        created = await http.post(
            f"{base}/Workflows",
            data={
                "FriendlyName": "remote",
                "Configuration": stored,
                "DocumentUrl": receiver.url("doc"),
            },
        )
        assert created.status_code == 201, created.text
        workflow = created.json()
        assert (workflow["document_url"], workflow["use_stored_document"]) == (
            receiver.url("doc"),
            False,
        )
        task = await http.post(f"{base}/Tasks", data={"WorkflowSid": workflow["sid"]})
        assert task.json()["task_queue_sid"] == b
        updated = await http.post(
            f"{base}/Workflows/{workflow['sid']}", data={"UseStoredDocument": "true"}
        )
        assert updated.json()["use_stored_document"] is True
        second = await http.post(f"{base}/Tasks", data={"WorkflowSid": workflow["sid"]})
        assert second.json()["task_queue_sid"] == a
        bad = await http.post(
            f"{base}/Workflows/{workflow['sid']}", data={"DocumentUrl": "ftp://x"}
        )
        assert bad.status_code == 400
    assert len(receiver.of("doc")) == 1


async def test_the_fetched_documents_worker_expression_picks_the_worker(
    live: Live, receiver: Receiver
) -> None:
    """The stored copy would take anyone; the fetched target wants skill == 'y'."""
    _a, b, wf = await _setup(live, receiver)
    receiver.answer("doc", _routing({"queue": b, "expression": "worker.skill == 'y'"}))
    await live.worker("Xavier", skill="x")
    yvonne = await live.worker("Yvonne", skill="y")
    task_sid = await live.task(wf)
    await eventually(lambda: live.rows(Reservation, task_sid=task_sid))
    [reservation] = await live.rows(Reservation, task_sid=task_sid)
    assert reservation.worker_sid == yvonne
