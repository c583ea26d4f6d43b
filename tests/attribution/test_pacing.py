"""Pacing through the service: live figures from the availability port, the answer kept
per rule so it flips with hysteresis, on every store adapter with the fake clock."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.attribution.domain.pacing import Availability, predicted_level
from switchboard.attribution.services import pacing
from switchboard.attribution.services.context import Attribution
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.errors import InvalidParameter

WS, WQ = "WS" + "1" * 32, "WQ" + "1" * 32


@dataclass
class Floor:
    """A contact-center floor the test changes between questions."""

    now: Availability
    asked_since: int = 0

    async def availability(
        self, account_sid: str, workspace_sid: str, task_queue_sid: str, since_ms: int
    ) -> Availability:
        self.asked_since = since_ms
        return self.now


async def test_pacing_flips_to_form_at_the_target_and_back_only_past_the_margin(
    attribution: Attribution, account_sid: str
) -> None:
    floor = Floor(Availability(available=2, staffed=10, recent_arrivals=0))
    paced = replace(attribution, availability=floor)
    fields = pacing.RuleFields(WS, WQ, service_level=0.8, hysteresis=0.05, forecast_contacts=0)
    rule = await pacing.create_rule(paced, account_sid, fields)
    inputs = pacing.inputs(rule)

    def arrivals_for(low: float, high: float) -> int:
        return next(n for n in range(400) if low <= predicted_level(inputs, 10, n) < high)

    async def ask(arrivals: int) -> str:
        floor.now = Availability(available=2, staffed=10, recent_arrivals=arrivals)
        return (await pacing.decide(paced, account_sid, rule.sid)).show

    hovering = arrivals_for(0.8, 0.85)
    assert await ask(hovering) == "call"
    assert await ask(arrivals_for(0.0, 0.8)) == "form"
    assert await ask(hovering) == "form"  # above the target, not above the margin
    assert await ask(arrivals_for(0.85, 1.01)) == "call"
    assert 1_800_000 <= attribution.now() - floor.asked_since < 1_800_100  # the last interval


async def test_nobody_available_means_form_whatever_the_forecast(
    attribution: Attribution, account_sid: str
) -> None:
    floor = Floor(Availability(available=0, staffed=5))
    paced = replace(attribution, availability=floor)
    rule = await pacing.create_rule(paced, account_sid, pacing.RuleFields(WS, WQ))
    decision = await pacing.decide(paced, account_sid, rule.sid)
    assert (decision.show, decision.reason, decision.impression_budget) == (
        "form",
        "no_available_agent",
        0,
    )


async def test_business_hours_follow_the_rules_time_zone(
    attribution: Attribution, account_sid: str, clock: FakeClock
) -> None:
    floor = Floor(Availability(available=2, staffed=10))
    paced = replace(attribution, availability=floor)
    # a Monday (in winter) at 08:30 UTC is 09:30 in Berlin: open there, closed in New York
    today = datetime.fromtimestamp(clock.now_ms() / 1000, UTC).date()
    monday = next(day for day in (today + timedelta(days=n) for n in range(1, 400))
                  if day.weekday() == 0 and day.month in (12, 1, 2))  # fmt: skip
    at = datetime(monday.year, monday.month, monday.day, 8, 30, tzinfo=UTC)
    clock.advance(ms=int(at.timestamp() * 1000) - clock.now_ms())
    hours = json.dumps({"mon": "09:00-17:00"})
    berlin = await pacing.create_rule(
        paced, account_sid, pacing.RuleFields(WS, WQ, business_hours=hours,
                                              time_zone="Europe/Berlin"))  # fmt: skip
    new_york = await pacing.create_rule(
        paced, account_sid, pacing.RuleFields(WS, WQ, business_hours=hours,
                                              time_zone="America/New_York"))  # fmt: skip
    assert (await pacing.decide(paced, account_sid, berlin.sid)).show == "call"
    closed = await pacing.decide(paced, account_sid, new_york.sid)
    assert (closed.show, closed.reason) == ("form", "closed")
    with pytest.raises(InvalidParameter, match="TimeZone"):
        await pacing.create_rule(paced, account_sid, pacing.RuleFields(WS, WQ, time_zone="Mars"))
