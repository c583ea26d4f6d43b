"""Channels: inbound SMS webhooks per second to a routed task, each a new customer's
text, with p99.

Each request is a Twilio Messaging webhook signed with `X-Twilio-Signature`, posted one
after another through the in-process ASGI app (SQLite file): signature check, parsing,
address resolution, the MessageSid idempotency key, then the organization's request
router (issue 19): a case, a conversation with the customer as an SMS participant, the
message, the TaskRouter task in the workflow, the acknowledgement and the queue update.
Every webhook's task is checked to exist at the end.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from bench.center import ensure_secret_key, sqlite_url
from bench.common import Config, Result, measuring, percentile
from switchboard.conversations.services.routing import Router
from switchboard.database import upgrade
from switchboard.distribution.domain.records import Task
from switchboard.runtime import build_core, http_app
from switchboard.settings import Settings

NAME = "channels"
BASE = "http://bench"
TOKEN = "bench-provider-token"  # noqa: S105 - the bench's own webhook key
NUMBER = "+15550100001"


def _form(n: int) -> dict[str, str]:
    return {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": f"+1555{n:07d}",
        "To": NUMBER,
        "Body": f"Hello, this is customer {n}",
        "NumMedia": "0",
    }


async def _run(config: Config, workdir: Path) -> list[Result]:
    count = 20 if config.quick else 500
    ensure_secret_key()
    settings = Settings(
        database_url=sqlite_url(workdir / "channels.db"),
        channel_sms=True,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TOKEN,
        public_url=BASE,
    )
    core = build_core(settings)
    await upgrade(core.store)
    app, registry = http_app(core)
    account, token = await core.accounts.create("bench channels")
    url = f"{BASE}/v1/Channels/Sms/Inbound"
    validator = RequestValidator(TOKEN)
    timings = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
            await _routing(http, (account.sid, token))
            started = time.perf_counter()
            for n in range(count):
                form = _form(n)
                headers = {"X-Twilio-Signature": validator.compute_signature(url, form)}
                sent = time.perf_counter()
                answer = await http.post(url, data=form, headers=headers)
                timings.append(time.perf_counter() - sent)
                assert answer.status_code == 200, answer.text
            elapsed = time.perf_counter() - started
        async with core.store.read() as unit:
            tasks = await unit.count(Task)
        assert tasks == count, f"{tasks} tasks for {count} webhooks"
    finally:
        registry.get(Router).stop()
        await core.close()
    note = f"{count} webhooks from new customers, SQLite, in-process; to the routed task"
    return [
        Result(
            NAME,
            "inbound SMS webhooks/s to routed task (signed, new request each)",
            count / elapsed,
            "req/s",
            notes=[note],
        ),
        Result(
            NAME,
            "p99 inbound SMS webhook latency",
            percentile(timings, 0.99),
            "s",
            better="lower",
            notes=[note],
        ),
    ]


async def _routing(http: httpx.AsyncClient, auth: tuple[str, str]) -> None:
    """A workspace with a queue and workflow, the organization's routing profile, and its
    number naming the organization."""

    async def post(path: str, **form: str) -> dict[str, str]:
        answer = await http.post(path, data=form, auth=auth)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    space = await post("/v1/Workspaces", FriendlyName="bench channels")
    base = f"/v1/Workspaces/{space['sid']}"
    queue = await post(f"{base}/TaskQueues", FriendlyName="Agents", TargetWorkers="1==1")
    document = {"task_routing": {"filters": [], "default_filter": {"queue": queue["sid"]}}}
    flow = await post(
        f"{base}/Workflows", FriendlyName="Requests", Configuration=json.dumps(document)
    )
    await post(
        "/v1/Organizations/acme/RoutingProfile",
        WorkspaceSid=space["sid"], WorkflowSid=flow["sid"], ProxyAddress="acme",
    )  # fmt: skip
    await post("/v1/Channels/Addresses", Channel="sms", Address=NUMBER, Organization="acme")


def run(config: Config, workdir: Path) -> list[Result]:
    with measuring():  # the runner's earlier objects stay out of the collector's scans
        return asyncio.run(_run(config, workdir))
