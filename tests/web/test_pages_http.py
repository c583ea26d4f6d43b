"""The pages over HTTP: cookies, CSRF, the CSP, roles, and one account never seeing another's."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest

from switchboard.web.domain.people import MAX_FAILURES
from switchboard.web.people import NewUser, People
from tests.api.helpers import ClientFactory, activity_sids, create, create_workspace, ok
from tests.web.pages_support import csrf_of, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app: Any) -> People:
    registry = app.state.deps
    found: People = registry.get(People)
    return found


@pytest.fixture
async def floor(client: httpx.AsyncClient) -> dict[str, Any]:
    """A workspace with a worker Alice (Offline) and the default activities."""
    workspace = await create_workspace(client)
    activities = await activity_sids(client, workspace["url"])
    alice = await create(
        client,
        f"{workspace['url']}/Workers",
        FriendlyName="Alice",
        ActivitySid=activities["Offline"],
        Attributes=json.dumps({"skills": ["support"]}),
    )
    return {"workspace": workspace, "activities": activities, "alice": alice}


@pytest.fixture
async def boss(people: People, credentials: tuple[str, str]) -> str:
    await people.create(NewUser(credentials[0], "boss@example.com", "Boss", "supervisor", PASSWORD))
    return "boss@example.com"


async def test_signing_in_sets_an_httponly_samesite_session_cookie(
    make_client: ClientFactory, boss: str
) -> None:
    browser = make_client(None)
    answer = await sign_in(browser, boss, PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/supervisor"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("sb_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; behind TLS the cookie is Secure


async def test_the_sign_in_form_needs_its_csrf_token(make_client: ClientFactory, boss: str) -> None:
    browser = make_client(None)
    await browser.get("/login")
    answer = await browser.post("/login", data={"email": boss, "password": PASSWORD})
    assert answer.status_code == 403
    assert "sb_session" not in answer.headers.get("set-cookie", "")


async def test_pages_send_a_csp_without_inline_scripts(make_client: ClientFactory) -> None:
    answer = await make_client(None).get("/login")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "<script>" not in answer.text


async def test_signed_out_people_are_sent_to_the_sign_in_page(make_client: ClientFactory) -> None:
    browser = make_client(None)
    for path in ("/desk", "/supervisor"):
        answer = await browser.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next={path}"
    token = await browser.post("/desk/token")
    assert token.status_code == 401
    assert token.json()["code"] == 20003


async def test_wrong_passwords_lock_the_user_out(make_client: ClientFactory, boss: str) -> None:
    browser = make_client(None)
    for _ in range(MAX_FAILURES):
        answer = await sign_in(browser, boss, "not the password")
        assert answer.status_code == 401
    assert "locked" in answer.text
    answer = await sign_in(browser, boss, PASSWORD)
    assert answer.status_code == 401
    assert "locked" in answer.text


async def test_a_supervisor_changes_a_workers_activity_with_the_csrf_token_only(
    make_client: ClientFactory, client: httpx.AsyncClient, boss: str, floor: dict[str, Any]
) -> None:
    browser = make_client(None)
    await sign_in(browser, boss, PASSWORD)
    page = await browser.get("/supervisor")
    assert page.status_code == 200
    assert "Alice" in page.text
    alice, available = floor["alice"], floor["activities"]["Available"]
    form = {"workspace_sid": floor["workspace"]["sid"], "activity_sid": available}
    path = f"/supervisor/workers/{alice['sid']}/activity"

    forged = await browser.post(path, data=form)
    assert forged.status_code == 403
    assert forged.json()["code"] == 20403
    cross_site = await browser.post(
        path, data={**form, "csrf_token": csrf_of(page)}, headers={"Origin": "http://evil.example"}
    )
    assert cross_site.status_code == 403
    worker = ok(await client.get(alice["url"]))
    assert worker["activity_name"] == "Offline"

    done = await browser.post(path, data={**form, "csrf_token": csrf_of(page)})
    assert done.status_code == 303
    assert ok(await client.get(alice["url"]))["activity_name"] == "Available"


async def test_signing_out_needs_the_csrf_token_and_ends_the_session(
    make_client: ClientFactory, boss: str
) -> None:
    browser = make_client(None)
    await sign_in(browser, boss, PASSWORD)
    page = await browser.get("/supervisor")
    assert (await browser.post("/logout")).status_code == 403
    assert (await browser.get("/supervisor")).status_code == 200
    out = await browser.post("/logout", data={"csrf_token": csrf_of(page)})
    assert out.status_code == 303
    assert (await browser.get("/supervisor")).status_code == 303


async def test_an_agent_gets_a_token_for_their_own_worker_channel_only(
    make_client: ClientFactory,
    people: People,
    credentials: tuple[str, str],
    floor: dict[str, Any],
) -> None:
    alice = floor["alice"]
    await people.create(
        NewUser(credentials[0], "alice@example.com", "Alice", "agent", PASSWORD, alice["sid"])
    )
    browser = make_client(None)
    landing = await sign_in(browser, "alice@example.com", PASSWORD)
    assert landing.headers["location"] == "/desk"
    desk = await browser.get("/desk")
    assert desk.status_code == 200
    assert "Available" in desk.text and "Offline" in desk.text
    assert (await browser.get("/supervisor")).status_code == 403

    assert (await browser.post("/desk/token")).status_code == 403
    answer = await browser.post("/desk/token", headers={"X-CSRF-Token": csrf_of(desk)})
    assert answer.status_code == 200
    body = answer.json()
    assert body["channel_path"] == f"/v1/wschannels/{credentials[0]}/{alice['sid']}"
    claims = jwt.decode(body["token"], credentials[1], algorithms=["HS256"])
    assert claims["worker_sid"] == alice["sid"]
    assert claims["account_sid"] == credentials[0]


async def test_another_accounts_supervisor_sees_nothing_of_this_floor(
    make_client: ClientFactory,
    people: People,
    other_client: httpx.AsyncClient,
    floor: dict[str, Any],
) -> None:
    theirs = await create_workspace(other_client, FriendlyName="Elsewhere")
    account_sid = theirs["account_sid"]
    await people.create(NewUser(account_sid, "eve@example.com", "Eve", "admin", PASSWORD))
    browser = make_client(None)
    await sign_in(browser, "eve@example.com", PASSWORD)
    own = await browser.get("/supervisor")
    assert own.status_code == 200
    assert "Elsewhere" in own.text
    assert "Alice" not in own.text

    workspace_sid = floor["workspace"]["sid"]
    peek = await browser.get(f"/supervisor?workspace={workspace_sid}")
    assert peek.status_code == 404
    assert "Alice" not in peek.text
    change = await browser.post(
        f"/supervisor/workers/{floor['alice']['sid']}/activity",
        data={
            "workspace_sid": workspace_sid,
            "activity_sid": floor["activities"]["Available"],
            "csrf_token": csrf_of(own),
        },
    )
    assert change.status_code == 404


async def test_an_admin_adds_an_agent_linked_to_a_worker_of_the_account(
    make_client: ClientFactory,
    people: People,
    credentials: tuple[str, str],
    floor: dict[str, Any],
    boss: str,
) -> None:
    await people.create(NewUser(credentials[0], "admin@example.com", "Ann", "admin", PASSWORD))
    browser = make_client(None)
    await sign_in(browser, "admin@example.com", PASSWORD)
    page = await browser.get("/admin/people")
    assert page.status_code == 200
    assert "Support Center / Alice" in page.text
    form = {
        "friendly_name": "Alice",
        "email": "alice@example.com",
        "role": "agent",
        "worker_sid": floor["alice"]["sid"],
        "password": PASSWORD,
    }
    assert (await browser.post("/admin/people", data=form)).status_code == 403
    added = await browser.post("/admin/people", data={**form, "csrf_token": csrf_of(page)})
    assert added.status_code == 200
    assert "Added alice@example.com" in added.text

    again = await browser.post("/admin/people", data={**form, "csrf_token": csrf_of(page)})
    assert again.status_code == 409
    assert "already exists" in again.text
    short = {**form, "email": "x@example.com", "password": "short", "csrf_token": csrf_of(page)}
    assert (await browser.post("/admin/people", data=short)).status_code == 400

    agent = make_client(None)
    assert (await sign_in(agent, "alice@example.com", PASSWORD)).headers["location"] == "/desk"


async def test_only_admins_manage_people(make_client: ClientFactory, boss: str) -> None:
    browser = make_client(None)
    await sign_in(browser, boss, PASSWORD)
    assert (await browser.get("/admin/people")).status_code == 403
    page = await browser.get("/supervisor")
    form = {"email": "x@example.com", "role": "admin", "password": PASSWORD}
    denied = await browser.post("/admin/people", data={**form, "csrf_token": csrf_of(page)})
    assert denied.status_code == 403


async def test_behind_tls_the_cookies_are_secure(app: Any, boss: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
        form = await browser.get("/login")
        assert "Secure" in form.headers["set-cookie"]
        answer = await sign_in(browser, boss, PASSWORD)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("sb_session="))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
