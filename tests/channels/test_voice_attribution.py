"""The two pillars' meeting point for marketing (issues 13 and 14): a call to a number a
page leased with its ad's attribution becomes, through the signed Voice webhook, a task
that carries that attribution; the number's lease is spent. Real HTTP, SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.callbacks.support import eventually
from tests.channels.support import CUSTOMER, ORG_NUMBER, post_signed
from tests.channels.test_voice_end_to_end import _center, stack  # noqa: F401 (a fixture)
from tests.live import HTTP_TIMEOUT

A = "/attribution/v1"


async def test_a_call_to_a_leased_number_becomes_a_task_with_the_ads_attribution(
    stack: tuple[str, object, httpx.AsyncClient],  # noqa: F811 (the imported fixture)
) -> None:
    url, _provider, api = stack
    form = {"FriendlyName": "Bikes", "Fallback": "+15550000000", "ContactPoint": ORG_NUMBER}
    pool = (await api.post(f"{A}/Pools", data=form)).json()
    click = {"visitor": "v-42", "utm_campaign": "spring-bikes", "utm_term": "mountain bike"}
    async with httpx.AsyncClient(
        base_url=url, timeout=HTTP_TIMEOUT
    ) as page:  # a browser: no credentials
        lease = await page.post(f"/attribution/public/{pool['public_key']}/Leases", json=click)
    assert lease.status_code == 201, lease.text
    assert lease.json()["contact_point"] == ORG_NUMBER

    ws, workflow = await _center(api)
    setup = {"queue": "calls", "workspace_sid": ws, "workflow_sid": workflow}
    number = {"Channel": "voice", "Address": ORG_NUMBER, "Attributes": json.dumps(setup)}
    assert (await api.post("/v1/Channels/Addresses", data=number)).status_code == 201
    call = {"CallSid": "CA" + uuid.uuid4().hex, "From": CUSTOMER, "To": ORG_NUMBER,
            "CallStatus": "ringing"}  # fmt: skip
    assert (await post_signed(api, f"{url}/v1/Channels/Voice/Inbound", call)).status_code == 200

    [listed] = (await api.get(f"/v1/Workspaces/{ws}/Tasks")).json()["tasks"]
    task = (await api.get(f"/v1/Workspaces/{ws}/Tasks/{listed['sid']}")).json()
    marketing = json.loads(task["attributes"])["marketing"]
    assert (marketing["campaign"], marketing["keyword"], marketing["match"]) == (
        "spring-bikes",
        "mountain bike",
        "attributed",
    )

    async def spent() -> bool:
        found = (await api.get(f"{A}/Leases/{lease.json()['sid']}")).json()
        return bool(found["status"] == "arrived")

    await eventually(spent)
