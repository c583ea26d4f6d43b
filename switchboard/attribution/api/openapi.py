"""What the served OpenAPI document says about the attribution routes (`/attribution/v1`,
and the page snippet's `/attribution/public`, which take a pool's public key instead of
credentials). Each parameter is described as the route reads it: same name, same place,
same bounds, so schemathesis and clients see what the server enforces."""

from __future__ import annotations

from typing import Any

from switchboard.attribution.api.common import PREFIX, PUBLIC
from switchboard.attribution.api.pools import DAY
from switchboard.attribution.api.reports import FORMATS
from switchboard.attribution.domain import leases as rules
from switchboard.attribution.domain import records as rec
from switchboard.attribution.services.staffing import METHODS
from switchboard.wire.openapi import Catalogue, form_body, json_response, parameter

JSON = dict[str, Any]
TAG = "SwitchboardAttribution"
_TEXT: JSON = {"type": "string"}
_DAY: JSON = {"type": "string", "format": "date"}


def _sid(prefix: str) -> JSON:
    return {
        "type": "string",
        "minLength": 34,
        "maxLength": 34,
        "pattern": f"^{prefix}[0-9a-fA-F]{{32}}$",
    }


def _int(low: int, high: int) -> JSON:
    return {"type": "integer", "minimum": low, "maximum": high}


def _num(low: float, high: float) -> JSON:
    return {"type": "number", "minimum": low, "maximum": high}


def _text(max_length: int) -> JSON:
    return {"type": "string", "maxLength": max_length}


def _op(summary: str, status: int, *parameters: JSON, **extra: Any) -> JSON:
    return {
        "summary": summary,
        "tags": [TAG],
        "parameters": list(parameters),
        "responses": json_response(status, summary),
        **extra,
    }


def _query(name: str, description: str, schema: JSON, required: bool = False) -> JSON:
    return parameter(name, "query", description, schema, required)


def catalogue() -> Catalogue:
    found = Catalogue()
    _pools(found)
    _leases(found)
    _public(found)
    _reports(found)
    _pacing(found)
    _staffing(found)
    return found


_POOL = parameter("Sid", "path", "The pool's SID", _sid(rec.POOL))
_POINTS = ({"type": "array", "items": _text(256)}, "Contact points (repeat the parameter)")


def _pools(found: Catalogue) -> None:
    pools = f"{PREFIX}/Pools"
    body = form_body(
        {
            "FriendlyName": (_text(64), "A name for the pool (default `pool`)"),
            "Kind": ({"type": "string", "enum": list(rec.KINDS)}, "What the points are"),
            "Fallback": (_text(256), "The point shown when every point is leased"),
            "LeaseSeconds": (_int(60, 7 * DAY), "How long a lease holds its point (1800)"),
            "CooldownSeconds": (_int(0, DAY), "Rest after a lease before reuse (300)"),
            "SlotSeconds": (_int(60, 7 * DAY), "Time-slot mode: the calling window"),
            "RepeatDays": (_int(0, 365), "Days a repeat caller is matched back (30)"),
            "ConversionUrl": ({"type": "string", "format": "uri"}, "Where outcomes are posted"),
            "ContactPoint": _POINTS,
        },
        "Fallback",
    )
    found.add("post", pools, _op("Create a pool of contact points", 201, requestBody=body))
    found.add("get", pools, _op("The account's pools", 200))
    found.add("get", f"{pools}/{{Sid}}", _op("Fetch a pool", 200, _POOL))
    found.add("delete", f"{pools}/{{Sid}}", _op("Delete a pool", 204, _POOL))
    points = f"{pools}/{{Sid}}/ContactPoints"
    found.add("get", points, _op("The pool's contact points", 200, _POOL))
    add = form_body({"ContactPoint": _POINTS})
    found.add("post", points, _op("Add contact points", 201, _POOL, requestBody=add))
    window = _query("WindowSeconds", "The window counted, in seconds (3600)", _int(60, 31 * DAY))
    found.add("get", f"{pools}/{{Sid}}/Statistics", _op("Pool statistics", 200, _POOL, window))


def _attribution_body() -> JSON:
    """A lease request's form fields are the visitor's attribution, whatever their names."""
    well_known = ("Visitor", "Campaign", "Publisher", "Keyword", "utm_source", "utm_medium")
    body = form_body({name: (_text(rules.FIELD_LENGTH), "Attribution") for name in well_known})
    schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
    schema["additionalProperties"] = _text(rules.FIELD_LENGTH)
    schema["maxProperties"] = rules.MAX_FIELDS
    schema["description"] = (
        "Any attribution pairs (keys up to 64 characters); `Visitor` (or `Customer`, "
        f"`Session`) keeps one lease per visitor; click ids: {', '.join(rules.CLICK_IDS)}"
    )
    return body


