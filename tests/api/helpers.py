"""Helpers for API specifications: the OpenAPI schemas and short-hand requests."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from switchboard.distribution.engine.dispatcher import Dispatcher

BASE_URL = "http://testserver"
ClientFactory = Callable[[tuple[str, str] | None], httpx.AsyncClient]
# Twilio's OpenAPI spec (twilio/twilio-oai, MIT); not vendored into the repository yet
SPEC = Path(
    os.environ.get(
        "SWITCHBOARD_TWILIO_SPEC",
        str(Path(__file__).parent.parent / "fixtures" / "twilio_taskrouter_v1.json"),
    )
)
SCHEMAS = {
    "workspace": "taskrouter.v1.workspace",
    "activity": "taskrouter.v1.workspace.activity",
    "task_channel": "taskrouter.v1.workspace.task_channel",
    "task_queue": "taskrouter.v1.workspace.task_queue",
    "workflow": "taskrouter.v1.workspace.workflow",
    "worker": "taskrouter.v1.workspace.worker",
    "worker_channel": "taskrouter.v1.workspace.worker.worker_channel",
    "task": "taskrouter.v1.workspace.task",
    "task_reservation": "taskrouter.v1.workspace.task.task_reservation",
    "worker_reservation": "taskrouter.v1.workspace.worker.worker_reservation",
    "event": "taskrouter.v1.workspace.event",
}
META_KEYS = {
    "key",
    "page",
    "page_size",
    "first_page_url",
    "previous_page_url",
    "next_page_url",
    "url",
}


@functools.cache
def schema_properties(resource: str) -> frozenset[str]:
    spec = json.loads(SPEC.read_text())
    return frozenset(spec["components"]["schemas"][SCHEMAS[resource]]["properties"])


def assert_shape(body: dict[str, Any], resource: str) -> None:
    """Exactly the spec's properties: none missing, none extra."""
    expected = schema_properties(resource)
    assert set(body) == expected, (
        f"missing {sorted(expected - set(body))}, extra {sorted(set(body) - expected)}"
    )


def assert_error(response: httpx.Response, status: int, code: int, *fragments: str) -> None:
    """Twilio's error body, and the message mentions every fragment."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    for fragment in fragments:
        assert fragment in body["message"]


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_workspace(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    params.setdefault("FriendlyName", "Support Center")
    return ok(await client.post("/v1/Workspaces", data=params), 201)


async def create(client: httpx.AsyncClient, path: str, **params: str) -> dict[str, Any]:
    return ok(await client.post(path, data=params), 201)


async def listing(client: httpx.AsyncClient, path: str, **query: Any) -> list[dict[str, Any]]:
    body = ok(await client.get(path, params=query))
    records: list[dict[str, Any]] = body[body["meta"]["key"]]
    return records


async def activity_sids(client: httpx.AsyncClient, workspace_url: str) -> dict[str, str]:
    """`{friendly_name: sid}` of a workspace's activities."""
    return {
        a["friendly_name"]: a["sid"] for a in await listing(client, f"{workspace_url}/Activities")
    }


async def settle(dispatcher: Dispatcher) -> None:
    """Let routing passes finish so reservations are visible."""
    await dispatcher.wait_idle()
