"""Event callbacks: each event POSTed to the workspace's EventCallbackUrl, with retries.

Any 2xx counts as delivered (Twilio asks for 204). Anything else is retried with
exponential backoff and jitter until `event_attempts` attempts were made (a URL the
outbound policy refuses is not retried); then the delivery is marked failed and stays
visible in `/CallbackDeliveries`.
"""

from __future__ import annotations

import json
import random

from switchboard.distribution.work.context import Services
from switchboard.kernel.callbacks import Attempt
from switchboard.kernel.ports import CallbackSender
from switchboard.outbound.ledger import Outcome, finish
from switchboard.outbound.records import CallbackDelivery
from switchboard.outbound.settings import OutboundSettings


def backoff_seconds(settings: OutboundSettings, attempts_made: int) -> float:
    """initial * 2^(n-1), capped, ±20 % jitter so retries of many events spread out."""
    base = settings.backoff_initial * 2.0 ** max(0, attempts_made - 1)
    return float(min(settings.backoff_max, base) * random.uniform(0.8, 1.2))


def next_outcome(
    settings: OutboundSettings, delivery: CallbackDelivery, attempt: Attempt
) -> Outcome:
    """Delivered, failed for good, or pending again after a backoff."""
    if attempt.ok:
        return Outcome("delivered")
    made = delivery.attempts + 1
    if attempt.final or made >= settings.event_attempts:
        return Outcome("failed")
    delay_ms = int(backoff_seconds(settings, made) * 1000)
    return Outcome("pending", next_attempt_at=attempt.at + delay_ms)


async def deliver_event(
    svc: Services, poster: CallbackSender, settings: OutboundSettings, delivery: CallbackDelivery
) -> str:
    """One attempt of an event callback, and its record. Returns the new status."""
    form = json.loads(delivery.payload)
    attempt, _response = await poster.post_form(
        delivery.account_sid, delivery.url, form, settings.event_timeout
    )
    outcome = next_outcome(settings, delivery, attempt)
    await finish(svc.store, svc.clock, delivery.sid, [attempt], outcome)
    return outcome.status
