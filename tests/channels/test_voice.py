"""Inbound calls in Twilio's Voice webhook format: a greeting that knows business hours,
then the queue with hold music; signed, once per CallSid, unknown numbers refused."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx

from switchboard.channels.domain.records import ChannelEvent, InboundContact
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.ports import Store
from tests.api.helpers import BASE_URL
from tests.channels.support import CUSTOMER, ORG_NUMBER, post_signed

INBOUND = f"{BASE_URL}/v1/Channels/Voice/Inbound"
HOURS = {"timezone": "Europe/Berlin", "days": [0, 1, 2, 3, 4], "open": "09:00", "close": "17:00"}


def _call(sid: str | None = None, **extra: str) -> dict[str, str]:
    form = {
        "CallSid": sid or "CA" + uuid.uuid4().hex,
        "From": CUSTOMER,
        "To": ORG_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    form.update(extra)
    return form


async def _number(client: httpx.AsyncClient, **attributes: object) -> dict[str, str]:
    data = {"Channel": "voice", "Address": ORG_NUMBER, "Attributes": json.dumps(attributes)}
    answer = await client.post("/v1/Channels/Addresses", data=data)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _at(clock: FakeClock, weekday: int, hour: int) -> None:
    """Move the clock forward to the next `weekday` (0 Monday) at `hour`:30 in Berlin."""
    now = datetime.fromtimestamp(clock.now_ms() / 1000, tz=UTC)
    target = (now + timedelta(days=8)).replace(minute=30, second=0, microsecond=0)
    while target.weekday() != weekday:
        target += timedelta(days=1)
    # Berlin is UTC+1 in winter and UTC+2 in summer: pick the hour so local is `hour`
    offset = target.astimezone(ZoneInfo("Europe/Berlin")).utcoffset()
    assert offset is not None
    target = target.replace(hour=hour) - offset
    clock.advance(ms=int(target.timestamp() * 1000) - clock.now_ms())


def _twiml(answer: httpx.Response) -> ElementTree.Element:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    return ElementTree.fromstring(answer.text)  # noqa: S314 - our own TwiML, in a test


async def test_in_business_hours_the_caller_is_greeted_and_enqueued_with_hold_music(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    number = await _number(client, greeting="Welcome to Acme.", queue="billing", hours=HOURS)
    _at(clock, weekday=1, hour=10)
    root = _twiml(await post_signed(webhook, INBOUND, _call()))
    assert [child.tag for child in root] == ["Say", "Enqueue"]
    assert root[0].text == "Welcome to Acme."
    enqueue = root[1]
    assert enqueue.text == "billing"
    assert enqueue.attrib["waitUrl"] == f"/v1/Channels/Voice/Hold/{number['sid']}"

    hold = await post_signed(webhook, f"{BASE_URL}{enqueue.attrib['waitUrl']}", {"QueueSid": "QU1"})
    play = _twiml(hold)[0]
    assert (play.tag, play.attrib["loop"]) == ("Play", "0")
    assert play.text and play.text.startswith("http")


async def test_outside_business_hours_the_caller_hears_the_closed_greeting(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await _number(client, closed_greeting="We are closed.", hours=HOURS)
    _at(clock, weekday=5, hour=10)  # Saturday
    root = _twiml(await post_signed(webhook, INBOUND, _call()))
    assert [(child.tag, child.text) for child in root] == [
        ("Say", "We are closed."),
        ("Hangup", None),
    ]
    _at(clock, weekday=2, hour=18)  # Wednesday evening
    assert [child.tag for child in _twiml(await post_signed(webhook, INBOUND, _call()))] == [
        "Say",
        "Hangup",
    ]


async def test_with_a_workflow_the_call_becomes_the_tasks_attributes(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    workflow = "WW" + "a" * 32
    await _number(client, workflow_sid=workflow)
    call = _call()
    enqueue = _twiml(await post_signed(webhook, INBOUND, call))[1]
    assert enqueue.attrib["workflowSid"] == workflow
    task = json.loads(enqueue.find("Task").text or "")  # type: ignore[union-attr]
    assert task == {
        "type": "inbound_call",
        "call_sid": call["CallSid"],
        "from": CUSTOMER,
        "to": ORG_NUMBER,
    }


async def test_a_call_is_recorded_once_per_call_sid(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, store: Store
) -> None:
    await _number(client)
    call = _call()
    first = await post_signed(webhook, INBOUND, call)
    again = await post_signed(webhook, INBOUND, call)
    assert first.text == again.text
    async with store.read() as unit:
        assert await unit.count(InboundContact) == 1


async def test_bad_input_is_refused_with_the_reason(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, store: Store
) -> None:
    await _number(client)
    assert (await post_signed(webhook, INBOUND, _call(), token="wrong")).status_code == 403
    malformed = await post_signed(webhook, INBOUND, _call(CallSid="CA123"))
    assert (malformed.status_code, "CallSid" in malformed.json()["message"]) == (400, True)
    unknown = await post_signed(webhook, INBOUND, _call(To="+15550199999"))
    assert unknown.status_code == 404
    async with store.read() as unit:
        assert [e.event_type for e in await unit.select(ChannelEvent)] == [
            "channel.address.unknown"
        ]
        assert await unit.count(InboundContact) == 0


async def test_malformed_voice_settings_are_refused_when_the_number_is_saved(
    client: httpx.AsyncClient,
) -> None:
    for attributes in (
        {"hours": {"timezone": "Mars/Olympus", "open": "09:00", "close": "17:00"}},
        {"hours": {"open": "9am", "close": "17:00"}},
        {"hours": {"open": "09:00", "close": "17:00", "days": [7]}},
        {"greeting": ""},
    ):
        data = {"Channel": "voice", "Address": ORG_NUMBER, "Attributes": json.dumps(attributes)}
        answer = await client.post("/v1/Channels/Addresses", data=data)
        assert answer.status_code == 400, attributes
