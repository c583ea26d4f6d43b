"""Fraud scoring end to end: rules, staged actions, parent notification, cross-account rules."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.request_validator import RequestValidator

from switchboard.kernel.clock import FakeClock
from switchboard.runtime import Runtime
from switchboard.tenancy import fraud
from switchboard.wire.auth import CredentialCache
from tests.tenancy.conftest import NewTenant, Tenant, get_account, make_subaccount

ACCOUNTS = "/2010-04-01/Accounts"


@dataclass
class Receiver:
    """A callback endpoint on 127.0.0.1 that records what it was sent."""

    url: str
    received: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    calls: list[tuple[dict[str, str], dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            calls.append((dict(self.headers.items()), dict(parse_qsl(body))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/fraud", calls)
    finally:
        server.shutdown()
        server.server_close()


async def evaluate(runtime: Runtime) -> list[fraud.Outcome]:
    """What the background monitor and `switchboard fraud evaluate` do, after a usage flush."""
    await runtime.meter.flush()
    outcomes: list[fraud.Outcome] = await runtime.fraud.evaluate()
    return outcomes


async def add_rule(client: httpx.AsyncClient, owner: Tenant, **form: str) -> httpx.Response:
    return await client.post("/v1/FraudRules", data=form, auth=owner.auth)


async def calls(client: httpx.AsyncClient, who: Tenant, count: int) -> None:
    for _ in range(count):
        assert (await client.get("/v1/Workspaces", auth=who.auth)).status_code == 200


async def events(client: httpx.AsyncClient, who: Tenant) -> list[dict[str, object]]:
    response = await client.get("/v1/AccountEvents", auth=who.auth)
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()["events"]
    return found


async def test_a_child_tripping_a_rule_notifies_its_parent_who_is_not_punished(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant, receiver: Receiver
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    await client.post(
        f"{ACCOUNTS}/{parent.sid}.json", data={"CallbackUrl": receiver.url}, auth=parent.auth
    )
    rule = await add_rule(
        client,
        parent,
        FriendlyName="busy child",
        Category="taskrouter.workspaces",
        Comparison=">=",
        Count="3",
        Window="24h",
        YoungerThanDays="30",
        Score="60",
    )
    assert rule.status_code == 201, rule.text
    await calls(client, child, 3)
    await calls(client, parent, 10)  # the parent's own busy day: the rule is for children
    await evaluate(runtime)

    seen = (await client.get(f"{ACCOUNTS}/{child.sid}.json", auth=parent.auth)).json()
    assert (seen["fraud_score"], seen["fraud_stage"]) == (60, "flagged")
    assert (await get_account(runtime, parent.sid)).fraud_stage == "none"
    [event] = await events(client, parent)
    assert event["event_type"] == "account.fraud.flagged"
    assert event["resource_sid"] == child.sid
    assert await events(client, child) == []  # the child is not told its own fraud score

    [(headers, params)] = receiver.received
    assert params["EventType"] == "account.fraud.flagged"
    assert (params["AccountSid"], params["ResourceSid"]) == (parent.sid, child.sid)
    validator = RequestValidator(parent.token)
    assert validator.validate(receiver.url, params, headers["X-Twilio-Signature"])

    await evaluate(runtime)  # nothing changed: no second notification
    assert len(receiver.received) == 1 and len(await events(client, parent)) == 1


async def test_suspension_locks_the_child_out_until_the_operator_clears_it(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    await add_rule(client, parent, Category="taskrouter.workspaces", Count="0", Score="100")
    await calls(client, child, 1)
    await evaluate(runtime)
    runtime.deps.get(CredentialCache).clear()
    assert (await client.get("/v1/Workspaces", auth=child.auth)).status_code == 401
    [event] = await events(client, parent)
    assert event["event_type"] == "account.fraud.suspended"
    url = f"{ACCOUNTS}/{child.sid}.json"
    refused = await client.post(url, data={"Status": "active"}, auth=parent.auth)
    assert refused.status_code == 400 and "fraud" in refused.json()["message"]

    cleared = await fraud.clear_account(runtime.services.store, child.sid)
    assert (cleared.status, cleared.fraud_stage) == ("active", "none")
    assert (await client.get("/v1/Workspaces", auth=child.auth)).status_code == 200


async def test_a_throttled_account_is_rate_capped(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    tenant, other = await new_tenant("Throttled"), await new_tenant("Other")
    await fraud.add_rule(
        runtime.services.store,
        fraud.RuleFields("too old", "usage", ">=", 0, 85, younger_than_days=None),
    )
    await evaluate(runtime)
    assert (await get_account(runtime, tenant.sid)).fraud_stage == "throttled"
    statuses = [
        (await client.get("/v1/Workspaces", auth=tenant.auth)).status_code for _ in range(15)
    ]
    assert statuses.count(200) == 10  # the burst, then about 5 a second
    limited = await client.get("/v1/Workspaces", auth=tenant.auth)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["code"] == 20429
    [event] = await events(client, other)  # a top-level account hears about itself
    assert event["event_type"] == "account.fraud.throttled"


async def test_the_same_billing_details_on_more_than_three_families(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    await fraud.add_rule(
        runtime.services.store, fraud.RuleFields("ring", "shared_billing", ">", 3, 50)
    )
    family = await new_tenant("Family")
    for name in ("a", "b", "c", "d"):
        await make_subaccount(client, family, name)  # children inherit the parent's details
    ring = [await new_tenant(f"ring {i}") for i in range(4)]
    for member in [family, *ring[:2]]:
        await client.post(
            f"{ACCOUNTS}/{member.sid}.json",
            data={"BillingDetails": "1 Main St, Springfield"},
            auth=member.auth,
        )
    outcomes = {o.account_sid: o for o in await evaluate(runtime)}
    assert outcomes[family.sid].score == 0  # 3 families: a parent and its children count once
    for member in ring[2:]:
        await client.post(
            f"{ACCOUNTS}/{member.sid}.json",
            data={"BillingDetails": "1 MAIN ST,  springfield"},
            auth=member.auth,
        )
    outcomes = {o.account_sid: o for o in await evaluate(runtime)}
    assert outcomes[family.sid].after.label == "flagged"
    assert all(outcomes[member.sid].score == 50 for member in ring)


async def test_fraud_rules_api(client: httpx.AsyncClient, new_tenant: NewTenant) -> None:
    parent, stranger = await new_tenant("Parent"), await new_tenant("Stranger")
    child = await make_subaccount(client, parent)
    created = (await add_rule(client, parent, FriendlyName="r", Count="5", Score="20")).json()
    assert (created["window"], created["category"], created["comparison"]) == ("all", "*", ">")
    listed = (await client.get("/v1/FraudRules", auth=parent.auth)).json()["rules"]
    assert [row["sid"] for row in listed] == [created["sid"]]
    one = await client.get(f"/v1/FraudRules/{created['sid']}", auth=parent.auth)
    assert one.json()["count"] == 5
    assert (await add_rule(client, parent, Window="2d")).status_code == 400
    assert (await add_rule(client, parent, YoungerThanDays="0")).status_code == 400
    # past a century (and PostgreSQL's 32-bit column) is refused, not a 500
    assert (await add_rule(client, parent, YoungerThanDays="6469693230")).status_code == 400
    for intruder in (stranger, child):
        response = await client.get(f"/v1/FraudRules/{created['sid']}", auth=intruder.auth)
        assert response.status_code == 404
    assert (await client.get("/v1/FraudRules", auth=child.auth)).status_code == 404
    deleted = await client.delete(f"/v1/FraudRules/{created['sid']}", auth=parent.auth)
    assert deleted.status_code == 204
    gone = await client.delete(f"/v1/FraudRules/{created['sid']}", auth=parent.auth)
    assert gone.status_code == 404


async def test_the_background_monitor_evaluates_periodically(
    new_tenant: NewTenant, runtime: Runtime
) -> None:
    clock = FakeClock()
    settings = fraud.FraudSettings(interval_seconds=60)
    monitor = fraud.FraudMonitor(runtime.services.store, runtime.core.accounts, settings, clock)
    tenant = await new_tenant("Watched")
    await fraud.add_rule(runtime.services.store, fraud.RuleFields("all", "usage", ">=", 0, 55))
    await monitor.start()
    try:
        while not clock.pending():  # the monitor is asleep on the clock
            await asyncio.sleep(0)
        clock.advance(59)
        await asyncio.sleep(0.05)  # the monitor had every chance to run: it must not have
        assert (await get_account(runtime, tenant.sid)).fraud_stage == "none"
        clock.advance(1)  # the interval is up: one evaluation runs
        for _ in range(200):
            if (await get_account(runtime, tenant.sid)).fraud_stage == "flagged":
                break
            await asyncio.sleep(0.01)
    finally:
        await monitor.stop()
    assert (await get_account(runtime, tenant.sid)).fraud_stage == "flagged"
