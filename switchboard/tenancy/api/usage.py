"""Billing and oversight: usage records, balance, account events and fraud rules.

* `/2010-04-01/Accounts/{Sid}/Usage/Records[/Today|/Yesterday|/ThisMonth|/LastMonth|
  /AllTime].json` and `/Balance.json`, in the 2010 API's shape (`client.api.v2010`);
  a parent may read its children's.
* `/v1/AccountEvents` (e.g. a sub-account tripped a fraud rule) and `/v1/FraudRules`
  (a parent's own rules for its sub-accounts) — Switchboard's own, v1-shaped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request, Response

from switchboard.kernel.clock import from_datetime, iso
from switchboard.kernel.errors import InvalidParameter, NotFound
from switchboard.tenancy import fraud, subaccounts
from switchboard.tenancy.api.accounts import ACCOUNTS, list_2010
from switchboard.tenancy.domain import fraud as policy
from switchboard.tenancy.domain.records import AccountEvent, FraudRule
from switchboard.tenancy.usage import UsageMeter, UsageTotal, format_money, usage_totals
from switchboard.wire.context import (
    JSON,
    Ctx,
    context,
    json_response,
    list_response,
    no_content,
    page_from_items,
    page_from_query,
)
from switchboard.wire.deps import deps
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

NAME_LENGTH = 64
router = GatedRouter()
RECORDS = ACCOUNTS + "/{sid}/Usage/Records"
DateRange = tuple[date, date]


def _today() -> date:
    return datetime.now(UTC).date()


def _month_start(day: date) -> date:
    return day.replace(day=1)


# Twilio's fixed-range subresources: name -> (first day, last day) given today
_RANGES: dict[str, Callable[[date], DateRange]] = {
    "Today": lambda today: (today, today),
    "Yesterday": lambda today: (today - timedelta(days=1), today - timedelta(days=1)),
    "ThisMonth": lambda today: (_month_start(today), today),
    "LastMonth": lambda today: (
        _month_start(_month_start(today) - timedelta(days=1)),
        _month_start(today) - timedelta(days=1),
    ),
}


def _snake(name: str) -> str:
    """`ThisMonth` -> `this_month`, Twilio's subresource keys."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _day(params: Params, name: str) -> date | None:
    value = params.raw(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidParameter(f"Invalid {name}: {value!r} is not a date (YYYY-MM-DD)") from None


DAY_MS = 86_400_000


def _ms(day: date) -> int:
    return from_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC))


def _record(account_sid: str, total: UsageTotal, span: DateRange, currency: str) -> JSON:
    """Twilio's UsageRecord; counts and prices are strings, as api.twilio.com sends them."""
    query = urlencode(
        {"Category": total.category, "StartDate": span[0].isoformat(), "EndDate": span[1]}
    )
    base = f"{ACCOUNTS}/{account_sid}/Usage/Records"
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "as_of": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "category": total.category,
        "count": str(total.count),
        "count_unit": "calls",
        "description": f"API calls ({total.category})",
        "end_date": span[1].isoformat(),
        "price": format_money(total.price_micros),
        "price_unit": currency.lower(),
        "start_date": span[0].isoformat(),
        "subresource_uris": {
            _snake(name): f"{base}/{name}.json?Category={total.category}"
            for name in ("AllTime", *_RANGES)
        },
        "uri": f"{base}.json?{query}",
        "usage": str(total.count),
        "usage_unit": "calls",
    }


async def _flush(request: Request) -> str:
    """Write this process's pending counts first, so a reader sees its own calls; the
    currency comes along (it is a usage setting)."""
    meter = deps(request).find(UsageMeter)
    if not isinstance(meter, UsageMeter):
        return "USD"
    await meter.flush()
    return meter.settings.currency


async def _records(ctx: Ctx, sid: str, span: DateRange | None) -> Response:
    store = ctx.store
    account = await subaccounts.fetch_account(store, ctx.account_sid, sid)
    currency = await _flush(ctx.request)
    if span is None:
        first = (
            _day(ctx.params, "StartDate")
            or datetime.fromtimestamp(account.date_created / 1000, UTC).date()
        )
        span = (first, _day(ctx.params, "EndDate") or _today())
    if span[0] > span[1]:
        raise InvalidParameter("Invalid StartDate: it must not be after EndDate")
    category = ctx.params.string("Category", max_length=64)
    totals = await usage_totals(
        # the end is the next midnight, in ms: `date.max + 1 day` does not exist
        store,
        account.sid,
        _ms(span[0]),
        _ms(span[1]) + DAY_MS,
        category,
    )
    if category is not None and not totals:
        totals = [UsageTotal(category, 0, 0)]
    records = [_record(account.sid, total, span, currency) for total in totals]
    page = page_from_items(ctx, records)
    return json_response(list_2010(ctx.request, "usage_records", page, page.records))


@router.get(RECORDS + ".json")
async def list_usage_records(sid: str, ctx: Ctx = Depends(context)) -> Response:
    return await _records(ctx, sid, None)


