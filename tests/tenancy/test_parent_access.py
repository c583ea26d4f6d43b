"""A parent acts on its children's workspaces with its own credentials; nobody else does."""

from __future__ import annotations

import httpx

from tests.tenancy.conftest import NewTenant, Tenant, make_subaccount


async def _workspace(client: httpx.AsyncClient, owner: Tenant) -> str:
    response = await client.post("/v1/Workspaces", data={"FriendlyName": "w"}, auth=owner.auth)
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


async def test_a_parent_manages_its_childs_workspace(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    ws = await _workspace(client, child)
    fetched = await client.get(f"/v1/Workspaces/{ws}", auth=parent.auth)
    assert fetched.status_code == 200 and fetched.json()["account_sid"] == child.sid
    renamed = await client.post(
        f"/v1/Workspaces/{ws}", data={"FriendlyName": "by parent"}, auth=parent.auth
    )
    assert renamed.json()["friendly_name"] == "by parent"
    worker = await client.post(
        f"/v1/Workspaces/{ws}/Workers", data={"FriendlyName": "Ann"}, auth=parent.auth
    )
    assert worker.status_code == 201 and worker.json()["account_sid"] == child.sid
    seen_by_child = await client.get(f"/v1/Workspaces/{ws}/Workers", auth=child.auth)
    assert [w["friendly_name"] for w in seen_by_child.json()["workers"]] == ["Ann"]


async def test_the_parents_own_list_stays_its_own(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    mine, theirs = await _workspace(client, parent), await _workspace(client, child)
    listed = (await client.get("/v1/Workspaces", auth=parent.auth)).json()["workspaces"]
    assert [row["sid"] for row in listed] == [mine]
    assert theirs not in str(listed)


async def test_nobody_else_reaches_a_childs_workspace(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent, stranger = await new_tenant("Parent"), await new_tenant("Stranger")
    child = await make_subaccount(client, parent, "one")
    sibling = await make_subaccount(client, parent, "two")
    other_family_child = await make_subaccount(client, stranger, "theirs")
    ws = await _workspace(client, child)
    for intruder in (stranger, sibling, other_family_child):
        response = await client.get(f"/v1/Workspaces/{ws}", auth=intruder.auth)
        assert response.status_code == 404, intruder
    parents_ws = await _workspace(client, parent)
    upward = await client.get(f"/v1/Workspaces/{parents_ws}", auth=child.auth)
    assert upward.status_code == 404  # a child never reaches up


async def test_an_unknown_workspace_is_404_for_everyone(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    response = await client.get(f"/v1/Workspaces/WS{'0' * 32}", auth=parent.auth)
    assert response.status_code == 404 and response.json()["code"] == 20404
