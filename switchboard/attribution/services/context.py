"""What every attribution service needs, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.attribution.domain.ports import AvailabilitySource, ContactHistory, FollowUps
from switchboard.kernel.ports import CallbackSender, Clock, Store


@dataclass(frozen=True)
class Attribution:
    store: Store
    clock: Clock
    # live agent figures for pacing (None: pacing answers 503 until one is wired)
    availability: AvailabilitySource | None = None
    # outbound follow-up tasks for `callback_requested` (None: the outcome is only recorded)
    follow_ups: FollowUps | None = None
    # past contacts per skill, for forecasts (None: staffing plans answer 503)
    history: ContactHistory | None = None
    # signed POSTs of offline conversions to a pool's ConversionUrl (None: export only)
    sender: CallbackSender | None = None

    def now(self) -> int:
        return self.clock.now_ms()
