"""The attribution API over HTTP (in process), with the distribution pillar it meets
through the composition root: tasks carry attribution, pacing follows availability."""

from __future__ import annotations

import json
from typing import Any

import httpx

from switchboard.distribution.engine.dispatcher import Dispatcher
from tests.api.helpers import activity_sids, assert_error, create, create_workspace, ok, settle
from tests.callbacks.support import eventually

A = "/attribution/v1"
NUMBERS = ["+15551000001", "+15551000002"]
FALLBACK = "+15550000000"


async def make_pool(client: httpx.AsyncClient, **extra: str) -> dict[str, Any]:
    data: dict[str, Any] = {"FriendlyName": "Spring", "Fallback": FALLBACK,
                            "ContactPoint": NUMBERS, **extra}  # fmt: skip
    return ok(await client.post(f"{A}/Pools", data=data), 201)


async def routing(client: httpx.AsyncClient) -> dict[str, str]:
    ws = await create_workspace(client)
    url = ws["url"].replace("http://testserver", "")
    acts = await activity_sids(client, url)
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="Sales", TargetWorkers="1==1")
    config = json.dumps({"task_routing": {"default_filter": {"queue": queue["sid"]}}})
    flow = await create(client, f"{url}/Workflows", FriendlyName="Main", Configuration=config)
    worker = await create(client, f"{url}/Workers", FriendlyName="Alice",
                          ActivitySid=acts["Available"])  # fmt: skip
    return {"url": url, "ws": ws["sid"], "queue": queue["sid"], "workflow": flow["sid"],
            "worker": worker["sid"], "offline": acts["Offline"],
            "available": acts["Available"]}  # fmt: skip


