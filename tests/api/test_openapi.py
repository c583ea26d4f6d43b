"""The served API description (issue 11, item 16): `/openapi.json` and `/docs` outside
`/v1`, every operation with its parameters and error responses, in step with the
routes and with Twilio's TaskRouter and Conversations reference documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from switchboard.conversations.api import openapi as conversations_openapi
from switchboard.distribution.api.openapi import reference
from switchboard.wire.openapi import ERROR_SCHEMA, served_operations, shape

ROOT = Path(__file__).resolve().parents[2]
# the shared reference beside the repository; the test fixture is the same file
SHARED = ROOT.parent / "shared" / "reference" / "twilio_taskrouter_v1.json"
TWILIO = SHARED if SHARED.exists() else ROOT / "tests" / "fixtures" / "twilio_taskrouter_v1.json"
SHARED_CONVERSATIONS = SHARED.with_name("twilio_conversations_v1.json")
CONVERSATIONS = (
    SHARED_CONVERSATIONS
    if SHARED_CONVERSATIONS.exists()
    else ROOT / "tests" / "fixtures" / "twilio_conversations_v1.json"
)
# Twilio Conversations operations Switchboard does not offer: the per-service copies of
# the API, push credentials, and writing a user's conversation membership directly
NOT_OFFERED = ("/v1/Services", "/v1/Credentials")
NOT_OFFERED_OPERATIONS = {
    ("post", "/v1/Users/{}/Conversations/{}"),
    ("delete", "/v1/Users/{}/Conversations/{}"),
}
ERRORS = ("400", "401", "404", "429")
# a description of the routes: one store is enough
pytestmark = pytest.mark.parametrize("store", ["memory"], indirect=True)


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json", auth=None)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, shape(path)): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "delete")
    }


def signature(operation: dict[str, Any]) -> tuple[Any, ...]:
    """What a client must send: parameters (name, place, required) and body fields."""
    parameters = sorted(
        (p["name"], p["in"], bool(p.get("required"))) for p in operation.get("parameters", [])
    )
    body = operation.get("requestBody", {}).get("content", {})
    fields = {
        media: sorted(content["schema"].get("properties", {})) for media, content in body.items()
    }
    return tuple(parameters), json.dumps(fields, sort_keys=True)


async def test_docs_are_served_outside_the_taskrouter_namespace(
    make_client: Any,
) -> None:
    anonymous = make_client(None)
    assert (await anonymous.get("/openapi.json")).status_code == 200
    page = await anonymous.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "swagger" in page.text.lower()
    for path in ("/v1/openapi.json", "/v1/docs"):
        assert (await anonymous.get(path)).status_code in (401, 404)


async def test_every_route_is_described_and_nothing_else(
    app: FastAPI, document: dict[str, Any]
) -> None:
    assert "x-undescribed" not in document
    served = {(method, shape(path)) for method, path in served_operations(app)}
    assert served == set(operations(document))


async def test_every_operation_describes_its_parameters_and_twilio_errors(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas[ERROR_SCHEMA]["required"]) == {"code", "message", "more_info", "status"}
    for key, operation in operations(document).items():
        for parameter in operation.get("parameters", []):
            assert parameter.get("schema"), (key, parameter["name"])
            assert "description" in parameter, (key, parameter["name"])
        responses = operation["responses"]
        assert any(status.startswith("2") for status in responses), key
        for status in ERRORS:
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}, (key, status)


async def test_taskrouter_operations_say_what_twilio_reference_says(
    document: dict[str, Any],
) -> None:
    """Every operation of the shared reference is served, with the same parameters
    and body fields; the copy vendored in the package is that reference."""
    twilio = json.loads(TWILIO.read_text())
    assert reference()["paths"] == twilio["paths"]
    assert reference()["components"]["schemas"] == twilio["components"]["schemas"]
    ours = operations(document)
    for key, operation in operations(twilio).items():
        assert key in ours, f"{key} of Twilio's reference is not served"
        assert signature(ours[key]) == signature(operation), key
        for status, response in operation["responses"].items():
            assert ours[key]["responses"][status] == response, (key, status)


async def test_conversations_operations_say_what_twilio_reference_says(
    document: dict[str, Any],
) -> None:
    """Every Conversations v1 operation of the shared reference is served (but the
    families Switchboard does not offer), described exactly as Twilio describes it; the
    copy vendored in the package is that reference."""
    twilio = json.loads(CONVERSATIONS.read_text())
    vendored = conversations_openapi.reference()
    assert vendored["paths"] == twilio["paths"]
    assert vendored["components"]["schemas"] == twilio["components"]["schemas"]
    ours = operations(document)
    offered = {
        key: operation
        for key, operation in operations(twilio).items()
        if not key[1].startswith(NOT_OFFERED) and key not in NOT_OFFERED_OPERATIONS
    }
    assert len(offered) > 30
    for key, operation in offered.items():
        assert key in ours, f"{key} of Twilio's reference is not served"
        assert ours[key]["operationId"] == operation["operationId"], key
        assert signature(ours[key]) == signature(operation), key
        for status, response in operation["responses"].items():
            assert ours[key]["responses"][status] == response, (key, status)
    for key in operations(twilio).keys() - offered.keys():
        assert key not in ours, f"{key} is served: describe it as offered"


async def test_public_attribution_routes_need_no_credentials(document: dict[str, Any]) -> None:
    """The page snippet's routes take a pool's public key, so the document says they take
    no credentials; the rest of the attribution API takes the account's."""
    public = [
        operation
        for (method, path), operation in operations(document).items()
        if path.startswith("/attribution/public/")
    ]
    assert len(public) == 3
    assert all(operation["security"] == [] for operation in public)
    private = [
        operation
        for (method, path), operation in operations(document).items()
        if path.startswith("/attribution/v1/")
    ]
    assert private and all("security" not in operation for operation in private)
    assert document["security"] == [{"accountSid_authToken": []}]
