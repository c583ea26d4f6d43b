"""Twilio's Voice webhook and the TwiML that answers it: a greeting that knows the
organization's business hours, then the caller waits in a queue with hold music."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from switchboard.channels.domain.addresses import phone_number
from switchboard.kernel.errors import InvalidParameter

_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DEFAULT_GREETING = "Thank you for calling. Please hold while we connect you."
DEFAULT_CLOSED = "Thank you for calling. We are closed now; please call again during our hours."
DEFAULT_QUEUE = "support"
HOLD_MUSIC = "http://com.twilio.sounds.music.s3.amazonaws.com/MARKOVICHAMP-Borghestral.mp3"


@dataclass(frozen=True)
class InboundCall:
    call_sid: str
    caller: str
    called: str


@dataclass(frozen=True)
class Hours:
    """Open from `opens` to `closes` (local time in `zone`) on `days` (0 is Monday)."""

    zone: str
    days: frozenset[int]
    opens: time
    closes: time

    def open_at(self, epoch_ms: int) -> bool:
        local = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).astimezone(ZoneInfo(self.zone))
        return local.weekday() in self.days and self.opens <= local.time() < self.closes


@dataclass(frozen=True)
class VoiceSetup:
    """What an organization's number says and where callers wait (its address attributes)."""

    greeting: str = DEFAULT_GREETING
    closed_greeting: str = DEFAULT_CLOSED
    queue: str = DEFAULT_QUEUE
    hold_music_url: str = HOLD_MUSIC
    workflow_sid: str | None = None
    # with a workspace too, Switchboard creates the call's task itself (else Twilio does)
    workspace_sid: str | None = None
    hours: Hours | None = None  # None: always open

    def is_open(self, epoch_ms: int) -> bool:
        return self.hours is None or self.hours.open_at(epoch_ms)

    @property
    def own_task(self) -> bool:
        return self.workspace_sid is not None and self.workflow_sid is not None


def parse_call(form: Mapping[str, str]) -> InboundCall:
    sid = form.get("CallSid") or ""
    if not _CALL_SID.match(sid):
        raise InvalidParameter("Missing or malformed parameter CallSid")
    caller, called = form.get("From"), form.get("To")
    if not caller or not called:
        raise InvalidParameter("Missing required parameter From or To")
    # callers may be anonymous or a SIP URI; the number called must be one of ours
    return InboundCall(sid, caller[:256], phone_number(called))


def _clock(name: str, value: Any) -> time:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise InvalidParameter(f"hours.{name} must be HH:MM")
    return time.fromisoformat(value)


def parse_hours(raw: Any) -> Hours:
    if not isinstance(raw, dict):
        raise InvalidParameter("hours must be an object")
    zone = raw.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameter(f"hours.timezone {zone!r} is not a time zone") from None
    days = raw.get("days", [0, 1, 2, 3, 4])
    if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
        raise InvalidParameter("hours.days must be a list of 0 (Monday) to 6 (Sunday)")
    return Hours(
        str(zone),
        frozenset(days),
        _clock("open", raw.get("open")),
        _clock("close", raw.get("close")),
    )


def voice_setup(attributes: str) -> VoiceSetup:
    """The setup an address's attributes describe (InvalidParameter when malformed)."""
    raw = json.loads(attributes)
    texts = {
        k: raw[k] for k in ("greeting", "closed_greeting", "queue", "hold_music_url") if k in raw
    }
    if not all(isinstance(v, str) and 0 < len(v) <= 1000 for v in texts.values()):
        raise InvalidParameter("greeting, closed_greeting, queue and hold_music_url are texts")
    workflow, workspace = raw.get("workflow_sid"), raw.get("workspace_sid")
    hours = parse_hours(raw["hours"]) if "hours" in raw else None
    return VoiceSetup(
        **texts,
        workflow_sid=workflow if isinstance(workflow, str) else None,
        workspace_sid=workspace if isinstance(workspace, str) else None,
        hours=hours,
    )


def call_attributes(call: InboundCall, organization: str | None = None) -> str:
    """The attributes of the task that holds the call (JSON text); the organization whose
    number was called, when the number names one (its carrier account instructs the call)."""
    attributes = {
        "type": "inbound_call", "call_sid": call.call_sid, "from": call.caller, "to": call.called,
    }  # fmt: skip
    if organization:
        attributes["organization"] = organization
    return json.dumps(attributes)


ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def parse_status(form: Mapping[str, str]) -> tuple[str, str]:
    """A call status callback: (CallSid, CallStatus)."""
    sid, status = form.get("CallSid") or "", form.get("CallStatus") or ""
    if not _CALL_SID.match(sid):
        raise InvalidParameter("Missing or malformed parameter CallSid")
    if not status:
        raise InvalidParameter("Missing required parameter CallStatus")
    return sid, status


def answer_twiml(setup: VoiceSetup, call: InboundCall, now_ms: int, wait_url: str) -> str:
    """Open: greet, then enqueue (the hold music at `wait_url`; with a workflow, the call as
    the task's attributes). Closed: say so and hang up."""
    head = '<?xml version="1.0" encoding="UTF-8"?><Response>'
    if not setup.is_open(now_ms):
        return f"{head}<Say>{escape(setup.closed_greeting)}</Say><Hangup/></Response>"
    task = call_attributes(call)
    # Switchboard's own task: a plain Twilio queue holds the call; else Twilio's TaskRouter
    twilio_task = setup.workflow_sid is not None and not setup.own_task
    workflow = f" workflowSid={quoteattr(setup.workflow_sid or '')}" if twilio_task else ""
    return (
        f"{head}<Say>{escape(setup.greeting)}</Say>"
        f"<Enqueue waitUrl={quoteattr(wait_url)}{workflow}>"
        f"{escape(setup.queue) if not workflow else ''}"
        f"{f'<Task>{escape(task)}</Task>' if workflow else ''}"
        "</Enqueue></Response>"
    )


def hold_twiml(setup: VoiceSetup) -> str:
    """What a waiting caller hears: the organization's music, looped."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Play loop="0">{escape(setup.hold_music_url)}</Play></Response>'
    )
