"""Hostile input is a 400 (or a 404), never a 500: one regression per case of issue 12,
and issue 11 item 7 (no NaN or Infinity anywhere JSON is read)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from switchboard.kernel import limits
from switchboard.wire.errors import REQUEST_ID_HEADER
from tests.api.helpers import BASE_URL, assert_error, create, create_workspace, ok


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_workspace(client, Template="FIFO")


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# --- 1 and 3: nesting ------------------------------------------------------------------


async def test_attributes_nested_deeper_than_the_limit_are_refused(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    deep = json.dumps({"a": nested(700), "b": nested(700)}, separators=(",", ":"))
    assert len(deep) < 4096
    response = await client.post(
        f"{workspace['url']}/Workers", data={"FriendlyName": "deep", "Attributes": deep}
    )
    assert_error(response, 400, 20001, "Attributes", "nested more than")
    shallow = json.dumps({"a": nested(limits.MAX_JSON_DEPTH - 1)})
    response = await client.post(
        f"{workspace['url']}/Workers", data={"FriendlyName": "ok", "Attributes": shallow}
    )
    ok(response, 201)


async def test_a_json_body_20000_deep_is_a_400(client: httpx.AsyncClient) -> None:
    body = '{"FriendlyName": ' + "[" * 20_000 + "]" * 20_000 + "}"
    response = await client.post(
        "/v1/Workspaces", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, 20001, "nested more than")


async def test_nested_evaluate_worker_attributes_is_a_400(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    queue = await create(
        client, f"{workspace['url']}/TaskQueues", FriendlyName="q", TargetWorkers="a == b"
    )
    deep = json.dumps({"a": nested(900)})
    response = await client.get(
        f"{workspace['url']}/TaskQueues",
        params={"EvaluateWorkerAttributes": deep, "FriendlyName": queue["friendly_name"]},
    )
    assert_error(response, 400, 20001, "EvaluateWorkerAttributes")


# --- 2: integers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["9" * 5000, str(2**63), str(-(2**63) - 1), "99999999999999999999", "-" + "1" * 30],
)
async def test_integers_past_64_bits_are_a_400(
    client: httpx.AsyncClient, workspace: dict[str, Any], value: str
) -> None:
    tasks = f"{workspace['url']}/Tasks"
    response = await client.post(tasks, data={"Attributes": "{}", "Priority": value})
    assert_error(response, 400, 20001, "Priority")
    response = await client.post(tasks, data={"Attributes": "{}", "Timeout": value})
    assert_error(response, 400, 20001, "Timeout")
    response = await client.post(
        f"{workspace['url']}/TaskQueues", data={"FriendlyName": "q", "MaxReservedWorkers": value}
    )
    assert_error(response, 400, 20001, "MaxReservedWorkers")


@pytest.mark.parametrize("route", ["", "/Workers", "/Tasks", "/TaskQueues", "/Events"])
async def test_a_page_past_64_bits_is_a_400_on_every_list(
    client: httpx.AsyncClient, workspace: dict[str, Any], route: str
) -> None:
    url = f"{workspace['url']}{route}" if route else "/v1/Workspaces"
    response = await client.get(url, params={"Page": "99999999999999999999"})
    assert_error(response, 400, 20001, "Page")
    response = await client.get(url, params={"PageToken": "PT" + "9" * 40})
    assert_error(response, 400, 20001, "PageToken")


async def test_the_last_page_in_range_is_simply_empty(client: httpx.AsyncClient) -> None:
    from switchboard.wire.paging import MAX_PAGE

    body = ok(
        await client.get("/v1/Workspaces", params={"Page": str(MAX_PAGE), "PageSize": "1000"})
    )
    assert body["workspaces"] == []


# --- 4: text ---------------------------------------------------------------------------


async def test_a_lone_surrogate_in_a_json_body_is_a_400(client: httpx.AsyncClient) -> None:
    body = b'{"FriendlyName": "bad \\ud800 name"}'
    response = await client.post(
        "/v1/Workspaces", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, 20001, "surrogate")


async def test_nul_is_refused_in_names_expressions_and_query_parameters(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    response = await client.post("/v1/Workspaces", data={"FriendlyName": "a\x00b"})
    assert_error(response, 400, 20001, "NUL")
    response = await client.post(
        f"{workspace['url']}/TaskQueues",
        data={"FriendlyName": "q", "TargetWorkers": "name == 'a\x00'"},
    )
    assert_error(response, 400, 20001, "NUL")
    response = await client.get(f"{workspace['url']}/Workers", params={"FriendlyName": "x\x00"})
    assert_error(response, 400, 20001, "NUL")
    response = await client.post(
        f"{workspace['url']}/Tasks", data={"Attributes": '{"a": "\\u0000"}'}
    )
    assert_error(response, 400, 20001, "NUL")


# --- 5: dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    ["/Statistics", "/CumulativeStatistics", "/Workers/Statistics", "/TaskQueues/Statistics"],
)
async def test_dates_that_leave_years_1_to_9999_in_utc_are_a_400(
    client: httpx.AsyncClient, workspace: dict[str, Any], route: str
) -> None:
    for value in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-05:00"):
        response = await client.get(f"{workspace['url']}{route}", params={"EndDate": value})
        assert_error(response, 400, 20001, "EndDate", "years 1 and 9999")


# --- 6: the unexpected ----------------------------------------------------------------


async def test_an_unexpected_error_is_answered_not_raised_and_names_a_request_id(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/v1/Boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    # raise_app_exceptions: anything that escapes the app would reach the server
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.get("/v1/Boom")
    assert_error(response, 500, 20500)
    request_id = response.headers[REQUEST_ID_HEADER]
    assert request_id.startswith("RQ") and request_id in response.json()["message"]
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


# --- 7: accepted although malformed ---------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://", "https://", "http://a host/", "http://host:99999/", "ftp://host/", "x"]
)
async def test_callback_urls_must_parse_and_name_a_host(
    client: httpx.AsyncClient, workspace: dict[str, Any], url: str
) -> None:
    response = await client.post(workspace["url"], data={"EventCallbackUrl": url})
    assert_error(response, 400, 20001, "EventCallbackUrl")


async def test_a_truncated_multipart_body_creates_nothing(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    boundary = "XyZ"
    whole = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="Attributes"\r\n\r\n{{}}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    tasks = f"{workspace['url']}/Tasks"
    response = await client.post(tasks, content=whole[:40], headers=headers)
    assert_error(response, 400, 20001, "multipart")
    assert ok(await client.get(tasks))["tasks"] == []
    ok(await client.post(tasks, content=whole, headers=headers), 201)


async def test_a_malformed_urlencoded_body_is_a_400(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    tasks = f"{workspace['url']}/Tasks"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"Attributes", b"Attributes=%FF%FE", b"Priority=1&garbage"):
        response = await client.post(tasks, content=body, headers=headers)
        assert_error(response, 400, 20001)
    assert ok(await client.get(tasks))["tasks"] == []


async def test_bulk_statistics_answer_foreign_queues_as_unknown_ones_zeroed(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    """Twilio documents that valid SIDs of another account come back zeroed (not 404):
    kept for compatibility, and a foreign queue is indistinguishable from an unknown
    one, so the answer tells nothing about other tenants (issue 12 item 7 asked for a
    404 instead; see the compatibility reference)."""
    theirs = await create_workspace(other_client)
    foreign = await create(
        other_client, f"{theirs['url']}/TaskQueues", FriendlyName="theirs", TargetWorkers="1==1"
    )
    unknown = "WQ" + "0" * 32
    url = f"{workspace['url']}/TaskQueues/RealTimeStatistics"
    body = ok(await client.post(url, data={"QueueSids": [foreign["sid"], unknown]}))
    first, second = body["task_queue_data"]
    assert first.pop("task_queue_sid") == foreign["sid"]
    assert second.pop("task_queue_sid") == unknown
    assert first == second
    assert first["total_tasks"] == first["total_eligible_workers"] == 0


# --- issue 11 item 7: NaN and Infinity are not JSON ------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_non_standard_json_is_refused_everywhere_it_is_read(
    client: httpx.AsyncClient, workspace: dict[str, Any], constant: str
) -> None:
    url = workspace["url"]
    attributes = f'{{"score": {constant}}}'
    for path, data in (
        ("/Tasks", {"Attributes": attributes}),
        ("/Workers", {"FriendlyName": "w", "Attributes": attributes}),
    ):
        assert_error(await client.post(f"{url}{path}", data=data), 400, 20001, "Attributes")
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="q", TargetWorkers="1==1")
    configuration = (
        '{"task_routing": {"filters": [{"expression": "1==1", "targets": '
        f'[{{"queue": "{queue["sid"]}", "priority": {constant}}}]}}]}}}}'
    )
    response = await client.post(
        f"{url}/Workflows", data={"FriendlyName": "wf", "Configuration": configuration}
    )
    assert_error(response, 400, 20001, "Configuration")
    response = await client.post(
        "/v1/Workspaces",
        content=f'{{"FriendlyName": "x", "Priority": {constant}}}',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, 20001)


async def test_usage_dates_at_the_end_of_the_calendar_are_not_a_500(
    client: httpx.AsyncClient, credentials: tuple[str, str]
) -> None:
    url = f"/2010-04-01/Accounts/{credentials[0]}/Usage/Records.json"
    body = ok(await client.get(url, params={"StartDate": "0001-01-01", "EndDate": "9999-12-31"}))
    assert isinstance(body["usage_records"], list)


@pytest.mark.parametrize("name", ["Count", "YoungerThanDays", "Score"])
async def test_fraud_rule_integers_past_64_bits_are_a_400(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.post("/v1/FraudRules", data={name: "9" * 5000})
    assert_error(response, 400, 20001, name)
    response = await client.post("/v1/FraudRules", data={name: str(2**64)})
    assert_error(response, 400, 20001, name)


async def test_a_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    body = b"FriendlyName=" + b"x" * limits.MAX_BODY_BYTES
    response = await client.post(
        "/v1/Workspaces",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 413, 20001, "larger than")
