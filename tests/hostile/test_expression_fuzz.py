"""The expression language fuzzed through the API (issue 12).

Random token soups and mutations of valid expressions go everywhere an expression
is read: queue TargetWorkers, workflow filters and targets, the Workers list's
TargetWorkersExpression, the Tasks list's EvaluateTaskAttributes. Workers and tasks
carry generated attributes, deep ones included. Every answer must come quickly and
be a 2xx or a Twilio 4xx, and routing of a control queue in the same workspace
must go on: its task is reserved after the fuzzing, with no routing pass failing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.conftest import Seeded
from tests.hostile.test_api_properties import EXAMPLES, check_refusal, encode

pytestmark = pytest.mark.slow
# no request may take longer than this (a hang is a failure too)
SLOW = 10.0

VALID = [
    "1==1",
    "a == b",
    "a HAS b OR b IN a",
    "skill == 'seeded'",
    "languages HAS 'en' AND level >= 3",
    "a.b.c IN ['x', 'y'] OR NOT (n < 2.5)",
    "task.priority > worker.level",
    "tags CONTAINS 'vi' AND x != null",
    "list[0] == 'a' OR list NOT HAS 1",
]
TOKENS = [
    "==", "=", "!=", "<", ">", "<=", ">=", "HAS", "CONTAINS", "IN", "NOT", "AND", "OR",
    "(", ")", "[", "]", ",", ".", "'x'", '"y"', "1", "-2.5e3", "1e999", "9" * 30, "true",
    "null", "a", "b", "worker.a", "task.b", "\\", "'", '"', "\x00", "\ud800", "é", " ",
]  # fmt: skip

tokens = st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join)
# around the nesting limit, and as deep as 4,096 characters allow (the RecursionError of
# issue 12 item 1 needed two 700-deep lists)
depths = st.one_of(st.integers(0, 40), st.integers(500, 1000))
nested = st.builds(lambda depth, value: json.loads("[" * depth + value + "]" * depth),
                   depths, st.sampled_from(["1", '"a"', "{}", "null"]))  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid expression with a few characters inserted, deleted or replaced."""
    text = list(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(["(", ")", "'", "[", "]", " ", "=", "!", "\\", "\x00", "z"]))
        if action == "insert" or not text:
            text.insert(at, char)
        elif action == "delete":
            del text[min(at, len(text) - 1)]
        else:
            text[min(at, len(text) - 1)] = char
    return "".join(text)


expressions = st.one_of(st.sampled_from(VALID), tokens, mutated(), st.text(max_size=60))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)
attributes = st.dictionaries(
    st.sampled_from(["a", "b", "skill", "level", "languages", "list", "tags", "x", "n"]),
    json_values | nested,
    max_size=5,
)


def answer(
    client: httpx.Client,
    method: str,
    url: str,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """One request, its text sent as generated (lone surrogates as invalid UTF-8)."""
    if params:
        url += "?" + encode(list(params.items()))
    content = encode(list(data.items())).encode() if data else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    started = time.monotonic()
    response = client.request(method, url, content=content, headers=headers)
    assert time.monotonic() - started < SLOW, f"{method} {url} took too long"
    check_refusal(response)
    return response


def fuzz(seeded: Seeded, available: str, fuzz_channel: str) -> None:
    ws = f"{seeded.base_url}/v1/Workspaces/{seeded.sids['WorkspaceSid']}"

    @settings(
        max_examples=EXAMPLES * 8,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(target=expressions, condition=expressions, worker=attributes, task=attributes)
    def run(target: str, condition: str, worker: dict[str, Any], task: dict[str, Any]) -> None:
        with httpx.Client(auth=seeded.auth, timeout=SLOW * 2) as client:
            queue = answer(
                client, "POST", f"{ws}/TaskQueues",
                data={"FriendlyName": "fuzz", "TargetWorkers": target},
            )  # fmt: skip
            queue_sid = (
                queue.json()["sid"] if queue.status_code == 201 else seeded.sids["TaskQueueSid"]
            )
            document = {
                "task_routing": {
                    "filters": [
                        {
                            "expression": condition,
                            "targets": [{"queue": queue_sid, "expression": target}],
                        }
                    ],
                    "default_filter": {"queue": queue_sid},
                }
            }
            flow = answer(
                client, "POST", f"{ws}/Workflows",
                data={"FriendlyName": "fuzz", "Configuration": json.dumps(document)},
            )  # fmt: skip
            answer(
                client, "POST", f"{ws}/Workers",
                data={"FriendlyName": "fuzz", "Attributes": json.dumps(worker),
                      "ActivitySid": available},
            )  # fmt: skip
            if flow.status_code == 201:
                answer(
                    client, "POST", f"{ws}/Tasks",
                    data={"Attributes": json.dumps(task), "WorkflowSid": flow.json()["sid"],
                          "TaskChannel": fuzz_channel},
                )  # fmt: skip
            answer(client, "GET", f"{ws}/Workers", params={"TargetWorkersExpression": target})
            answer(client, "GET", f"{ws}/Tasks", params={"EvaluateTaskAttributes": condition})
            answer(
                client, "GET", f"{ws}/TaskQueues",
                params={"EvaluateWorkerAttributes": json.dumps(worker)},
            )  # fmt: skip

    run()


async def control(seeded: Seeded, client: httpx.AsyncClient) -> tuple[str, str]:
    """A control queue and worker the fuzzed tasks cannot take (no capacity on their
    channel), and the fuzzed tasks' channel."""
    live = seeded.live
    ws = f"/v1/Workspaces/{live.workspace_sid}"
    channel = await client.post(f"{ws}/TaskChannels", data={"FriendlyName": "f", "UniqueName": "f"})
    assert channel.status_code == 201, channel.text
    queue = await live.queue("control", "control == true")
    worker = await live.worker("control", control=True)
    for row in (await client.get(f"{ws}/Workers/{worker}/Channels")).json()["channels"]:
        if row["task_channel_unique_name"] == "f":
            url = f"{ws}/Workers/{worker}/Channels/{row['sid']}"
            assert (await client.post(url, data={"Capacity": "0"})).status_code == 200
    return queue, worker


@pytest.mark.timeout(900)
async def test_fuzzed_expressions_get_no_5xx_and_routing_of_other_queues_goes_on(
    seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    live = seeded.live
    async with live.http() as client:
        queue, worker = await control(seeded, client)
        await asyncio.to_thread(fuzz, seeded, live.activities["Available"], "f")
        workflow = await live.workflow(queue)
        task = await live.task(workflow, kind="control")
        deadline = time.monotonic() + 20
        while True:
            url = f"/v1/Workspaces/{live.workspace_sid}/Tasks/{task}/Reservations"
            reservations = (await client.get(url)).json()["reservations"]
            if reservations or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    assert [r["worker_sid"] for r in reservations] == [worker]
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []
