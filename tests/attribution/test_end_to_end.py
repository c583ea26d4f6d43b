"""From an ad click to the CPA report, over real HTTP against a `switchboard serve`
process: the page leases a number with its attribution, a call to that number becomes a
task (as a voice platform's enqueue creates it), the agent accepts it through the twilio
SDK and sees the attribution, wraps up with a sale, and the report and the conversion
export show it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchboard.testing import twilio_client
from tests.live import HTTP_TIMEOUT, LiveServer, create_account, wait_for

A = "/attribution/v1"
NUMBERS = [f"+1555200{n:04d}" for n in range(20)]


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, str, str]]:
    sid, token = create_account(database_url)
    live = LiveServer(database_url, tmp_path / "server.log")
    live.start()
    try:
        yield live, sid, token
    finally:
        live.stop()


def test_an_ad_click_ends_as_a_sale_in_the_cpa_report_and_the_conversion_export(
    server: tuple[LiveServer, str, str],
) -> None:
    live, sid, token = server
    api = httpx.Client(base_url=live.base_url, auth=(sid, token), timeout=HTTP_TIMEOUT)
    page = httpx.Client(base_url=live.base_url, timeout=HTTP_TIMEOUT)  # a browser: no credentials
    twilio = twilio_client(live.base_url, sid, token)

    pool = api.post(f"{A}/Pools", data={"FriendlyName": "Bikes", "Fallback": "+15550000000",
                                        "ContactPoint": NUMBERS}).json()  # fmt: skip
    click = {"visitor": "v-42", "utm_campaign": "spring-bikes", "utm_source": "google",
             "utm_medium": "cpc", "utm_term": "mountain bike", "gclid": "Cj0KCQ-test",
             "landing_page": "/bikes"}  # fmt: skip
    lease = page.post(f"/attribution/public/{pool['public_key']}/Leases", json=click)
    assert lease.status_code == 201, lease.text
    number = lease.json()["contact_point"]
    assert number in NUMBERS

    space = twilio.taskrouter.v1.workspaces(
        twilio.taskrouter.v1.workspaces.create(friendly_name="Sales").sid
    )
    ready = next(a for a in space.activities.list() if a.friendly_name == "Available")
    queue = space.task_queues.create(friendly_name="Bikes", target_workers="1==1")
    routing = {"task_routing": {"default_filter": {"queue": queue.sid}}}
    flow = space.workflows.create(friendly_name="Inbound", configuration=json.dumps(routing))
    agent = space.workers.create(friendly_name="Alice", activity_sid=ready.sid)

    # the voice platform enqueues the call: Twilio's <Enqueue> task attributes
    call = {"from": "+4915112345678", "to": number, "call_sid": "CA" + "1" * 32,
            "direction": "inbound"}  # fmt: skip
    task = space.tasks.create(workflow_sid=flow.sid, attributes=json.dumps(call))
    wait_for(lambda: space.workers(agent.sid).reservations.list(reservation_status="pending"))
    [offer] = space.workers(agent.sid).reservations.list(reservation_status="pending")
    space.workers(agent.sid).reservations(offer.sid).update(reservation_status="accepted")
    seen = json.loads(space.tasks(task.sid).fetch().attributes)["marketing"]
    assert (seen["campaign"], seen["keyword"], seen["match"]) == (
        "spring-bikes",
        "mountain bike",
        "attributed",
    )
    assert seen["attribution"]["landing_page"] == "/bikes"

    space.tasks(task.sid).update(assignment_status="wrapping", reason="call ended")
    sale = api.post(f"{A}/Outcomes", data={"TaskSid": task.sid, "Outcome": "sale",
                                           "Revenue": "250.00", "Currency": "EUR"})  # fmt: skip
    assert sale.status_code == 200, sale.text
    assert sale.json()["answered_at"] is not None
    space.tasks(task.sid).update(assignment_status="completed", reason="sold")

    day = sale.json()["date_created"][:10]
    spend = f"day,campaign,publisher,keyword,amount,currency\n{day},spring-bikes,google,mountain bike,400.00,EUR\n"  # noqa: E501
    assert api.post(f"{A}/Spend", data={"Csv": spend}).json() == {"imported": 1}
    report = api.get(f"{A}/Reports", params={"Dimension": "campaign", "Currency": "EUR"}).json()
    [row] = report["rows"]
    assert row["campaign"] == "spring-bikes"
    assert (row["contacts"], row["answered"], row["sales"]) == (1, 1, 1)
    assert (row["revenue"], row["spend"], row["cost_per_acquisition"]) == (
        "250.00",
        "400.00",
        "400.00",
    )
    assert (row["conversion_rate"], row["roas"]) == (1.0, 0.625)

    export = api.get(f"{A}/Conversions", params={"Format": "csv"}).text.splitlines()
    assert export[0] == ("Google Click ID,Conversion Name,Conversion Time,Conversion Value,"
                         "Conversion Currency,Click ID Type")  # fmt: skip
    assert export[1].startswith("Cj0KCQ-test,sale,")
    assert export[1].endswith("+0000,250.00,EUR,gclid")

    # the number went back to the pool: the lease is spent, the point cools down
    assert api.get(f"{A}/Leases/{lease.json()['sid']}").json()["status"] == "arrived"
