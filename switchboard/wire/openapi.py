"""The served API description: `/openapi.json` and interactive docs at `/docs`.

Routes read their parameters through :class:`~switchboard.wire.params.Params`, so
FastAPI cannot see them; each pillar instead hands over a :class:`Catalogue` that
describes its operations (TaskRouter's and Conversations' come from Twilio's own
OpenAPI documents).
The document lists exactly the operations the app serves, each under the
catalogue's path template, with its parameters, its success response and the
Twilio error responses every route can give. Both live outside `/v1`, so the
TaskRouter namespace stays Twilio's; a test keeps the document, the routes and
Twilio's reference in step.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

JSON = dict[str, Any]
ERROR_SCHEMA = "switchboard.error"
_ERRORS = {
    "400": "A parameter is missing, malformed or out of range (Twilio code 20001)",
    "401": "Missing or wrong credentials (HTTP Basic: account SID and auth token)",
    "404": "No such resource for this account (another tenant's SIDs included)",
    "429": "Too many requests for this account right now; retry after `Retry-After`",
}
_PARAMETER = re.compile(r"\{[^}]*\}")
_METHODS = ("get", "post", "put", "patch", "delete")


def shape(path: str) -> str:
    """A path template without parameter names: `/v1/Workspaces/{}/Workers/{}`."""
    return _PARAMETER.sub("{}", path)


@dataclass
class Catalogue:
    """Descriptions of operations, keyed by method and path shape; `schemas` are the
    components their `$ref`s point to."""

    operations: dict[tuple[str, str], tuple[str, JSON]] = field(default_factory=dict)
    schemas: JSON = field(default_factory=dict)

    def add(self, method: str, path: str, operation: JSON) -> None:
        self.operations[(method.lower(), shape(path))] = (path, operation)

    def find(self, method: str, path: str) -> tuple[str, JSON] | None:
        return self.operations.get((method.lower(), shape(path)))


def served_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app lists in its schema, as FastAPI names them."""
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
    return [
        (method, path)
        for path, item in spec.get("paths", {}).items()
        for method in item
        if method in _METHODS
    ]


def build_document(app: FastAPI, catalogues: Iterable[Catalogue], version: str) -> JSON:
    """The OpenAPI 3 document of what `app` serves; undescribed routes are listed under
    `x-undescribed` (a test requires that list to be empty)."""
    catalogues = list(catalogues)
    paths: dict[str, JSON] = {}
    undescribed: list[str] = []
    for method, path in served_operations(app):
        found = next((c.find(method, path) for c in catalogues if c.find(method, path)), None)
        if found is None:
            undescribed.append(f"{method.upper()} {path}")
            continue
        template, operation = found
        paths.setdefault(template, {})[method] = _with_errors(operation)
    schemas: JSON = {ERROR_SCHEMA: _error_schema()}
    for catalogue in catalogues:
        schemas.update(catalogue.schemas)
    document: JSON = {
        "openapi": "3.0.1",
        "info": {
            "title": "Switchboard",
            "version": version,
            "description": (
                "TaskRouter v1 and Conversations v1 compatible work distribution and"
                " conversations, call attribution, accounts and usage."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"accountSid_authToken": {"type": "http", "scheme": "basic"}},
        },
        "security": [{"accountSid_authToken": []}],
    }
    if undescribed:
        document["x-undescribed"] = undescribed
    return document


def _with_errors(operation: JSON) -> JSON:
    described = copy.deepcopy(operation)
    responses = described.setdefault("responses", {})
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    for status, text in _ERRORS.items():
        responses.setdefault(
            status, {"description": text, "content": {"application/json": {"schema": ref}}}
        )
    return described


def _error_schema() -> JSON:
    return {
        "type": "object",
        "description": "Twilio's error body, for every failure",
        "required": ["code", "message", "more_info", "status"],
        "properties": {
            "code": {"type": "integer", "description": "Twilio error code, e.g. 20001"},
            "message": {"type": "string", "description": "What went wrong and how to fix it"},
            "more_info": {"type": "string", "format": "uri"},
            "status": {"type": "integer", "description": "The HTTP status, repeated"},
        },
    }


def install_docs(app: FastAPI, catalogues: Iterable[Catalogue], version: str) -> None:
    """Serve `/openapi.json` (built once, on first request) and Swagger UI at `/docs`."""
    catalogues = list(catalogues)
    built: JSON = {}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        if not built:
            built.update(build_document(app, catalogues, version))
        return JSONResponse(built)

    @app.get("/docs", include_in_schema=False)
    async def interactive_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Switchboard API")


# --- helpers for catalogues written by hand ------------------------------------------


def parameter(
    name: str, where: str, description: str, schema: Mapping[str, Any], required: bool = False
) -> JSON:
    return {
        "name": name,
        "in": where,
        "description": description,
        "required": required or where == "path",
        "schema": dict(schema),
    }


def form_body(properties: Mapping[str, tuple[Mapping[str, Any], str]], *required: str) -> JSON:
    """An `application/x-www-form-urlencoded` body: name -> (schema, description)."""
    schema: JSON = {
        "type": "object",
        "properties": {
            name: {**spec, "description": text} for name, (spec, text) in properties.items()
        },
    }
    if required:
        schema["required"] = list(required)
    return {"content": {"application/x-www-form-urlencoded": {"schema": schema}}}


def json_response(status: int, description: str) -> JSON:
    if status == 204:
        return {"204": {"description": description}}
    return {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