async def test_a_call_to_a_leased_number_becomes_an_attributed_task_and_a_reported_sale(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    pool = await make_pool(client)
    lease = ok(await client.post(f"{A}/Pools/{pool['sid']}/Leases", data={
        "visitor": "v1", "utm_campaign": "spring", "utm_source": "google", "utm_term": "bikes",
        "gclid": "GCLID-1"}), 201)  # fmt: skip
    r = await routing(client)
    call = {"to": lease["contact_point"], "from": "+4915100000001", "call_sid": "CA1"}
    task = await create(client, f"{r['url']}/Tasks", WorkflowSid=r["workflow"],
                        Attributes=json.dumps(call))  # fmt: skip
    marketing = json.loads(task["attributes"])["marketing"]
    assert (marketing["campaign"], marketing["match"]) == ("spring", "attributed")
    assert marketing["attribution"]["gclid"] == "GCLID-1"
    await settle(dispatcher)
    [reservation] = ok(await client.get(f"{r['url']}/Tasks/{task['sid']}/Reservations"))[
        "reservations"
    ]
    ok(await client.post(f"{r['url']}/Tasks/{task['sid']}/Reservations/{reservation['sid']}",
                         data={"ReservationStatus": "accepted"}))  # fmt: skip

    async def answered() -> dict[str, Any] | None:
        # the bus follower notes the acceptance in a task of its own, just after
        [row] = ok(await client.get(f"{A}/Reports"))["rows"]
        return row if row["answered"] else None

    await eventually(answered)
    outcome = ok(
        await client.post(
            f"{A}/Outcomes",
            data={
                "TaskSid": task["sid"],
                "Outcome": "sale",
                "Revenue": "250.00",
                "Currency": "EUR",
            },
        )
    )
    assert outcome["answered_at"] is not None and outcome["revenue"] == "250.00"
    ok(await client.post(f"{A}/Spend", data={"Day": outcome["date_created"][:10],
       "Campaign": "spring", "Publisher": "google", "Keyword": "bikes", "Amount": "100",
       "Currency": "EUR"}), 201)  # fmt: skip
    [row] = ok(await client.get(f"{A}/Reports", params={"Currency": "EUR"}))["rows"]
    assert (row["campaign"], row["sales"], row["revenue"], row["cost_per_acquisition"]) == (
        "spring",
        1,
        "250.00",
        "100.00",
    )
    csv_text = (await client.get(f"{A}/Conversions", params={"Format": "csv"})).text
    assert "GCLID-1,gclid" not in csv_text  # the kind is the last column
    assert csv_text.splitlines()[1].startswith("GCLID-1,sale,")
    assert csv_text.splitlines()[1].endswith(",250.00,EUR,gclid")


async def test_a_task_to_any_other_number_is_left_alone(client: httpx.AsyncClient) -> None:
    await make_pool(client)
    r = await routing(client)
    task = await create(client, f"{r['url']}/Tasks", WorkflowSid=r["workflow"],
                        Attributes=json.dumps({"to": "+19999999999"}))  # fmt: skip
    assert json.loads(task["attributes"]) == {"to": "+19999999999"}


async def test_errors_are_twilio_shaped_and_tenants_see_only_their_pools(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    pool = await make_pool(client)
    assert_error(await other_client.get(f"{A}/Pools/{pool['sid']}"), 404, 20404)
    assert_error(await client.post(f"{A}/Pools", data={"FriendlyName": "x"}), 400, 20001,
                 "Fallback")  # fmt: skip
    assert_error(await client.post(f"{A}/Pools", data={"Fallback": NUMBERS[0],
                 "ContactPoint": NUMBERS}), 400, 20001, "Fallback")  # fmt: skip
    assert_error(await client.post(f"{A}/Pools", data={"Fallback": "+15559999999",
                 "ContactPoint": NUMBERS[0]}), 409, 20409, NUMBERS[0])  # fmt: skip
    assert_error(await client.post(f"{A}/Outcomes", data={"ContactSid": "KC" + "0" * 32,
                 "Outcome": "sale", "Revenue": "-3", "Currency": "EUR"}), 400, 20001,
                 "Revenue")  # fmt: skip
    assert_error(
        await client.get(f"{A}/Reports", params={"Dimension": "planet"}), 400, 20001, "Dimension"
    )
    assert_error(await client.get(f"{A}/Staffing/Erlang", params={"Calls": "x"}), 400, 20001)
    contact = ok(await client.post(f"{A}/Contacts", data={"ContactPoint": NUMBERS[1]}), 201)
    callback = {"ContactSid": contact["sid"], "Outcome": "callback_requested"}
    refused = await client.post(f"{A}/Outcomes", data=callback)
    assert_error(refused, 409, 20409, "never became a task")
    assert ok(await client.get(f"{A}/Contacts/{contact['sid']}"))["outcome"] is None


async def test_the_page_snippet_leases_and_beats_with_the_public_key_only(
    client: httpx.AsyncClient, make_client: Any
) -> None:
    pool = await make_pool(client)
    anonymous = make_client(None)
    key = pool["public_key"]
    lease = ok(await anonymous.post(f"/attribution/public/{key}/Leases",
                                    json={"visitor": "v9", "fbclid": "F"}), 201)  # fmt: skip
    assert set(lease) == {"sid", "contact_point", "overflow", "status", "expires_at",
                          "slot_start", "slot_end"}  # fmt: skip
    beat = await anonymous.post(f"/attribution/public/{key}/Leases/{lease['sid']}/Heartbeat")
    assert ok(beat)["status"] == "live"
    assert beat.headers["access-control-allow-origin"] == "*"
    assert_error(await anonymous.post("/attribution/public/nope/Leases"), 404, 20404)
    script = await anonymous.get("/attribution/public/swap.js")
    assert "Heartbeat" in script.text and script.headers["content-type"].startswith(
        "text/javascript"
    )


async def test_pacing_says_form_once_the_only_agent_goes_offline(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    r = await routing(client)
    rule = ok(
        await client.post(
            f"{A}/PacingRules",
            data={
                "WorkspaceSid": r["ws"],
                "TaskQueueSid": r["queue"],
                "ServiceLevel": "0.8",
                "AnswerSeconds": "20",
                "HandleSeconds": "180",
                "ContactsPerImpression": "0.02",
            },
        ),
        201,
    )
    url = f"{A}/PacingRules/{rule['sid']}/Decision"
    first = ok(await client.get(url))
    assert (first["show"], first["available"], first["staffed"]) == ("call", 1, 1)
    assert first["impression_budget"] == first["headroom_contacts"] * 50 > 0
    ok(await client.post(f"{r['url']}/Workers/{r['worker']}", data={"ActivitySid": r["offline"]}))
    second = ok(await client.get(url))
    assert (second["show"], second["reason"]) == ("form", "no_available_agent")


async def test_business_hours_are_exported_as_an_ad_schedule(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    r = await routing(client)
    hours = json.dumps({"mon": "09:00-17:30", "fri": "09:00-15:00"})
    rule = ok(await client.post(f"{A}/PacingRules", data={
        "WorkspaceSid": r["ws"], "TaskQueueSid": r["queue"], "BusinessHours": hours,
        "TimeZone": "Europe/Berlin"}), 201)  # fmt: skip
    assert rule["business_hours"] == json.loads(hours)
    schedule = ok(await client.get(f"{A}/PacingRules/{rule['sid']}/AdSchedule"))
    assert schedule["time_zone"] == "Europe/Berlin"
    assert [
        (b["day_of_week"], b["start_hour"], b["end_hour"], b["end_minute"])
        for b in schedule["ad_schedule"]
    ] == [("MONDAY", 9, 17, 30), ("FRIDAY", 9, 15, 0)]
    bad = await client.post(f"{A}/PacingRules", data={
        "WorkspaceSid": r["ws"], "TaskQueueSid": r["queue"],
        "BusinessHours": json.dumps({"mon": "late"})})  # fmt: skip
    assert_error(bad, 400, 20001, "BusinessHours")


async def test_the_erlang_calculator_and_pool_sizing_over_http(client: httpx.AsyncClient) -> None:
    plan = ok(
        await client.get(
            f"{A}/Staffing/Erlang",
            params={
                "Calls": 100,
                "IntervalSeconds": 1800,
                "AhtSeconds": 180,
                "AnswerSeconds": 20,
                "ServiceLevel": 0.8,
                "MaxOccupancy": 0.85,
                "Shrinkage": 0.3,
            },
        )
    )
    assert (plan["agents"], plan["scheduled"], plan["service_level"]) == (14, 20, 0.8884)
    size = ok(
        await client.get(
            f"{A}/Staffing/PoolSize",
            params={"VisitorsPerHour": 20, "HoldSeconds": 1800, "MaxOverflow": 0.01},
        )
    )
    assert size == {"numbers": 18, "overflow": 0.007142}


async def test_a_callback_request_creates_a_follow_up_task_with_the_same_attribution(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    pool = await make_pool(client)
    lease = ok(await client.post(f"{A}/Pools/{pool['sid']}/Leases",
                                 data={"visitor": "v1", "campaign": "autumn"}), 201)  # fmt: skip
    r = await routing(client)
    call = {"to": lease["contact_point"], "from": "+4915100000007"}
    task = await create(client, f"{r['url']}/Tasks", WorkflowSid=r["workflow"],
                        Attributes=json.dumps(call))  # fmt: skip
    await settle(dispatcher)
    ok(await client.post(f"{A}/Outcomes", data={"TaskSid": task["sid"],
                                                "Outcome": "callback_requested"}))  # fmt: skip
    tasks = ok(await client.get(f"{r['url']}/Tasks"))["tasks"]
    [listed] = [t for t in tasks if t["sid"] != task["sid"]]
    follow_up = ok(await client.get(f"{r['url']}/Tasks/{listed['sid']}"))
    attributes = json.loads(follow_up["attributes"])
    assert (attributes["type"], attributes["to"]) == ("callback", "+4915100000007")
    assert attributes["marketing"]["campaign"] == "autumn"
    assert (
        attributes["marketing"]["follow_up_of"]
        == json.loads(task["attributes"])["marketing"]["contact_sid"]
    )
    assert ok(await client.get(f"{A}/Leases/{lease['sid']}"))["outcome"] == "callback_requested"


async def test_a_canceled_attributed_task_counts_as_abandoned(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    pool = await make_pool(client)
    lease = ok(await client.post(f"{A}/Pools/{pool['sid']}/Leases",
                                 data={"visitor": "v1", "campaign": "autumn"}), 201)  # fmt: skip
    r = await routing(client)
    ok(await client.post(f"{r['url']}/Workers/{r['worker']}", data={"ActivitySid": r["offline"]}))
    task = await create(client, f"{r['url']}/Tasks", WorkflowSid=r["workflow"],
                        Attributes=json.dumps({"to": lease["contact_point"]}))  # fmt: skip
    ok(await client.post(f"{r['url']}/Tasks/{task['sid']}",
                         data={"AssignmentStatus": "canceled", "Reason": "hung up"}))  # fmt: skip
    await settle(dispatcher)

    async def abandoned() -> dict[str, Any] | None:
        # the bus follower notes the cancelation in a task of its own, just after
        [row] = ok(await client.get(f"{A}/Reports"))["rows"]
        return row if row["abandoned"] else None

    row = await eventually(abandoned)
    assert (row["campaign"], row["contacts"], row["answered"], row["abandoned"]) == (
        "autumn",
        1,
        0,
        1,
    )


async def test_the_calculators_refuse_loads_no_practical_team_or_pool_meets(
    client: httpx.AsyncClient,
) -> None:
    """The largest loads the parameters allow answer a 400 quickly, not a 500 or a
    computation that outlives the request (the limits are what the document states)."""
    pool = await client.get(
        f"{A}/Staffing/PoolSize",
        params={"VisitorsPerHour": 1e6, "HoldSeconds": 86_400, "MaxOverflow": 0.0001},
    )
    assert_error(pool, 400, 20001, "practical")
    erlang = await client.get(
        f"{A}/Staffing/Erlang",
        params={"Calls": 1e6, "IntervalSeconds": 60, "AhtSeconds": 86_400,
                "AnswerSeconds": 20, "ServiceLevel": 0.8},
    )  # fmt: skip
    assert_error(erlang, 400, 20001, "practical")


async def test_a_public_key_no_pool_could_have_is_a_404(make_client: Any) -> None:
    """A key with NUL (which PostgreSQL refuses) names no pool: 404 on every store."""
    anonymous = make_client(None)
    for path in ("/attribution/public/%00/Leases", "/attribution/public/a%00/Leases/x/Heartbeat"):
        assert_error(await anonymous.post(path), 404, 20404, "No pool")
