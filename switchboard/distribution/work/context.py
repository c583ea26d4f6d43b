"""What every distribution service needs, built once by the composition root.

Frozen: nothing is swapped in after construction. The dispatcher listens to the
doorbell (it connects itself once), which the composition root rings after every
committed write of a workspace; the bus carries committed events to the websocket
hub, the callback outbox and the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from switchboard.distribution.domain.ports import StatisticsQueries
from switchboard.kernel.bus import Doorbell, EventBus
from switchboard.kernel.clock import SystemClock
from switchboard.kernel.media import RecordingMediaAdapter
from switchboard.kernel.ports import (
    Clock,
    DocumentSource,
    MediaAdapter,
    SigningKeys,
    Store,
    TaskAttributeSource,
)


@dataclass(frozen=True)
class DistributionSettings:
    """Timeouts of the calls the services make outside the store."""

    # how long the media adapter may take for one instruction
    media_timeout: float = 30.0


@dataclass(frozen=True)
class Services:
    store: Store
    signing: SigningKeys
    clock: Clock = field(default_factory=SystemClock)
    bus: EventBus = field(default_factory=EventBus)
    doorbell: Doorbell = field(default_factory=Doorbell)
    # aggregates computed by the database (None: computed in Python from the store's records)
    statistics: StatisticsQueries | None = None
    # the telephony platform behind dequeue / call / redirect / conference instructions
    media: MediaAdapter = field(default_factory=RecordingMediaAdapter)
    # remote routing documents (None: workflows only use their stored Configuration)
    documents: DocumentSource | None = None
    # attributes other pillars add to a task at creation (e.g. marketing attribution)
    enrichers: tuple[TaskAttributeSource, ...] = ()
    settings: DistributionSettings = field(default_factory=DistributionSettings)

    def now(self) -> int:
        return self.clock.now_ms()