@router.get(RECORDS + "/AllTime.json")
async def list_all_time(sid: str, ctx: Ctx = Depends(context)) -> Response:
    return await _records(ctx, sid, None)


def _fixed_range(name: str) -> None:
    async def fixed(sid: str, ctx: Ctx = Depends(context)) -> Response:
        return await _records(ctx, sid, _RANGES[name](_today()))

    fixed.__name__ = f"list_usage_{name.lower()}"
    router.add_api_route(f"{RECORDS}/{name}.json", fixed, methods=["GET"])


for _name in _RANGES:
    _fixed_range(_name)


@router.get(ACCOUNTS + "/{sid}/Balance.json")
async def fetch_balance(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await subaccounts.fetch_account(ctx.store, ctx.account_sid, sid)  # 404 before any work
    currency = await _flush(ctx.request)
    account = await subaccounts.fetch_account(ctx.store, ctx.account_sid, sid)
    balance = format_money(account.balance_micros)
    return json_response({"account_sid": account.sid, "balance": balance, "currency": currency})


# --- /v1/AccountEvents ---------------------------------------------------------------------


def _event_json(ctx: Ctx, row: AccountEvent) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "resource_sid": row.subject_sid,
        "event_type": row.event_type,
        "description": row.description,
        "event_data": json.loads(row.event_data),
        "event_date": iso(row.event_date),
        "event_date_ms": row.event_date,
        "url": f"{ctx.request.base_url}v1/AccountEvents/{row.sid}",
    }


@router.get("/v1/AccountEvents")
async def list_account_events(ctx: Ctx = Depends(context)) -> Response:
    query = subaccounts.account_events_query(
        ctx.account_sid, ctx.params.string("EventType"), ctx.params.string("ResourceSid")
    )
    async with ctx.store.read() as unit:
        page = await page_from_query(ctx, unit, query)
    return list_response(ctx, "events", page, [_event_json(ctx, row) for row in page.records])


# --- /v1/FraudRules: a parent's rules for its sub-accounts ---------------------------------


async def _require_parent(ctx: Ctx) -> None:
    """Only top-level accounts own rules; for a sub-account the resource does not exist."""
    account = await subaccounts.fetch_account(ctx.store, ctx.account_sid, ctx.account_sid)
    if account.parent_sid is not None:
        raise NotFound(f"The requested resource {ctx.request.url.path} was not found")


def _rule_json(ctx: Ctx, row: FraudRule) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.owner_sid,
        "friendly_name": row.friendly_name,
        "kind": row.kind,
        "category": row.category,
        "comparison": row.comparison,
        "count": row.threshold,
        "window": row.window,
        "younger_than_days": row.younger_than_days,
        "score": row.score,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "url": f"{ctx.request.base_url}v1/FraudRules/{row.sid}",
    }


MAX_ACCOUNT_AGE_DAYS = 36_500  # a century: the column is a 32-bit integer


def _rule_fields(p: Params) -> fraud.RuleFields:
    return fraud.RuleFields(
        friendly_name=p.string("FriendlyName", max_length=NAME_LENGTH) or "rule",
        kind=p.enum("Kind", policy.KINDS) or policy.USAGE,
        comparison=p.enum("Comparison", policy.COMPARISONS) or ">",
        threshold=p.integer("Count", 0) or 0,
        score=p.integer("Score", -1000, 1000) or 0,
        category=p.string("Category", max_length=64) or policy.ANY_CATEGORY,
        window=p.enum("Window", policy.WINDOWS) or "all",
        younger_than_days=p.integer("YoungerThanDays", 1, MAX_ACCOUNT_AGE_DAYS),
    )


@router.get("/v1/FraudRules")
async def list_fraud_rules(ctx: Ctx = Depends(context)) -> Response:
    await _require_parent(ctx)
    async with ctx.store.read() as unit:
        page = await page_from_query(ctx, unit, fraud.rules_query(ctx.account_sid))
    return list_response(ctx, "rules", page, [_rule_json(ctx, row) for row in page.records])


@router.post("/v1/FraudRules")
async def create_fraud_rule(ctx: Ctx = Depends(context)) -> Response:
    await _require_parent(ctx)
    row = await fraud.add_rule(ctx.store, _rule_fields(ctx.params), ctx.account_sid)
    return json_response(_rule_json(ctx, row), 201)


@router.get("/v1/FraudRules/{sid}")
async def fetch_fraud_rule(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await _require_parent(ctx)
    return json_response(_rule_json(ctx, await fraud.fetch_rule(ctx.store, sid, ctx.account_sid)))


@router.delete("/v1/FraudRules/{sid}")
async def delete_fraud_rule(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await _require_parent(ctx)
    await fraud.remove_rule(ctx.store, sid, ctx.account_sid)
    return no_content()


def install(app: FastAPI) -> None:
    app.include_router(router)
