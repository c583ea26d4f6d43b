"""What every service function needs: the store, the event bus and the router's doorbell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callbacks.media import MediaAdapter, RecordingMediaAdapter
from switchboard.callbacks.settings import OutboundSettings
from switchboard.services.bus import EventBus
from switchboard.store.database import Store, after_commit

if TYPE_CHECKING:
    from switchboard.callbacks.outbound import Outbound


@dataclass
class Services:
    """Built once by the composition root (:mod:`switchboard.runtime`)."""

    store: Store
    bus: EventBus = field(default_factory=EventBus)
    # ask the router for a matching pass of this workspace (cheap, coalesced)
    poke: Callable[[str], None] = lambda _workspace_sid: None
    # absolute base URL used in `url` and `links` fields
    base_url: str = "http://127.0.0.1:8080"
    # outbound HTTP (callbacks, remote workflow documents): URL policy, timeouts, retries
    outbound: OutboundSettings = field(default_factory=OutboundSettings.from_env)
    # the telephony platform behind dequeue / call / redirect / conference instructions
    media: MediaAdapter = field(default_factory=RecordingMediaAdapter)
    # the shared HTTP client, set while the callback engine runs (None: make one per use)
    http: Outbound | None = None

    def poke_after_commit(self, session: AsyncSession, workspace_sid: str) -> None:
        """Routing must see the committed change, so the poke waits for the commit."""
        after_commit(session, lambda: self.poke(workspace_sid))
