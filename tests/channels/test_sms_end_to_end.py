"""SMS end to end over real HTTP, on SQLite and PostgreSQL: a customer's text reaches the
organization's conversation; a member's reply reaches the customer's side through the
provider (a local Twilio Messages API); the provider's status callback sets the receipt;
an outage is retried with backoff and, when it does not end, surfaces a failed receipt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from switchboard.channels.domain.records import ChannelEvent, OutboundContact
from switchboard.kernel.criteria import eq
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from tests.callbacks.support import eventually, fast_settings
from tests.channels.provider import FakeTwilio, fake_twilio, serve
from tests.channels.support import (
    CUSTOMER,
    ORG_NUMBER,
    PROVIDER_SID,
    PROVIDER_TOKEN,
    inbound_form,
    post_signed,
)
from tests.live import HTTP_TIMEOUT, free_port


@dataclass
class Deployment:
    runtime: Runtime
    url: str
    provider: FakeTwilio
    api: httpx.AsyncClient  # the organization's REST client
    carrier: httpx.AsyncClient  # the provider's side, posting webhooks


@pytest.fixture
async def deployment(database_url: str) -> AsyncIterator[Deployment]:
    async with fake_twilio(PROVIDER_SID, PROVIDER_TOKEN) as provider:
        port = free_port()
        settings = Settings(
            database_url=database_url,
            channel_sms=True,
            twilio_account_sid=PROVIDER_SID,
            twilio_auth_token=PROVIDER_TOKEN,
            twilio_api_url=provider.url,
            public_url=f"http://127.0.0.1:{port}",
            fairness=False,
        )
        outbound = fast_settings()
        outbound.event_attempts = 3
        runtime = build_runtime(settings, outbound=outbound)
        async with serve(runtime.app, port=port) as url:
            account, token = await runtime.core.accounts.create("Acme")
            async with (
                httpx.AsyncClient(
                    base_url=url, auth=(account.sid, token), timeout=HTTP_TIMEOUT
                ) as api,
                httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as carrier,
            ):
                number = {"Channel": "sms", "Address": ORG_NUMBER}
                assert (await api.post("/v1/Channels/Addresses", data=number)).status_code == 201
                yield Deployment(runtime, url, provider, api, carrier)


async def _inbound(d: Deployment, body: str) -> str:
    """The customer texts the organization; the conversation it landed in."""
    answer = await post_signed(d.carrier, f"{d.url}/v1/Channels/Sms/Inbound", inbound_form(body))
    assert answer.status_code == 200, answer.text
    [conversation] = (await d.api.get("/v1/Conversations")).json()["conversations"]
    return str(conversation["sid"])


async def _member_replies(d: Deployment, conversation: str, body: str) -> dict[str, Any]:
    path = f"/v1/Conversations/{conversation}"
    joined = await d.api.post(f"{path}/Participants", data={"Identity": "agent.ada"})
    assert joined.status_code == 201, joined.text
    said = await d.api.post(f"{path}/Messages", data={"Author": "agent.ada", "Body": body})
    assert said.status_code == 201, said.text
    return dict(said.json())


async def _receipt(d: Deployment, conversation: str, message: str) -> dict[str, Any]:
    path = f"/v1/Conversations/{conversation}/Messages/{message}/Receipts"
    [receipt] = (await d.api.get(path)).json()["delivery_receipts"]
    return dict(receipt)


async def test_a_text_in_and_the_members_reply_out_to_the_customer(d: Deployment) -> None:
    conversation = await _inbound(d, "Hi, is my order shipped?")
    reply = await _member_replies(d, conversation, "Yes, it left this morning.")

    async def arrived() -> list[dict[str, str]]:
        return d.provider.sent

    [sent] = await eventually(arrived)
    assert (sent["To"], sent["From"], sent["Body"]) == (
        CUSTOMER,
        ORG_NUMBER,
        "Yes, it left this morning.",
    )
    assert sent["StatusCallback"] == f"{d.url}/v1/Channels/Sms/Status"
    assert d.provider.refused == []
    assert (await _receipt(d, conversation, reply["sid"]))["status"] == "sent"

    async def recorded() -> bool:  # the provider's answer is in (its id is ours to match)
        async with d.runtime.core.store.read() as unit:
            return await unit.exists(OutboundContact, eq("provider_sid", sent["sid"]))

    await eventually(recorded)
    status = {"MessageSid": sent["sid"], "MessageStatus": "delivered", "AccountSid": PROVIDER_SID}
    answer = await post_signed(d.carrier, sent["StatusCallback"], status)
    assert answer.status_code == 204, answer.text
    assert (await _receipt(d, conversation, reply["sid"]))["status"] == "delivered"

    forged = await post_signed(d.carrier, sent["StatusCallback"], status, token="wrong")
    assert forged.status_code == 403


async def test_a_provider_outage_is_retried_with_backoff_until_it_ends(d: Deployment) -> None:
    d.provider.outages = 2
    conversation = await _inbound(d, "Hello?")
    await _member_replies(d, conversation, "Sorry for the wait")

    async def arrived() -> list[dict[str, str]]:
        return d.provider.sent

    [sent] = await eventually(arrived)
    assert sent["Body"] == "Sorry for the wait"
    assert d.provider.attempts == 3


async def test_an_outage_that_does_not_end_surfaces_a_failed_receipt_and_an_event(
    d: Deployment,
) -> None:
    d.provider.outages = 1000
    conversation = await _inbound(d, "Hello?")
    reply = await _member_replies(d, conversation, "Are you there?")

    async def failed() -> bool:
        return bool((await _receipt(d, conversation, reply["sid"]))["status"] == "failed")

    await eventually(failed)
    assert d.provider.attempts == 3  # the configured attempts, then it stops
    receipt = await _receipt(d, conversation, reply["sid"])
    assert receipt["error_code"] == 20500
    async with d.runtime.core.store.read() as unit:
        events = await unit.select(ChannelEvent)
    assert [e.event_type for e in events] == ["channel.reply.failed"]
    assert d.provider.sent == []


@pytest.fixture
def d(deployment: Deployment) -> Deployment:
    return deployment
