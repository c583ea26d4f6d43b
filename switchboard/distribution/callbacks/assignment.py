"""Assignment callbacks: tell the customer's app about a new reservation, obey its answer.

Twilio's contract: POST the workflow's AssignmentCallbackUrl; a 2xx within the timeout
(5 s) may carry a JSON instruction (`accept`, `reject`, `dequeue`, `call`, `redirect`,
`conference`); an empty answer means the app will answer later through the API or the
worker's channel. A timeout or an error goes to FallbackAssignmentCallbackUrl once;
if that fails too, the delivery is recorded as failed and the reservation stays
pending for the worker (its own timeout still applies). No retries: a late offer is
worse than none.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.distribution.callbacks.forms import form_value
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.instructions import Target, run_media_instruction
from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.kernel.callbacks import Answer, Attempt
from switchboard.kernel.errors import SwitchboardError
from switchboard.kernel.media import MEDIA_INSTRUCTIONS
from switchboard.kernel.ports import CallbackSender
from switchboard.outbound.ledger import Outcome, finish
from switchboard.outbound.records import CallbackDelivery
from switchboard.outbound.settings import OutboundSettings

MAX_NOTE = 500


def instruction_params(body: dict[str, Any]) -> dict[str, str]:
    """The answer's arguments as text (`accept: true` → "true", lists comma-joined)."""
    params = {}
    for key, value in body.items():
        if key == "instruction" or value is None:
            continue
        if isinstance(value, list):
            params[key] = ",".join(form_value(item) for item in value)
        else:
            params[key] = form_value(value)
    return params


def parse_answer(response: Answer) -> dict[str, Any] | str | None:
    """The instruction object; None for an empty answer; a string says what was wrong."""
    text = response.text().strip()
    if not text:
        return None
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return "the answer is not JSON; no instruction applied"
    if not isinstance(body, dict) or not isinstance(body.get("instruction"), str):
        return "the answer has no 'instruction'; no instruction applied"
    return body


async def apply_instruction(
    svc: Services, delivery: CallbackDelivery, body: dict[str, Any]
) -> str | None:
    """Carry out the answer through the same services as the REST API; returns an error."""
    name = str(body["instruction"]).lower()
    reservation_sid = delivery.reservation_sid or ""
    try:
        if name in ("accept", "reject"):
            activity = body.get("activity_sid") if name == "reject" else None
            update = ReservationUpdate(
                instruction=name, worker_activity_sid=str(activity) if activity else None
            )
            await update_reservation(
                svc, delivery.account_sid, delivery.workspace_sid, reservation_sid, update
            )
        elif name in MEDIA_INSTRUCTIONS:
            target = Target(delivery.account_sid, delivery.workspace_sid, reservation_sid)
            await run_media_instruction(svc, target, name, instruction_params(body))
        else:
            return f"unknown instruction '{name}'"
    except SwitchboardError as exc:
        return f"instruction '{name}' not applied: {exc.message}"[:MAX_NOTE]
    return None


async def _answered(svc: Services, delivery: CallbackDelivery, response: Answer) -> Outcome:
    body = parse_answer(response)
    if body is None:
        return Outcome("delivered")
    if isinstance(body, str):
        return Outcome("delivered", note=body)
    instruction = json.dumps(body, separators=(",", ":"))[:MAX_NOTE]
    error = await apply_instruction(svc, delivery, body)
    return Outcome("delivered", instruction=instruction, note=error)


async def deliver_assignment(
    svc: Services, poster: CallbackSender, settings: OutboundSettings, delivery: CallbackDelivery
) -> str:
    """Primary URL, then the fallback; the first 2xx answer wins. Returns the new status."""
    timeout = settings.assignment_timeout
    form = json.loads(delivery.payload)
    attempts: list[Attempt] = []
    for url in (delivery.url, delivery.fallback_url):
        if not url:
            continue
        attempt, response = await poster.post_form(delivery.account_sid, url, form, timeout)
        attempts.append(attempt)
        if attempt.ok and response is not None:
            outcome = await _answered(svc, delivery, response)
            await finish(svc.store, svc.clock, delivery.sid, attempts, outcome)
            return outcome.status
    note = "no assignment callback URL answered; the reservation stays pending"
    await finish(svc.store, svc.clock, delivery.sid, attempts, Outcome("failed", note=note))
    return "failed"
