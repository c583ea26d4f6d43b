"""Voice end to end over real HTTP, on SQLite and PostgreSQL: a call comes in (signed Voice
webhook, TwiML enqueue), a task holding its CallSid is routed to a worker, the worker's
reservation is accepted with `dequeue`, and the local Twilio Calls API receives the update
that bridges the waiting call to the worker.

The number's settings name a workspace and a workflow, so Switchboard creates the task
that holds the CallSid itself; a caller who hangs up while waiting cancels it."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from switchboard.runtime import build_runtime
from switchboard.settings import Settings
from tests.callbacks.support import eventually, fast_settings
from tests.channels.provider import FakeTwilio, fake_twilio, serve
from tests.channels.support import CUSTOMER, ORG_NUMBER, PROVIDER_SID, PROVIDER_TOKEN, post_signed
from tests.live import HTTP_TIMEOUT, free_port


@contextlib.asynccontextmanager
async def _stack(
    database_url: str, carrier_sid: str = PROVIDER_SID, carrier_token: str = PROVIDER_TOKEN
) -> AsyncIterator[tuple[str, FakeTwilio, httpx.AsyncClient]]:
    """A server with voice on (the deployment's account PROVIDER_SID) and a local Twilio
    that accepts only `carrier_sid`'s requests."""
    async with fake_twilio(carrier_sid, carrier_token) as provider:
        port = free_port()
        settings = Settings(
            database_url=database_url,
            channel_voice=True,
            twilio_account_sid=PROVIDER_SID,
            twilio_auth_token=PROVIDER_TOKEN,
            twilio_api_url=provider.url,
            public_url=f"http://127.0.0.1:{port}",
            fairness=False,
        )
        runtime = build_runtime(settings, outbound=fast_settings())
        async with serve(runtime.app, port=port) as url:
            account, token = await runtime.core.accounts.create("Acme")
            async with httpx.AsyncClient(
                base_url=url, auth=(account.sid, token), timeout=HTTP_TIMEOUT
            ) as api:
                yield url, provider, api


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[tuple[str, FakeTwilio, httpx.AsyncClient]]:
    async with _stack(database_url) as made:
        yield made


async def _created(api: httpx.AsyncClient, path: str, **form: str) -> str:
    answer = await api.post(path, data=form)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["sid"])


async def _center(api: httpx.AsyncClient) -> tuple[str, str]:
    """A workspace with one available worker reachable at client:alice; its workflow."""
    ws = await _created(api, "/v1/Workspaces", FriendlyName="Acme calls")
    base = f"/v1/Workspaces/{ws}"
    ready = await _created(api, f"{base}/Activities", FriendlyName="Ready", Available="true")
    await _created(
        api,
        f"{base}/Workers",
        FriendlyName="Alice",
        ActivitySid=ready,
        Attributes=json.dumps({"contact_uri": "client:alice"}),
    )
    queue = await _created(api, f"{base}/TaskQueues", FriendlyName="Calls", TargetWorkers="1==1")
    routing = {"task_routing": {"filters": [], "default_filter": {"queue": queue}}}
    workflow = await _created(
        api, f"{base}/Workflows", FriendlyName="Inbound", Configuration=json.dumps(routing)
    )
    return ws, workflow


async def _number_and_call(
    url: str, api: httpx.AsyncClient, organization: str | None = None, **signed_by: str
) -> tuple[str, str, str]:
    """The center, the number routed into its workflow (named for `organization`), and a
    call to it, signed by the deployment's account or `signed_by` (account_sid, token):
    (ws, task, call)."""
    ws, workflow = await _center(api)
    setup = {"queue": "calls", "workspace_sid": ws, "workflow_sid": workflow}
    number = {"Channel": "voice", "Address": ORG_NUMBER, "Attributes": json.dumps(setup)}
    if organization is not None:
        number["Organization"] = organization
    assert (await api.post("/v1/Channels/Addresses", data=number)).status_code == 201
    call_sid = "CA" + uuid.uuid4().hex
    call = {"CallSid": call_sid, "From": CUSTOMER, "To": ORG_NUMBER, "CallStatus": "ringing"}
    token = PROVIDER_TOKEN
    if signed_by:
        call["AccountSid"], token = signed_by["account_sid"], signed_by["token"]
    inbound = f"{url}/v1/Channels/Voice/Inbound"
    twiml = await post_signed(api, inbound, call, token=token)
    assert twiml.status_code == 200
    assert "<Enqueue" in twiml.text and "workflowSid" not in twiml.text  # Switchboard routes
    again = await post_signed(api, inbound, call, token=token)
    assert again.text == twiml.text
    [task] = (await api.get(f"/v1/Workspaces/{ws}/Tasks")).json()["tasks"]  # one, not two
    fetched = (await api.get(f"/v1/Workspaces/{ws}/Tasks/{task['sid']}")).json()
    assert json.loads(fetched["attributes"])["call_sid"] == call_sid, fetched
    return ws, str(task["sid"]), call_sid


