"""What the attribution pillar needs from the rest of Switchboard, as Protocols.

The composition root implements them over the work-distribution pillar (this pillar
never imports it): live availability of a skill's agents, and follow-up tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from switchboard.attribution.domain.pacing import Availability


class AvailabilitySource(Protocol):
    """Live agent figures of one skill (a task queue of a workspace)."""

    async def availability(
        self, account_sid: str, workspace_sid: str, task_queue_sid: str, since_ms: int
    ) -> Availability:
        """Agents ready now, agents logged in, and contacts that entered since `since_ms`
        (raises the kernel's NotFound for another tenant's workspace or queue)."""
        ...


class FollowUps(Protocol):
    """Creates the outbound task a `callback_requested` outcome asks for."""

    async def create_follow_up(
        self, account_sid: str, workspace_sid: str, attributes: Mapping[str, Any]
    ) -> str:
        """Create a task with `attributes` in the workspace; returns its sid."""
        ...


class ContactHistory(Protocol):
    """When past contacts for a skill arrived (the forecasts' history)."""

    async def arrivals(
        self,
        account_sid: str,
        workspace_sid: str,
        task_queue_sid: str,
        since_ms: int,
        until_ms: int,
    ) -> list[int]:
        """Creation times (epoch ms) of the queue's tasks in [since_ms, until_ms)."""
        ...
