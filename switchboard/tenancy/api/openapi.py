"""What the served OpenAPI document says about accounts, auth tokens, usage and fraud
rules (Twilio's 2010 API names where Twilio has them; Switchboard's own otherwise)."""

from __future__ import annotations

from typing import Any

from switchboard.tenancy import subaccounts
from switchboard.tenancy.domain import fraud as policy
from switchboard.wire.openapi import Catalogue, form_body, json_response, parameter
from switchboard.wire.paging import MAX_PAGE_SIZE

ACCOUNTS = "/2010-04-01/Accounts"
_TEXT = {"type": "string"}
_ACCOUNT = {"type": "string", "minLength": 34, "maxLength": 34, "pattern": "^AC[0-9a-fA-F]{32}$"}
_RULE = {"type": "string", "minLength": 34, "maxLength": 34, "pattern": "^FR[0-9a-fA-F]{32}$"}
_STATUS = {"type": "string", "enum": list(subaccounts.STATUSES)}
_DAY = {"type": "string", "format": "date"}


def _paging() -> list[dict[str, Any]]:
    return [
        parameter(
            "PageSize",
            "query",
            "How many resources to return in each list page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        ),
        parameter("Page", "query", "The page index", {"type": "integer", "minimum": 0}),
        parameter("PageToken", "query", "The page token", _TEXT),
    ]


def _op(summary: str, status: int, *parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["SwitchboardAccounts"],
        "parameters": list(parameters),
        "responses": json_response(status, summary),
        **extra,
    }


def catalogue() -> Catalogue:
    found = Catalogue()
    _accounts(found)
    _usage(found)
    _fraud(found)
    return found


def _accounts(found: Catalogue) -> None:
    sid = parameter("Sid", "path", "The account's SID (yours or a sub-account's)", _ACCOUNT)
    found.add(
        "get",
        f"{ACCOUNTS}.json",
        _op(
            "Your account and its sub-accounts",
            200,
            parameter("FriendlyName", "query", "Only accounts with this name", _TEXT),
            parameter("Status", "query", "Only accounts in this status", _STATUS),
            *_paging(),
        ),
    )
    found.add(
        "post",
        f"{ACCOUNTS}.json",
        _op(
            "Create a sub-account (its auth token is shown once)",
            201,
            requestBody=form_body(
                {
                    "FriendlyName": (_TEXT, "A name for the sub-account"),
                    "BillingDetails": (_TEXT, "Billing details (compared by the fraud rules)"),
                }
            ),
        ),
    )
    found.add("get", f"{ACCOUNTS}/{{Sid}}.json", _op("Fetch an account", 200, sid))
    found.add(
        "post",
        f"{ACCOUNTS}/{{Sid}}.json",
        _op(
            "Update an account (a parent may suspend or close its sub-accounts)",
            200,
            sid,
            requestBody=form_body(
                {
                    "FriendlyName": (_TEXT, "A new name"),
                    "Status": (_STATUS, "active, suspended or closed"),
                    "CallbackUrl": ({"type": "string", "format": "uri"}, "Account callbacks"),
                    "BillingDetails": (_TEXT, "Billing details"),
                }
            ),
        ),
    )
    tokens = "/v1/AuthTokens"
    found.add("post", f"{tokens}/Secondary", _op("Create a secondary auth token", 201))
    secondary = _op("Delete the secondary auth token", 204)
    found.add("delete", f"{tokens}/Secondary", secondary)
    found.add("post", f"{tokens}/Promote", _op("Promote the secondary auth token", 200))


def _usage(found: Catalogue) -> None:
    sid = parameter("Sid", "path", "The account's SID", _ACCOUNT)
    category = parameter("Category", "query", "Only this usage category", _TEXT)
    span = [
        parameter("StartDate", "query", "First day (YYYY-MM-DD, UTC)", _DAY),
        parameter("EndDate", "query", "Last day (YYYY-MM-DD, UTC)", _DAY),
    ]
    records = f"{ACCOUNTS}/{{Sid}}/Usage/Records"
    found.add("get", f"{records}.json", _op("Usage records", 200, sid, *span, category, *_paging()))
    for name in ("AllTime", "Today", "Yesterday", "ThisMonth", "LastMonth"):
        dates = span if name == "AllTime" else []
        summary = f"Usage records, {name}"
        found.add(
            "get", f"{records}/{name}.json", _op(summary, 200, sid, *dates, category, *_paging())
        )
    found.add("get", f"{ACCOUNTS}/{{Sid}}/Balance.json", _op("The account's balance", 200, sid))
    found.add(
        "get",
        "/v1/AccountEvents",
        _op(
            "Account events (fraud flags, status changes), newest first",
            200,
            parameter("EventType", "query", "Only events of this type", _TEXT),
            parameter("ResourceSid", "query", "Only events about this resource", _TEXT),
            *_paging(),
        ),
    )


def _fraud(found: Catalogue) -> None:
    sid = parameter("Sid", "path", "The rule's SID", _RULE)
    integer = {"type": "integer"}
    found.add("get", "/v1/FraudRules", _op("Fraud rules", 200, *_paging()))
    found.add(
        "post",
        "/v1/FraudRules",
        _op(
            "Add a fraud rule",
            201,
            requestBody=form_body(
                {
                    "FriendlyName": (_TEXT, "A name for the rule"),
                    "Kind": ({"enum": list(policy.KINDS)}, "What the rule looks at"),
                    "Comparison": ({"enum": list(policy.COMPARISONS)}, "How Count compares"),
                    "Count": ({**integer, "minimum": 0}, "The threshold"),
                    "Score": ({**integer, "minimum": -1000, "maximum": 1000}, "Score added"),
                    "Category": (_TEXT, "The usage category counted"),
                    "Window": ({"enum": list(policy.WINDOWS)}, "The time window"),
                    "YoungerThanDays": (
                        {**integer, "minimum": 1, "maximum": 36_500},
                        "Only younger accounts",
                    ),
                }
            ),
        ),
    )
    found.add("get", "/v1/FraudRules/{Sid}", _op("Fetch a fraud rule", 200, sid))
    found.add("delete", "/v1/FraudRules/{Sid}", _op("Delete a fraud rule", 204, sid))
