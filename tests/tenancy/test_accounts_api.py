"""The Accounts API: sub-accounts, visibility, status changes and token rotation."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx

from switchboard.runtime import Runtime
from switchboard.wire.auth import CredentialCache
from tests.tenancy.conftest import NewTenant, Tenant, make_subaccount, set_account

ACCOUNTS = "/2010-04-01/Accounts"


async def test_a_parent_creates_lists_and_fetches_sub_accounts(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    created = await client.post(
        f"{ACCOUNTS}.json", data={"FriendlyName": "Store 12"}, auth=parent.auth
    )
    assert created.status_code == 201
    body = created.json()
    assert body["sid"].startswith("AC") and len(body["sid"]) == 34
    assert body["owner_account_sid"] == parent.sid
    assert (body["friendly_name"], body["status"], body["type"]) == ("Store 12", "active", "Full")
    assert body["auth_token"] and body["uri"] == f"{ACCOUNTS}/{body['sid']}.json"
    assert parsedate_to_datetime(body["date_created"]).utcoffset() is not None
    assert body["date_created"].endswith("+0000")

    listed = (await client.get(f"{ACCOUNTS}.json", auth=parent.auth)).json()
    assert [row["sid"] for row in listed["accounts"]] == [parent.sid, body["sid"]]
    assert listed["next_page_uri"] is None and listed["start"] == 0

    fetched = (await client.get(f"{ACCOUNTS}/{body['sid']}.json", auth=parent.auth)).json()
    assert fetched["auth_token"] is None  # shown once, at creation
    assert fetched["fraud_stage"] == "none"  # a parent sees its child's fraud state


async def test_lists_page_and_filter(client: httpx.AsyncClient, new_tenant: NewTenant) -> None:
    parent = await new_tenant("Parent")
    for name in ("a", "b", "c"):
        await make_subaccount(client, parent, name)
    first = (await client.get(f"{ACCOUNTS}.json?PageSize=2", auth=parent.auth)).json()
    assert len(first["accounts"]) == 2 and first["next_page_uri"]
    second = (await client.get(first["next_page_uri"], auth=parent.auth)).json()
    assert [row["friendly_name"] for row in second["accounts"]] == ["b", "c"]
    named = (await client.get(f"{ACCOUNTS}.json?FriendlyName=b", auth=parent.auth)).json()
    assert [row["friendly_name"] for row in named["accounts"]] == ["b"]


async def test_a_sub_account_sees_only_itself(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent, "one")
    sibling = await make_subaccount(client, parent, "two")
    listed = (await client.get(f"{ACCOUNTS}.json", auth=child.auth)).json()
    assert [row["sid"] for row in listed["accounts"]] == [child.sid]
    own = (await client.get(f"{ACCOUNTS}/{child.sid}.json", auth=child.auth)).json()
    assert own["owner_account_sid"] == parent.sid and "fraud_stage" not in own
    for other in (parent.sid, sibling.sid, "AC" + "0" * 32, "nonsense"):
        response = await client.get(f"{ACCOUNTS}/{other}.json", auth=child.auth)
        assert response.status_code == 404, other
        assert response.json()["code"] == 20404
    nested = await client.post(f"{ACCOUNTS}.json", data={"FriendlyName": "x"}, auth=child.auth)
    assert nested.status_code == 400  # one level of parent/child


async def test_another_tenant_gets_404_never_403(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    a, b = await new_tenant("A"), await new_tenant("B")
    child = await make_subaccount(client, a)
    for sid in (a.sid, child.sid):
        for method, data in (("GET", None), ("POST", {"Status": "suspended"})):
            response = await client.request(
                method, f"{ACCOUNTS}/{sid}.json", data=data, auth=b.auth
            )
            assert response.status_code == 404


async def test_a_parent_suspends_reactivates_and_closes_a_child(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    url = f"{ACCOUNTS}/{child.sid}.json"

    async def status(value: str) -> httpx.Response:
        return await client.post(url, data={"Status": value}, auth=parent.auth)

    assert (await client.get("/v1/Workspaces", auth=child.auth)).status_code == 200
    assert (await status("suspended")).json()["status"] == "suspended"
    assert (await client.get("/v1/Workspaces", auth=child.auth)).status_code == 401
    assert (await status("active")).json()["status"] == "active"
    assert (await client.get("/v1/Workspaces", auth=child.auth)).status_code == 200
    assert (await status("closed")).json()["status"] == "closed"
    assert (await client.get("/v1/Workspaces", auth=child.auth)).status_code == 401
    reopened = await status("active")
    assert reopened.status_code == 400 and "closed" in reopened.json()["message"]
    assert (await status("bogus")).status_code == 400


async def test_an_account_renames_itself_but_cannot_change_its_own_status(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    url = f"{ACCOUNTS}/{child.sid}.json"
    renamed = await client.post(url, data={"FriendlyName": "Renamed"}, auth=child.auth)
    assert renamed.json()["friendly_name"] == "Renamed"
    same = await client.post(url, data={"Status": "active"}, auth=child.auth)
    assert same.status_code == 200  # no change asked
    closing = await client.post(url, data={"Status": "closed"}, auth=child.auth)
    assert closing.status_code == 400


async def test_children_of_a_suspended_parent_cannot_authenticate(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    await set_account(runtime, parent.sid, status="suspended")
    runtime.deps.get(CredentialCache).clear()  # drop the seconds of cached credentials
    assert (await client.get("/v1/Workspaces", auth=child.auth)).status_code == 401
    assert (await client.get("/v1/Workspaces", auth=parent.auth)).status_code == 401


async def test_secondary_token_rotation_without_downtime(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    tenant = await new_tenant("Rotating")
    created = await client.post("/v1/AuthTokens/Secondary", auth=tenant.auth)
    assert created.status_code == 201
    secondary = Tenant(tenant.sid, created.json()["secondary_auth_token"])
    assert created.json()["url"].endswith("/v1/AuthTokens/Secondary")
    for who in (tenant, secondary):  # both work during the rotation
        assert (await client.get("/v1/Workspaces", auth=who.auth)).status_code == 200
    promoted = await client.post("/v1/AuthTokens/Promote", auth=secondary.auth)
    assert promoted.status_code == 200
    assert promoted.json()["auth_token"] == secondary.token
    assert (await client.get("/v1/Workspaces", auth=tenant.auth)).status_code == 401
    assert (await client.get("/v1/Workspaces", auth=secondary.auth)).status_code == 200
    again = await client.post("/v1/AuthTokens/Promote", auth=secondary.auth)
    assert again.status_code == 400  # nothing left to promote


async def test_deleting_the_secondary_token_abandons_the_rotation(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    tenant = await new_tenant("Rotating")
    created = await client.post("/v1/AuthTokens/SecondaryAuthToken", auth=tenant.auth)
    secondary = Tenant(tenant.sid, created.json()["secondary_auth_token"])
    deleted = await client.delete("/v1/AuthTokens/SecondaryAuthToken", auth=tenant.auth)
    assert deleted.status_code == 204
    assert (await client.get("/v1/Workspaces", auth=secondary.auth)).status_code == 401
    assert (await client.get("/v1/Workspaces", auth=tenant.auth)).status_code == 200
    missing = await client.delete("/v1/AuthTokens/Secondary", auth=tenant.auth)
    assert missing.status_code == 404
