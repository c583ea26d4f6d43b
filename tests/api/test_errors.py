"""Authentication, tenancy and Twilio's error shape for every kind of failure."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Store
from switchboard.tenancy.domain.records import Account
from tests.api.helpers import BASE_URL, ClientFactory, assert_error, create_workspace, ok

MISSING_WS = "WS" + "0" * 32


async def test_missing_credentials_are_a_401_that_asks_for_basic_auth(
    make_client: ClientFactory,
) -> None:
    response = await make_client(None).get("/v1/Workspaces")
    assert_error(response, 401, 20003)
    assert response.headers["www-authenticate"] == 'Basic realm="Switchboard"'


@pytest.mark.parametrize("wrong", ["token", "sid"])
async def test_wrong_credentials_are_a_401(
    make_client: ClientFactory, credentials: tuple[str, str], wrong: str
) -> None:
    sid, token = credentials
    auth = (sid, "0" * 32) if wrong == "token" else ("AC" + "0" * 32, token)
    response = await make_client(auth).get("/v1/Workspaces")
    assert_error(response, 401, 20003)
    assert "www-authenticate" in response.headers


async def test_a_malformed_authorization_header_is_a_401(make_client: ClientFactory) -> None:
    client = make_client(None)
    response = await client.get("/v1/Workspaces", headers={"Authorization": "Basic !!notbase64"})
    assert_error(response, 401, 20003)


async def test_a_suspended_account_cannot_authenticate(
    make_client: ClientFactory, credentials: tuple[str, str], store: Store
) -> None:
    async with store.transaction() as unit:
        await unit.update_where(Account, {"status": "suspended"}, eq("sid", credentials[0]))
    assert_error(await make_client(credentials).get("/v1/Workspaces"), 401, 20003)


async def test_another_tenants_workspace_is_not_found(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    workspace = await create_workspace(client)
    sid = workspace["sid"]
    assert_error(await other_client.get(f"/v1/Workspaces/{sid}"), 404, 20404, sid)
    assert_error(await other_client.get(f"/v1/Workspaces/{sid}/Activities"), 404, 20404)
    assert_error(
        await other_client.post(f"/v1/Workspaces/{sid}", data={"FriendlyName": "x"}), 404, 20404
    )
    assert_error(await other_client.delete(f"/v1/Workspaces/{sid}"), 404, 20404)
    assert ok(await other_client.get("/v1/Workspaces"))["workspaces"] == []
    ok(await client.get(f"/v1/Workspaces/{sid}"))


async def test_unknown_sids_and_routes_are_twilio_404s(client: httpx.AsyncClient) -> None:
    workspace = await create_workspace(client)
    url = workspace["url"]
    assert_error(await client.get(f"/v1/Workspaces/{MISSING_WS}"), 404, 20404)
    assert_error(await client.get(f"{url}/Activities/WA{'1' * 32}"), 404, 20404)
    assert_error(await client.get(f"{url}/Workers/not-a-sid"), 404, 20404)
    assert_error(await client.get(f"{url}/Workers/WQ{'1' * 32}"), 404, 20404)
    assert_error(await client.get("/v1/Nothing"), 404, 20404, "/v1/Nothing")


@pytest.mark.parametrize("collection", ["Workers", "TaskQueues", "Workflows", "Tasks"])
async def test_item_routes_leave_literal_paths_to_later_routes(
    app: FastAPI, client: httpx.AsyncClient, collection: str
) -> None:
    """`/Workers/{Sid}` only matches `WK` sids, so a literal mounted after it still answers."""

    @app.get(f"/v1/Workspaces/{{workspace_sid}}/{collection}/Future")
    async def future() -> dict[str, bool]:
        return {"reached": True}

    workspace = await create_workspace(client)
    assert ok(await client.get(f"{workspace['url']}/{collection}/Future")) == {"reached": True}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_unsupported_methods_are_405(client: httpx.AsyncClient, method: str) -> None:
    workspace = await create_workspace(client)
    assert_error(await client.request(method, workspace["url"]), 405, 20004)
    assert_error(await client.request(method, "/v1/Workspaces"), 405, 20004)


async def test_a_malformed_json_body_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/Workspaces", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, 20001, "JSON")
    response = await client.post(
        "/v1/Workspaces", content=b"[1, 2]", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, 20001, "object")


async def test_an_unsupported_content_type_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/Workspaces", content=b"<x/>", headers={"Content-Type": "application/xml"}
    )
    assert_error(response, 400, 20001, "Content-Type")


async def test_a_json_object_body_is_accepted_like_a_form(client: httpx.AsyncClient) -> None:
    body = {"FriendlyName": "From JSON", "MultiTaskEnabled": False}
    workspace = ok(await client.post("/v1/Workspaces", json=body), 201)
    assert (workspace["friendly_name"], workspace["multi_task_enabled"]) == ("From JSON", False)


async def test_multipart_bodies_are_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/Workspaces", files={"FriendlyName": (None, "Multipart")})
    assert ok(response, 201)["friendly_name"] == "Multipart"


async def test_a_content_type_on_a_bodyless_get_is_harmless(client: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ok(await client.get("/v1/Workspaces", headers=headers))


async def test_unexpected_errors_are_a_twilio_500(
    app: FastAPI, credentials: tuple[str, str]
) -> None:
    @app.get("/v1/Boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.get("/v1/Boom")
    assert_error(response, 500, 20500)
    assert "kaboom" not in response.text
