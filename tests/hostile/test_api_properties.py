"""Property-based API tests generated from the served OpenAPI document (issue 12).

Schemathesis turns every operation of `/openapi.json` into a strategy of requests:
valid ones and, through the schema's edges, odd ones (huge integers, control
characters, unknown fields, nested values). Each request goes over real HTTP to a
live server on SQLite and on PostgreSQL, pointed at a seeded workspace so it
reaches real records, and the properties are:

* no 5xx, whatever the request;
* every 4xx carries Twilio's error body, with the same status inside;
* a refused write changes nothing in the workspace.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.conftest import Seeded, state_of

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("SWITCHBOARD_FUZZ_EXAMPLES", "5"))
SKIPPED = {
    # would close the tenant's own account or rotate its token mid-run
    ("POST", "/2010-04-01/Accounts/{Sid}.json"),
    ("POST", "/v1/AuthTokens/Promote"),
    ("DELETE", "/v1/AuthTokens/Secondary"),
}


def served_operations(client: httpx.Client, base_url: str) -> list[Any]:
    """Every operation of the document the live server serves at `/openapi.json`."""
    document = client.get(f"{base_url}/openapi.json").json()
    found = []
    for result in schemathesis.openapi.from_dict(document).get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # checked by test_openapi.py
        if (operation.method.upper(), operation.path) not in SKIPPED:
            found.append(operation)
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _pairs(mapping: Any) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if not isinstance(mapping, dict):
        return pairs
    for key, value in mapping.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(key), _text(item)))
    return pairs


def encode(pairs: list[tuple[str, str]]) -> str:
    """Lone surrogates go out as the invalid UTF-8 they are: hostile input too."""
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


def send(client: httpx.Client, seeded: Seeded, case: Any, real_sids: bool) -> httpx.Response:
    """The generated request, pointed at the seeded records unless it deletes."""
    if real_sids and case.method.upper() != "DELETE":
        for name in case.path_parameters or {}:
            if name in seeded.sids:
                case.path_parameters[name] = seeded.sids[name]
    kwargs = case.as_transport_kwargs(base_url=seeded.base_url)
    url = kwargs["url"]
    query = _pairs(kwargs.get("params"))
    if query:
        url += "?" + encode(query)
    headers = {"Content-Type": kwargs["headers"].get("Content-Type", "")}
    body = kwargs.get("data")
    content = encode(_pairs(body)).encode() if isinstance(body, dict) else body
    return client.request(kwargs["method"], url, headers=headers, content=content)


def check_refusal(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "more_info", "status"}, body
        assert body["status"] == response.status_code, body
        assert isinstance(body["code"], int) and body["message"], body


def fuzz_operation(seeded: Seeded, operation: Any, client: httpx.Client) -> None:
    workspace_url = f"{seeded.base_url}/v1/Workspaces/{seeded.sids['WorkspaceSid']}"
    writes = operation.method.upper() != "GET"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real_sids=st.booleans())
    def run(case: Any, real_sids: bool) -> None:
        before = state_of(client, workspace_url) if writes else None
        response = send(client, seeded, case, real_sids)
        check_refusal(response)
        if writes and 400 <= response.status_code < 500:
            assert state_of(client, workspace_url) == before, (case.method, case.path)

    run()


def fuzz_all(seeded: Seeded, pick: Callable[[Any], bool]) -> None:
    # a safety net, not a speed target: one request on a loaded 2-core CI machine took > 30 s
    with httpx.Client(auth=seeded.auth, timeout=120) as client:
        operations = served_operations(client, seeded.base_url)
        assert len(operations) > 70  # every operation but the few SKIPPED
        for operation in operations:
            if pick(operation):
                fuzz_operation(seeded, operation, client)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("kind", ["reads", "writes"])
async def test_no_request_from_the_openapi_document_gets_a_5xx(seeded: Seeded, kind: str) -> None:
    def pick(operation: Any) -> bool:
        return (operation.method.upper() == "GET") is (kind == "reads")

    await asyncio.to_thread(fuzz_all, seeded, pick)
