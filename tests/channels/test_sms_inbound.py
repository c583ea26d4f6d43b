"""Inbound SMS in Twilio's Messaging webhook format: signed, idempotent, into a conversation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from switchboard.channels.domain.records import ChannelEvent, InboundContact
from switchboard.kernel.ports import Store
from tests.api.helpers import BASE_URL
from tests.channels.support import (
    CUSTOMER,
    ORG_NUMBER,
    PROVIDER_TOKEN,
    inbound_form,
    message_sid,
    post_signed,
)

INBOUND = f"{BASE_URL}/v1/Channels/Sms/Inbound"


@pytest.fixture
async def number(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.post(
        "/v1/Channels/Addresses", data={"Channel": "sms", "Address": ORG_NUMBER}
    )
    assert answer.status_code == 201
    return dict(answer.json())


async def _conversations(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await client.get("/v1/Conversations")).json()["conversations"])


async def _messages(client: httpx.AsyncClient, sid: str) -> list[dict[str, Any]]:
    return list((await client.get(f"/v1/Conversations/{sid}/Messages")).json()["messages"])


async def _count(store: Store, kind: type[Any]) -> int:
    async with store.read() as unit:
        return await unit.count(kind)


async def test_an_inbound_sms_becomes_a_message_of_the_customers_conversation(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, number: dict[str, Any]
) -> None:
    answer = await post_signed(webhook, INBOUND, inbound_form("Where is my order?"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    assert "<Response>" in answer.text
    [conversation] = await _conversations(client)
    [message] = await _messages(client, conversation["sid"])
    assert (message["author"], message["body"]) == (CUSTOMER, "Where is my order?")
    participants = (
        await client.get(f"/v1/Conversations/{conversation['sid']}/Participants")
    ).json()["participants"]
    binding = participants[0]["messaging_binding"]
    assert (binding["address"], binding["proxy_address"]) == (CUSTOMER, ORG_NUMBER)
    # the customer's own message is not sent back to them: no receipt for its author
    receipts = await client.get(
        f"/v1/Conversations/{conversation['sid']}/Messages/{message['sid']}/Receipts"
    )
    assert receipts.json()["delivery_receipts"] == []

    await post_signed(webhook, INBOUND, inbound_form("Order 1234"))
    assert len(await _conversations(client)) == 1
    bodies = [m["body"] for m in await _messages(client, conversation["sid"])]
    assert bodies == ["Where is my order?", "Order 1234"]


async def test_the_same_message_sid_twice_is_processed_once(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, number: dict[str, Any]
) -> None:
    form = inbound_form("Only once", sid=message_sid())
    first = await post_signed(webhook, INBOUND, form)
    again = await post_signed(webhook, INBOUND, form)
    assert (first.status_code, again.status_code) == (200, 200)
    [conversation] = await _conversations(client)
    assert [m["body"] for m in await _messages(client, conversation["sid"])] == ["Only once"]


async def test_mms_media_urls_travel_in_the_message_attributes(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, number: dict[str, Any]
) -> None:
    form = inbound_form(
        "", NumMedia="1", MediaUrl0="https://media.example/1.jpg", MediaContentType0="image/jpeg"
    )
    assert (await post_signed(webhook, INBOUND, form)).status_code == 200
    [conversation] = await _conversations(client)
    [message] = await _messages(client, conversation["sid"])
    media = message["attributes"]
    if isinstance(media, str):
        import json

        media = json.loads(media)
    assert media["media"] == [{"url": "https://media.example/1.jpg", "content_type": "image/jpeg"}]


async def test_a_bad_signature_answers_403_and_stores_nothing(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, number: dict[str, Any], store: Store
) -> None:
    forged = await post_signed(webhook, INBOUND, inbound_form(), token="not-the-token")
    assert forged.status_code == 403
    unsigned = await webhook.post(INBOUND, data=inbound_form())
    assert unsigned.status_code == 403
    # a signature for another URL does not carry over
    form = inbound_form()
    elsewhere = RequestValidator(PROVIDER_TOKEN).compute_signature(f"{BASE_URL}/elsewhere", form)
    other_url = await webhook.post(INBOUND, data=form, headers={"X-Twilio-Signature": elsewhere})
    assert other_url.status_code == 403
    assert await _conversations(client) == []
    assert await _count(store, InboundContact) == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"From": ""}, "Missing required parameter From"),
        ({"To": "12"}, "E.164"),
        ({"MessageSid": "XX123"}, "MessageSid"),
        ({"Body": "", "NumMedia": "0"}, "Body"),
        ({"Body": "x" * 1601}, "longer than 1600"),
        ({"NumMedia": "2", "MediaUrl0": "https://m.example/a"}, "MediaUrl1"),
        ({"NumMedia": "1", "MediaUrl0": "file:///etc/passwd"}, "http(s) URL"),
    ],
)
async def test_a_malformed_webhook_answers_400_with_the_reason_and_stores_nothing(
    webhook: httpx.AsyncClient,
    client: httpx.AsyncClient,
    number: dict[str, Any],
    store: Store,
    change: dict[str, str],
    reason: str,
) -> None:
    answer = await post_signed(webhook, INBOUND, inbound_form(**change))
    assert answer.status_code == 400
    assert reason in answer.json()["message"]
    assert await _conversations(client) == []
    assert await _count(store, InboundContact) == 0


async def test_an_unknown_number_answers_404_and_is_recorded_as_an_event(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, number: dict[str, Any], store: Store
) -> None:
    answer = await post_signed(webhook, INBOUND, inbound_form(To="+15550199999"))
    assert answer.status_code == 404
    assert answer.json()["code"] == 21211
    assert "+15550199999" in answer.json()["message"]
    async with store.read() as unit:
        [event] = await unit.select(ChannelEvent)
    assert (event.event_type, event.channel, event.address) == (
        "channel.address.unknown",
        "sms",
        "+15550199999",
    )
    assert CUSTOMER in event.detail
    assert await _conversations(client) == []


async def test_two_first_texts_arriving_together_open_one_conversation(
    webhook: httpx.AsyncClient, client: httpx.AsyncClient, number: dict[str, Any]
) -> None:
    answers = await asyncio.gather(
        *(post_signed(webhook, INBOUND, inbound_form(f"text {n}")) for n in range(3))
    )
    assert [a.status_code for a in answers] == [200, 200, 200]
    [conversation] = await _conversations(client)
    assert sorted(m["body"] for m in await _messages(client, conversation["sid"])) == [
        "text 0",
        "text 1",
        "text 2",
    ]
