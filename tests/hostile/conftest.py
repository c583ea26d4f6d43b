"""Fixtures for the hostile-input properties: a live server (uvicorn, real sockets) per
store, with one tenant's workspace seeded so generated requests reach real records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.callbacks.support import Live, live_server


@dataclass
class Seeded:
    """The live server and the sids generated requests are pointed at."""

    live: Live
    sids: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.live.base_url

    @property
    def auth(self) -> tuple[str, str]:
        return (self.live.account_sid, self.live.auth_token)


async def seed(live: Live) -> Seeded:
    """A workspace with a queue, a workflow, an available worker and a waiting task."""
    workspace = await live.workspace()
    queue = await live.queue("seeded", "skill == 'seeded'")
    workflow = await live.workflow(queue)
    worker = await live.worker("seeded", skill="other")
    task = await live.task(workflow, kind="seeded")
    sids = {
        "WorkspaceSid": workspace,
        "TaskQueueSid": queue,
        "WorkflowSid": workflow,
        "WorkerSid": worker,
        "TaskSid": task,
    }
    return Seeded(live, sids)


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[Seeded]:
    async with live_server(database_url) as live:
        yield await seed(live)


def state_of(client: httpx.Client, workspace_url: str) -> list[object]:
    """What a refused request must not change: the workspace and what it holds."""
    found: list[object] = [client.get(workspace_url).json().get("date_updated")]
    for collection in ("Activities", "TaskChannels", "TaskQueues", "Workflows", "Workers"):
        body = client.get(f"{workspace_url}/{collection}", params={"PageSize": 1000}).json()
        key = body["meta"]["key"]
        found.append(sorted((r["sid"], r["date_updated"]) for r in body[key]))
    # a task's status and date_updated move on their own (TTL): only which tasks exist
    tasks = client.get(f"{workspace_url}/Tasks", params={"PageSize": 1000}).json()["tasks"]
    found.append(sorted(t["sid"] for t in tasks))
    return found
