"""One router per TaskRouter resource; :data:`ROUTERS` is mounted by the app in this order."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.distribution.api.routes import (
    activities,
    callback_deliveries,
    events,
    reservations,
    task_channels,
    task_queues,
    tasks,
    worker_channels,
    worker_tokens,
    workers,
    workflows,
    workspaces,
)

# Item routes match typed sids only (`{sid:wk}`), so literal paths such as
# `/Workers/Statistics` that other modules add stay reachable in any order.
ROUTERS: tuple[APIRouter, ...] = (
    workspaces.router,
    activities.router,
    task_channels.router,
    task_queues.router,
    workflows.router,
    workers.router,
    worker_channels.router,
    reservations.router,
    tasks.router,
    events.router,
    worker_tokens.router,
    callback_deliveries.router,
)
