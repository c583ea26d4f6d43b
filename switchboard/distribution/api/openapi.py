"""What the served OpenAPI document says about the TaskRouter routes.

Twilio's own description of TaskRouter v1 (twilio/twilio-oai, MIT, vendored beside
this module) gives every standard operation its parameters, body and responses, so
the document says exactly what Twilio's does; the extensions (worker tokens,
callback deliveries) are described here.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from switchboard.distribution.api.routes.callback_deliveries import KINDS, STATUSES
from switchboard.distribution.work.worker_tokens import DEFAULT_TTL, MAX_TTL
from switchboard.wire.openapi import Catalogue, form_body, json_response, parameter
from switchboard.wire.paging import MAX_PAGE_SIZE

REFERENCE = "twilio_taskrouter_v1.json"
_SID = {"type": "string", "minLength": 34, "maxLength": 34}


def _sid(prefix: str) -> dict[str, Any]:
    return {**_SID, "pattern": f"^{prefix}[0-9a-fA-F]{{32}}$"}


@functools.cache
def reference() -> dict[str, Any]:
    """Twilio's TaskRouter v1 OpenAPI document, as vendored."""
    text = resources.files(__package__).joinpath(REFERENCE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def catalogue() -> Catalogue:
    """Twilio's operations, then the extensions."""
    found = Catalogue(schemas=dict(reference()["components"]["schemas"]))
    for path, item in reference()["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "delete"):
                found.add(method, path, operation)
    _extensions(found)
    return found


def _extensions(found: Catalogue) -> None:
    workspace = parameter("WorkspaceSid", "path", "The SID of the Workspace", _sid("WS"))
    worker = parameter("WorkerSid", "path", "The SID of the Worker", _sid("WK"))
    found.add(
        "post",
        "/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}/Token",
        {
            "summary": "Mint a bearer token for the worker websocket (Switchboard extension)",
            "tags": ["SwitchboardExtensions"],
            "parameters": [workspace, worker],
            "requestBody": form_body(
                {
                    "Ttl": (
                        {"type": "integer", "minimum": 1, "maximum": MAX_TTL},
                        f"Seconds the token is valid (default {DEFAULT_TTL})",
                    )
                }
            ),
            "responses": json_response(201, "The token, its expiry and the websocket URL"),
        },
    )
    found.add(
        "get",
        "/v1/Workspaces/{WorkspaceSid}/CallbackDeliveries",
        {
            "summary": "Assignment and event callback deliveries, newest first (extension)",
            "tags": ["SwitchboardExtensions"],
            "parameters": [
                workspace,
                parameter("Status", "query", "Only these statuses", {"enum": list(STATUSES)}),
                parameter("Kind", "query", "Only these kinds", {"enum": list(KINDS)}),
                parameter("Sid", "query", "One delivery", {"type": "string"}),
                *paging(),
            ],
            "responses": json_response(200, "A page of deliveries"),
        },
    )
    found.add(
        "get",
        "/v1/Workspaces/{WorkspaceSid}/CallbackDeliveries/{Sid}",
        {
            "summary": "One callback delivery, as its `url` names it (extension)",
            "tags": ["SwitchboardExtensions"],
            "parameters": [
                workspace,
                parameter("Sid", "path", "The delivery's SID", {"type": "string"}),
            ],
            "responses": json_response(200, "The delivery"),
        },
    )


def paging() -> list[dict[str, Any]]:
    """Twilio's paging parameters, as every list takes them."""
    return [
        parameter(
            "PageSize",
            "query",
            "How many resources to return in each list page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        ),
        parameter("Page", "query", "The page index", {"type": "integer", "minimum": 0}),
        parameter("PageToken", "query", "The page token", {"type": "string"}),
    ]