def _leases(found: Catalogue) -> None:
    lease = parameter("Sid", "path", "The lease's SID", _sid(rec.LEASE))
    found.add(
        "post",
        f"{PREFIX}/Pools/{{Sid}}/Leases",
        _op(
            "Lease a contact point for a visitor (200 when their live lease is returned)",
            201,
            _POOL,
            requestBody=_attribution_body(),
        ),
    )
    found.add("get", f"{PREFIX}/Leases/{{Sid}}", _op("Fetch a lease", 200, lease))
    found.add("post", f"{PREFIX}/Leases/{{Sid}}/Heartbeat", _op("Extend a lease", 200, lease))
    body = form_body(
        {
            "ContactPoint": (_text(256), "The dialed number or address"),
            "Caller": (_text(256), "Who called"),
        },
        "ContactPoint",
    )
    found.add(
        "post",
        f"{PREFIX}/Contacts",
        _op("Record an arrival and return its attribution", 201, requestBody=body),
    )
    contact = parameter("Sid", "path", "The contact's SID", _sid(rec.CONTACT))
    found.add("get", f"{PREFIX}/Contacts/{{Sid}}", _op("Fetch a contact", 200, contact))


def _public(found: Catalogue) -> None:
    """The page snippet's endpoints: no credentials (`security: []`), CORS open."""
    key = parameter("Key", "path", "The pool's public key", _text(256))
    lease = parameter("Sid", "path", "The lease's SID", _sid(rec.LEASE))
    found.add(
        "post",
        f"{PUBLIC}/{{Key}}/Leases",
        _op(
            "Lease a contact point from a page (public key, no credentials)",
            201,
            key,
            requestBody=_attribution_body(),
            security=[],
        ),
    )
    found.add(
        "post",
        f"{PUBLIC}/{{Key}}/Leases/{{Sid}}/Heartbeat",
        _op("Extend a page's lease (public key, no credentials)", 200, key, lease, security=[]),
    )
    found.add(
        "get",
        f"{PUBLIC}/swap.js",
        {
            "summary": "The number-swap page snippet",
            "tags": [TAG],
            "security": [],
            "responses": {
                "200": {
                    "description": "The script",
                    "content": {"text/javascript": {"schema": {"type": "string"}}},
                }
            },
        },
    )


def _formats() -> JSON:
    return _query("Format", "json (default) or csv", {"type": "string", "enum": list(FORMATS)})


def _reports(found: Catalogue) -> None:
    outcome = form_body(
        {
            "ContactSid": (_TEXT, "The contact (or give TaskSid)"),
            "TaskSid": (_TEXT, "The TaskRouter task of the contact"),
            "Outcome": (_TEXT, "What came of it, e.g. sale"),
            "Revenue": (_text(32), "A decimal amount"),
            "Currency": (_text(3), "ISO 4217 code"),
        },
        "Outcome",
    )
    found.add(
        "post", f"{PREFIX}/Outcomes", _op("Record a contact's outcome", 200, requestBody=outcome)
    )
    spend = form_body(
        {
            "Csv": (_text(2_000_000), "Many rows: day,campaign,publisher,keyword,amount,currency"),
            "Day": (_DAY, "One row: the day"),
            "Campaign": (_TEXT, "One row: the campaign"),
            "Publisher": (_TEXT, "One row: the publisher"),
            "Keyword": (_TEXT, "One row: the keyword"),
            "Amount": (_TEXT, "One row: the amount spent"),
            "Currency": (_TEXT, "One row: ISO 4217 code"),
        }
    )
    found.add("post", f"{PREFIX}/Spend", _op("Import ad spend", 201, requestBody=spend))
    found.add(
        "get",
        f"{PREFIX}/Reports",
        _op(
            "Contacts, outcomes, revenue and spend by a dimension",
            200,
            _query("Dimension", "campaign (default), publisher, keyword, ...", _text(32)),
            _query("Currency", "ISO 4217 code (USD)", _TEXT),
            _query("StartDate", "First day (YYYY-MM-DD; 30 days ago)", _DAY),
            _query("EndDate", "Last day (YYYY-MM-DD; today)", _DAY),
            _formats(),
        ),
    )
    found.add(
        "get",
        f"{PREFIX}/Conversions",
        _op(
            "Offline conversions for ad platforms",
            200,
            _query("ConversionName", "The conversion's name (sale)", _text(100)),
            _query(
                "Since",
                "Only outcomes after this time (ISO 8601)",
                {"type": "string", "format": "date-time"},
            ),
            _formats(),
        ),
    )


