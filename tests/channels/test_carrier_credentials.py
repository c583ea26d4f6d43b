"""Organizations' own carrier accounts, over real HTTP on SQLite and PostgreSQL: an
organization brings its Twilio account sid and auth token (`/v1/Channels/Credentials`);
the token is stored sealed and never shown; its webhooks are verified with its token
(the form's `AccountSid` names the account), and only for its own numbers; its replies
leave through its own account (the local Messages API accepts only that account)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from switchboard.channels.domain.records import CarrierCredential
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

ORG_SID = "AC" + "a1" * 16
ORG_TOKEN = "acme-own-twilio-token-0123456789"
OTHER_NUMBER = "+15550100002"


@dataclass
class Deployment:
    runtime: Runtime
    url: str
    provider: FakeTwilio  # accepts only the organization's own account
    api: httpx.AsyncClient
    other: httpx.AsyncClient  # another tenant
    carrier: httpx.AsyncClient


@contextlib.asynccontextmanager
async def _deployment(database_url: str, own_account: bool = True) -> AsyncIterator[Deployment]:
    """Acme and Beta each own a number; `own_account`: the deployment has a Twilio account
    of its own (else only organizations' credentials sign and send)."""
    async with fake_twilio(ORG_SID, ORG_TOKEN) as provider:
        port = free_port()
        settings = Settings(
            database_url=database_url,
            channel_sms=True,
            twilio_account_sid=PROVIDER_SID if own_account else "",
            twilio_auth_token=PROVIDER_TOKEN if own_account else "",
            twilio_api_url=provider.url,
            public_url=f"http://127.0.0.1:{port}",
            fairness=False,
        )
        runtime = build_runtime(settings, outbound=fast_settings())
        async with serve(runtime.app, port=port) as url:
            acme, acme_token = await runtime.core.accounts.create("Acme")
            beta, beta_token = await runtime.core.accounts.create("Beta")
            async with (
                httpx.AsyncClient(
                    base_url=url, auth=(acme.sid, acme_token), timeout=HTTP_TIMEOUT
                ) as api,
                httpx.AsyncClient(
                    base_url=url, auth=(beta.sid, beta_token), timeout=HTTP_TIMEOUT
                ) as other,
                httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as carrier,
            ):
                number = {"Channel": "sms", "Address": ORG_NUMBER, "Organization": "acme"}
                assert (await api.post("/v1/Channels/Addresses", data=number)).is_success
                theirs = {"Channel": "sms", "Address": OTHER_NUMBER, "Organization": "beta"}
                assert (await other.post("/v1/Channels/Addresses", data=theirs)).is_success
                yield Deployment(runtime, url, provider, api, other, carrier)


@pytest.fixture
async def d(database_url: str) -> AsyncIterator[Deployment]:
    async with _deployment(database_url) as deployment:
        yield deployment


async def _credential(d: Deployment) -> dict[str, Any]:
    form = {"Organization": "acme", "ProviderAccountSid": ORG_SID, "AuthToken": ORG_TOKEN}
    made = await d.api.post("/v1/Channels/Credentials", data=form)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_the_token_is_stored_sealed_and_never_shown(d: Deployment) -> None:
    made = await _credential(d)
    assert (made["organization"], made["provider_account_sid"]) == ("acme", ORG_SID)
    assert made["auth_token"] is None
    fetched = (await d.api.get(f"/v1/Channels/Credentials/{made['sid']}")).json()
    assert fetched["auth_token"] is None
    async with d.runtime.core.store.read() as unit:
        row = await unit.get(CarrierCredential, made["sid"])
    assert row is not None and ORG_TOKEN not in row.sealed_token
    assert (await d.other.get(f"/v1/Channels/Credentials/{made['sid']}")).status_code == 404

    bad = {"Organization": "acme", "ProviderAccountSid": "nope", "AuthToken": "x"}
    assert (await d.api.post("/v1/Channels/Credentials", data=bad)).status_code == 400
    again = await d.api.post(
        "/v1/Channels/Credentials",
        data={"Organization": "acme", "ProviderAccountSid": ORG_SID, "AuthToken": "rotated"},
    )
    assert again.json()["sid"] == made["sid"]  # one per organization: replaced
    [listed] = (await d.api.get("/v1/Channels/Credentials")).json()["credentials"]
    assert listed["sid"] == made["sid"]


async def test_webhooks_are_checked_with_the_organizations_token_for_its_numbers_only(
    d: Deployment,
) -> None:
    await _credential(d)
    inbound = f"{d.url}/v1/Channels/Sms/Inbound"
    own = inbound_form("Signed by Acme's own account", AccountSid=ORG_SID)
    assert (await post_signed(d.carrier, inbound, own, token=ORG_TOKEN)).status_code == 200
    forged = inbound_form("Forged", AccountSid=ORG_SID)
    assert (await post_signed(d.carrier, inbound, forged, token="guess")).status_code == 403
    # Acme's account may not speak for another tenant's number
    elsewhere = inbound_form("Not yours", AccountSid=ORG_SID, To=OTHER_NUMBER)
    refused = await post_signed(d.carrier, inbound, elsewhere, token=ORG_TOKEN)
    assert refused.status_code == 403
    assert (await d.other.get("/v1/Conversations")).json()["conversations"] == []
    # the deployment's own account still signs for every number
    deployment = inbound_form("Through the deployment's account")
    assert (await post_signed(d.carrier, inbound, deployment)).status_code == 200
    [conversation] = (await d.api.get("/v1/Conversations")).json()["conversations"]
    said = (await d.api.get(f"/v1/Conversations/{conversation['sid']}/Messages")).json()
    assert [m["body"] for m in said["messages"]] == [
        "Signed by Acme's own account",
        "Through the deployment's account",
    ]


async def test_replies_leave_through_the_organizations_own_account(d: Deployment) -> None:
    await _credential(d)
    inbound = f"{d.url}/v1/Channels/Sms/Inbound"
    form = inbound_form("Hello", AccountSid=ORG_SID)
    assert (await post_signed(d.carrier, inbound, form, token=ORG_TOKEN)).status_code == 200
    [conversation] = (await d.api.get("/v1/Conversations")).json()["conversations"]
    path = f"/v1/Conversations/{conversation['sid']}"
    await d.api.post(f"{path}/Participants", data={"Identity": "ada"})
    reply = await d.api.post(f"{path}/Messages", data={"Author": "ada", "Body": "Hi there"})
    assert reply.status_code == 201

    async def sent() -> list[dict[str, str]]:
        return d.provider.sent

    [text] = await eventually(sent)
    assert (text["From"], text["To"], text["Body"]) == (ORG_NUMBER, CUSTOMER, "Hi there")
    assert d.provider.refused == []  # the deployment's account would have been refused

    status = {"MessageSid": text["sid"], "MessageStatus": "delivered", "AccountSid": ORG_SID}
    callback = text["StatusCallback"]

    async def recorded() -> bool:
        answer = await post_signed(d.carrier, callback, status, token=ORG_TOKEN)
        return answer.status_code == 204

    await eventually(recorded)
    receipts = (await d.api.get(f"{path}/Messages/{reply.json()['sid']}/Receipts")).json()
    assert [r["status"] for r in receipts["delivery_receipts"]] == ["delivered"]


async def test_without_a_credential_replies_use_the_deployments_account(d: Deployment) -> None:
    inbound = f"{d.url}/v1/Channels/Sms/Inbound"
    assert (await post_signed(d.carrier, inbound, inbound_form("Hello"))).status_code == 200
    org_signed = inbound_form("Hello again", AccountSid=ORG_SID)
    assert (await post_signed(d.carrier, inbound, org_signed, token=ORG_TOKEN)).status_code == 403
    [conversation] = (await d.api.get("/v1/Conversations")).json()["conversations"]
    path = f"/v1/Conversations/{conversation['sid']}"
    await d.api.post(f"{path}/Messages", data={"Author": "ada", "Body": "Hi"})

    async def refused() -> list[str]:
        return d.provider.refused

    assert (await eventually(refused))[0] == "auth"  # the local API knows only Acme's account


def test_sms_needs_no_deployment_account_but_voice_does_and_half_a_pair_is_refused() -> None:
    assert Settings(channel_sms=True).channel_sms  # organizations bring their own
    with pytest.raises(ValidationError, match="SWITCHBOARD_CHANNEL_VOICE needs"):
        Settings(channel_voice=True)
    with pytest.raises(ValidationError, match="or neither"):
        Settings(channel_sms=True, twilio_account_sid=PROVIDER_SID)


async def test_without_a_deployment_account_only_organizations_credentials_work(
    database_url: str,
) -> None:
    async with _deployment(database_url, own_account=False) as d:
        await _credential(d)  # acme brings its own account; beta does not
        inbound = f"{d.url}/v1/Channels/Sms/Inbound"
        own = inbound_form("Hello", AccountSid=ORG_SID)
        assert (await post_signed(d.carrier, inbound, own, token=ORG_TOKEN)).status_code == 200
        # nothing signs for beta's number: not its (absent) account, not an empty token
        for token in (PROVIDER_TOKEN, ""):
            theirs = inbound_form("Hi beta", To=OTHER_NUMBER)
            answer = await post_signed(d.carrier, inbound, theirs, token=token)
            assert answer.status_code == 403
        [conversation] = (await d.api.get("/v1/Conversations")).json()["conversations"]
        path = f"/v1/Conversations/{conversation['sid']}"
        await d.api.post(f"{path}/Participants", data={"Identity": "ada"})
        ok = await d.api.post(f"{path}/Messages", data={"Author": "ada", "Body": "Hi there"})
        assert ok.status_code == 201

        async def sent() -> list[dict[str, str]]:
            return d.provider.sent

        [text] = await eventually(sent)  # through acme's own account
        assert (text["From"], text["To"], text["Body"]) == (ORG_NUMBER, CUSTOMER, "Hi there")
