"""Tasks opened on behalf of another pillar (the kernel's `TaskIntake` port).

The conversations pillar hands a customer request over as attributes; from there the
workflow, the statistics and the worker websocket treat it like any other task.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from switchboard.distribution.domain.records import Task
from switchboard.distribution.work.access import (
    access_task_channel,
    access_workflow,
    access_workspace,
)
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.tasks import (
    DEFAULT_CHANNEL,
    TaskCreate,
    TaskUpdate,
    create_task,
    update_task,
)

WAITING = ("pending", "reserved")


class DistributionIntake:
    """The distribution side of the `TaskIntake` port, over the pillar's services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def open_task(
        self,
        account_sid: str,
        workspace_sid: str,
        attributes: Mapping[str, Any],
        *,
        workflow_sid: str | None = None,
        task_channel: str | None = None,
    ) -> str:
        params = TaskCreate(
            attributes=json.dumps(dict(attributes)),
            workflow_sid=workflow_sid,
            task_channel=task_channel,
        )
        task = await create_task(self.services, account_sid, workspace_sid, params)
        return task.sid

    async def check_route(
        self,
        account_sid: str,
        workspace_sid: str,
        workflow_sid: str | None = None,
        task_channel: str | None = None,
    ) -> None:
        async with self.services.store.read() as unit:
            workspace = await access_workspace(unit, account_sid, workspace_sid)
            if workflow_sid is not None:
                await access_workflow(unit, workspace, workflow_sid)
            await access_task_channel(unit, workspace, task_channel or DEFAULT_CHANNEL)

    async def end_task(
        self, account_sid: str, workspace_sid: str, task_sid: str, reason: str
    ) -> None:
        async with self.services.store.read() as unit:
            task = await unit.get(Task, task_sid)
        if task is None or task.workspace_sid != workspace_sid:
            return
        if task.assignment_status in WAITING:
            status = "canceled"
        elif task.assignment_status in ("assigned", "wrapping"):
            status = "completed"
        else:
            return
        change = TaskUpdate(assignment_status=status, reason=reason)
        await update_task(self.services, account_sid, workspace_sid, task_sid, change)