def _pacing(found: Catalogue) -> None:
    body = form_body(
        {
            "WorkspaceSid": (_sid("WS"), "The TaskRouter workspace"),
            "TaskQueueSid": (_sid("WQ"), "The queue whose staffing paces the ads"),
            "FriendlyName": (_text(64), "A name (pacing)"),
            "HandleSeconds": (_int(1, 86_400), "Average handle time (180)"),
            "AnswerSeconds": (_int(0, 3600), "Service-level answer time (20)"),
            "ServiceLevel": (_num(0.01, 0.99), "Service-level target (0.8)"),
            "IntervalSeconds": (_int(60, 86_400), "Interval length (1800)"),
            "ContactsPerImpression": (_num(0, 1), "Contacts per ad impression (0.01)"),
            "ForecastContacts": (_num(0, 1e6), "Contacts forecast per interval (0)"),
            "Hysteresis": (_num(0, 0.5), "Margin before switching (0.05)"),
            "BusinessHours": (_text(2000), "JSON object of opening hours"),
            "TimeZone": (_text(64), "IANA time zone (UTC)"),
        },
        "WorkspaceSid",
        "TaskQueueSid",
    )
    found.add("post", f"{PREFIX}/PacingRules", _op("Create a pacing rule", 201, requestBody=body))
    rule = parameter("Sid", "path", "The pacing rule's SID", _sid(rec.PACING_RULE))
    rules_path = f"{PREFIX}/PacingRules/{{Sid}}"
    found.add("get", f"{rules_path}/AdSchedule", _op("The rule's ad schedule", 200, rule))
    found.add("get", f"{rules_path}/Decision", _op("Show ads now or not", 200, rule))


def _targets(required: bool) -> list[JSON]:
    return [
        _query("ServiceLevel", "Share answered within AnswerSeconds", _num(0.01, 0.99), required),
        _query("AnswerSeconds", "The service-level answer time", _num(0, 3600), required),
        _query("MaxOccupancy", "Highest agent occupancy (1)", _num(0.01, 1)),
        _query("Shrinkage", "Share of paid time not on the phones (0)", _num(0, 0.95)),
    ]


def _staffing(found: Catalogue) -> None:
    staffing = f"{PREFIX}/Staffing"
    found.add(
        "get",
        f"{staffing}/Erlang",
        _op(
            "Agents needed for a call volume (Erlang C, or Erlang A with PatienceSeconds)",
            200,
            *_targets(required=True),
            _query("PatienceSeconds", "Average caller patience", _num(1, 86_400)),
            _query("AhtSeconds", "Average handle time", _num(1, 86_400), True),
            _query("Calls", "Calls per interval", _num(0, 1e6), True),
            _query("IntervalSeconds", "Interval length", _num(60, 86_400), True),
        ),
    )
    found.add(
        "get",
        f"{staffing}/PoolSize",
        _op(
            "Contact points needed for a visitor rate",
            200,
            _query("VisitorsPerHour", "Visitors leasing per hour", _num(0, 1e6), True),
            _query("HoldSeconds", "How long a lease holds its point", _num(1, 86_400), True),
            _query("MaxOverflow", "Acceptable share of overflow", _num(0.0001, 0.5), True),
        ),
    )
    found.add(
        "get",
        f"{staffing}/Plan",
        _op(
            "Forecast, agents and heads required per interval, and today's roster",
            200,
            *_targets(required=False),
            _query("WorkspaceSid", "The TaskRouter workspace", _sid("WS"), True),
            _query("TaskQueueSid", "The queue planned", _sid("WQ"), True),
            _query("StartDate", "First day (YYYY-MM-DD; today)", _DAY),
            _query("Days", "Days planned (1)", _int(1, 14)),
            _query("IntervalMinutes", "Interval length in minutes (30)", _int(15, 60)),
            _query("AhtSeconds", "Average handle time", _num(1, 86_400), True),
            _query("Method", "The forecast method", {"type": "string", "enum": list(METHODS)}),
            _query("Campaign", "Only this campaign's contacts", _text(256)),
            _query("PlannedImpressions", "Ad impressions planned", _num(0, 1e9)),
        ),
    )
