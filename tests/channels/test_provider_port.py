"""Another SMS provider plugs in behind the port without touching the pillar: the replies
reach it, its ids match status reports, and its refusals fail the receipt at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from switchboard.channels.ports import CarrierAccount, ProviderError, Reply
from switchboard.channels.services.context import Channels
from switchboard.channels.services.sender import ReplySender
from tests.api.helpers import BASE_URL
from tests.callbacks.support import eventually
from tests.channels.support import ORG_NUMBER, inbound_form, post_signed


@dataclass
class PigeonPost:
    """A provider of our own: takes every message unless the text says otherwise."""

    sent: list[tuple[Reply, str | None]] = field(default_factory=list)

    async def send(
        self, reply: Reply, status_callback: str | None, account: CarrierAccount | None = None
    ) -> str:
        if "refuse" in reply.body:
            raise ProviderError("pigeon declined", retry=False, code=30007)
        self.sent.append((reply, status_callback))
        return f"PIGEON-{len(self.sent)}"


@pytest.fixture
async def pigeon(app: FastAPI) -> AsyncIterator[PigeonPost]:
    provider = PigeonPost()
    registry = app.state.deps
    registry.get(Channels).sms = provider
    sender = registry.get(ReplySender)
    await sender.start()
    yield provider
    await sender.stop()


async def test_replies_go_through_whatever_provider_is_plugged_in(
    pigeon: PigeonPost, webhook: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    number = {"Channel": "sms", "Address": ORG_NUMBER}
    assert (await client.post("/v1/Channels/Addresses", data=number)).status_code == 201
    inbound = f"{BASE_URL}/v1/Channels/Sms/Inbound"
    assert (await post_signed(webhook, inbound, inbound_form("hi"))).status_code == 200
    [conversation] = (await client.get("/v1/Conversations")).json()["conversations"]
    path = f"/v1/Conversations/{conversation['sid']}"
    await client.post(f"{path}/Participants", data={"Identity": "ada"})
    ok = (await client.post(f"{path}/Messages", data={"Author": "ada", "Body": "Hello"})).json()
    no = (await client.post(f"{path}/Messages", data={"Author": "ada", "Body": "refuse me"})).json()

    async def sent() -> list[tuple[Reply, str | None]]:
        return pigeon.sent

    [(reply, callback)] = await eventually(sent)
    assert (reply.body, reply.sender, callback) == (
        "Hello",
        ORG_NUMBER,
        f"{BASE_URL}/v1/Channels/Sms/Status",
    )

    async def refused() -> bool:
        receipts = (await client.get(f"{path}/Messages/{no['sid']}/Receipts")).json()
        return bool(receipts["delivery_receipts"][0]["status"] == "failed")

    await eventually(refused)
    receipt = (await client.get(f"{path}/Messages/{no['sid']}/Receipts")).json()
    assert receipt["delivery_receipts"][0]["error_code"] == 30007
    assert len(pigeon.sent) == 1
    assert ok["sid"] != no["sid"]