async def test_a_call_is_enqueued_routed_and_bridged_to_the_worker(
    stack: tuple[str, FakeTwilio, httpx.AsyncClient],
) -> None:
    url, provider, api = stack
    ws, task, call_sid = await _number_and_call(url, api)

    async def pending() -> list[dict[str, Any]]:
        listed = await api.get(f"/v1/Workspaces/{ws}/Tasks/{task}/Reservations")
        found = listed.json()["reservations"]
        return [r for r in found if r["reservation_status"] == "pending"]

    [reservation] = await eventually(pending)
    path = f"/v1/Workspaces/{ws}/Tasks/{task}/Reservations/{reservation['sid']}"
    answer = await api.post(path, data={"Instruction": "dequeue", "DequeueFrom": ORG_NUMBER})
    assert answer.status_code == 200, answer.text
    assert answer.json()["reservation_status"] == "accepted"

    [update] = provider.calls
    assert update["path"] == f"/2010-04-01/Accounts/{PROVIDER_SID}/Calls/{call_sid}.json"
    assert f'<Dial callerId="{ORG_NUMBER}">client:alice</Dial>' in update["Twiml"]
    assert provider.refused == []

    # the call ends after it was answered: the task is the worker's, nothing is canceled
    ended = {"CallSid": call_sid, "CallStatus": "completed"}
    assert (await post_signed(api, f"{url}/v1/Channels/Voice/Status", ended)).status_code == 204
    fetched = (await api.get(f"/v1/Workspaces/{ws}/Tasks/{task}")).json()
    assert fetched["assignment_status"] == "assigned"


async def test_a_caller_who_hangs_up_while_waiting_cancels_the_task(
    stack: tuple[str, FakeTwilio, httpx.AsyncClient],
) -> None:
    url, _provider, api = stack
    ws, task, call_sid = await _number_and_call(url, api)
    hung_up = {"CallSid": call_sid, "CallStatus": "no-answer"}
    assert (await post_signed(api, f"{url}/v1/Channels/Voice/Status", hung_up)).status_code == 204
    fetched = (await api.get(f"/v1/Workspaces/{ws}/Tasks/{task}")).json()
    assert fetched["assignment_status"] == "canceled"
    assert "ended (no-answer)" in (fetched.get("reason") or "")
    forged = await post_signed(api, f"{url}/v1/Channels/Voice/Status", hung_up, token="wrong")
    assert forged.status_code == 403


ORG_SID = "AC" + "b2" * 16
ORG_TOKEN = "acme-own-twilio-token-for-voice-1"


async def test_a_call_to_an_organizations_number_is_instructed_through_its_own_account(
    database_url: str,
) -> None:
    async with _stack(database_url, ORG_SID, ORG_TOKEN) as (url, provider, api):
        form = {"Organization": "acme", "ProviderAccountSid": ORG_SID, "AuthToken": ORG_TOKEN}
        assert (await api.post("/v1/Channels/Credentials", data=form)).status_code == 201
        ws, task, call_sid = await _number_and_call(
            url, api, "acme", account_sid=ORG_SID, token=ORG_TOKEN
        )

        async def pending() -> list[dict[str, Any]]:
            listed = await api.get(f"/v1/Workspaces/{ws}/Tasks/{task}/Reservations")
            found = listed.json()["reservations"]
            return [r for r in found if r["reservation_status"] == "pending"]

        [reservation] = await eventually(pending)
        path = f"/v1/Workspaces/{ws}/Tasks/{task}/Reservations/{reservation['sid']}"
        answer = await api.post(path, data={"Instruction": "dequeue", "DequeueFrom": ORG_NUMBER})
        assert answer.status_code == 200, answer.text
        [update] = provider.calls  # the local API accepts only acme's own account
        assert update["path"] == f"/2010-04-01/Accounts/{ORG_SID}/Calls/{call_sid}.json"
        assert provider.refused == []
