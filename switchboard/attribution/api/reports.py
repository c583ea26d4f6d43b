"""Outcomes, spend, reports, conversion export, pacing and the Erlang calculator over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from fastapi import Depends, Response

from switchboard.attribution.api.common import (
    PREFIX,
    contact_json,
    number,
    required_number,
    services,
)
from switchboard.attribution.domain import erlang
from switchboard.attribution.domain.pacing import Decision
from switchboard.attribution.domain.records import PacingRule
from switchboard.attribution.services import outcomes, pacing, staffing
from switchboard.kernel.clock import iso
from switchboard.kernel.errors import InvalidParameter
from switchboard.wire.context import Ctx, context, json_response
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
FORMATS = ("json", "csv")


@router.post(PREFIX + "/Outcomes")
async def record_outcome(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    subject = p.string("ContactSid") or p.string("TaskSid")
    if not subject:
        raise InvalidParameter("Missing required parameter ContactSid (or TaskSid)")
    fields = outcomes.OutcomeFields(
        outcome=p.string("Outcome", required=True),
        revenue=p.string("Revenue", max_length=32),
        currency=p.string("Currency", max_length=3),
    )
    contact = await outcomes.record_outcome(services(ctx.request), ctx.account_sid, subject, fields)
    return json_response(contact_json(ctx.request, contact))


@router.post(PREFIX + "/Spend")
async def import_spend(ctx: Ctx = Depends(context)) -> Response:
    """One row as fields (Day, Campaign, Publisher, Keyword, Amount, Currency), or many as
    a CSV document in the `Csv` parameter."""
    text = ctx.params.string("Csv", max_length=2_000_000)
    if text is not None:
        rows = outcomes.spend_csv(text)
    else:
        names = ("day", "campaign", "publisher", "keyword", "amount", "currency")
        rows = [outcomes.spend_row({n: ctx.params.string(n.capitalize()) for n in names})]
    count = await outcomes.import_spend(services(ctx.request), ctx.account_sid, rows)
    return json_response({"imported": count}, 201)


def _day(p: Params, name: str, default: date) -> str:
    value = p.raw(name)
    if value is None:
        return default.isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidParameter(f"Invalid {name}: {value!r} is not a date (YYYY-MM-DD)") from None


@router.get(PREFIX + "/Reports")
async def report(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    today = datetime.now(UTC).date()
    dimension = p.string("Dimension", max_length=32) or "campaign"
    query = outcomes.ReportQuery(
        dimension=dimension,
        currency=outcomes._currency(p.string("Currency") or "USD"),
        first_day=_day(p, "StartDate", today - timedelta(days=30)),
        last_day=_day(p, "EndDate", today),
    )
    rows = await outcomes.report(services(ctx.request), ctx.account_sid, query)
    if p.enum("Format", FORMATS) == "csv":
        return Response(outcomes.report_csv(rows), media_type="text/csv")
    return json_response({"dimension": dimension, "start_date": query.first_day,
                          "end_date": query.last_day, "rows": rows})  # fmt: skip


@router.get(PREFIX + "/Conversions")
async def conversions(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    name = p.string("ConversionName", max_length=100) or "sale"
    since = p.datetime_ms("Since") or 0
    rows = await outcomes.conversions(services(ctx.request), ctx.account_sid, name, since)
    if p.enum("Format", FORMATS) == "csv":
        return Response(outcomes.conversions_csv(rows), media_type="text/csv")
    return json_response({"conversions": rows})


# --- pacing --------------------------------------------------------------------------------


def _rule_json(rule: PacingRule) -> dict[str, object]:
    return {
        "sid": rule.sid,
        "account_sid": rule.account_sid,
        "workspace_sid": rule.workspace_sid,
        "task_queue_sid": rule.task_queue_sid,
        "friendly_name": rule.friendly_name,
        "handle_seconds": rule.handle_seconds,
        "answer_seconds": rule.answer_seconds,
        "service_level": rule.service_level,
        "interval_seconds": rule.interval_seconds,
        "contacts_per_impression": rule.contacts_per_impression,
        "forecast_contacts": rule.forecast_contacts,
        "hysteresis": rule.hysteresis,
        "last_show": rule.last_show,
        "business_hours": json.loads(rule.business_hours),
        "time_zone": rule.time_zone,
        "date_created": iso(rule.date_created),
        "date_updated": iso(rule.date_updated),
    }


@router.post(PREFIX + "/PacingRules")
async def create_rule(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    fields = pacing.RuleFields(
        workspace_sid=p.sid("WorkspaceSid", "WS") or _missing("WorkspaceSid"),
        task_queue_sid=p.sid("TaskQueueSid", "WQ") or _missing("TaskQueueSid"),
        friendly_name=p.string("FriendlyName", max_length=64) or "pacing",
        handle_seconds=p.integer("HandleSeconds", 1, 86_400) or 180,
        answer_seconds=_or(p.integer("AnswerSeconds", 0, 3600), 20),
        service_level=number(p, "ServiceLevel", 0.01, 0.99) or 0.8,
        interval_seconds=p.integer("IntervalSeconds", 60, 86_400) or 1800,
        contacts_per_impression=_or_float(number(p, "ContactsPerImpression", 0, 1), 0.01),
        forecast_contacts=_or_float(number(p, "ForecastContacts", 0, 1e6), 0.0),
        hysteresis=_or_float(number(p, "Hysteresis", 0, 0.5), 0.05),
        business_hours=p.json_text("BusinessHours", max_length=2000) or "{}",
        time_zone=p.string("TimeZone", max_length=64) or "UTC",
    )
    rule = await pacing.create_rule(services(ctx.request), ctx.account_sid, fields)
    return json_response(_rule_json(rule), 201)


def _missing(name: str) -> str:
    raise InvalidParameter(f"Missing required parameter {name}")


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _or_float(value: float | None, default: float) -> float:
    return default if value is None else value


def _decision_json(rule_sid: str, decision: Decision) -> dict[str, object]:
    return {"pacing_rule_sid": rule_sid, **decision.__dict__}


@router.get(PREFIX + "/PacingRules/{sid}/AdSchedule")
async def ad_schedule(sid: str, ctx: Ctx = Depends(context)) -> Response:
    blocks = await pacing.ad_schedule(services(ctx.request), ctx.account_sid, sid)
    async with services(ctx.request).store.read() as unit:
        rule = await pacing.access_rule(unit, ctx.account_sid, sid)
    return json_response({"pacing_rule_sid": sid, "time_zone": rule.time_zone,
                          "ad_schedule": [block.as_dict() for block in blocks]})  # fmt: skip


@router.get(PREFIX + "/PacingRules/{sid}/Decision")
async def decide(sid: str, ctx: Ctx = Depends(context)) -> Response:
    decision = await pacing.decide(services(ctx.request), ctx.account_sid, sid)
    return json_response(_decision_json(sid, decision))


# --- the Erlang calculator -----------------------------------------------------------------


def staffing_json(plan: erlang.Staffing) -> dict[str, object]:
    """The calculator's answer: the CLI's `--json` object, and the offered load."""
    return {**plan.figures(), "load_erlangs": round(plan.load, 4)}


@router.get(PREFIX + "/Staffing/Erlang")
async def erlang_calculator(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    try:
        target = erlang.StaffingTarget(
            service_level=required_number(p, "ServiceLevel", 0.01, 0.99),
            answer_seconds=required_number(p, "AnswerSeconds", 0, 3600),
            max_occupancy=number(p, "MaxOccupancy", 0.01, 1) or 1.0,
            shrinkage=number(p, "Shrinkage", 0, 0.95) or 0.0,
            patience_seconds=number(p, "PatienceSeconds", 1, 86_400),
        )
        aht = required_number(p, "AhtSeconds", 1, 86_400)
        load = erlang.offered_load(
            required_number(p, "Calls", 0, 1e6), required_number(p, "IntervalSeconds", 60, 86_400),
            aht,
        )  # fmt: skip
        if target.patience_seconds is not None:
            _refuse_costly_erlang_a(load, aht, target)
        plan = erlang.required_agents(load, aht, target)
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from None
    return json_response(staffing_json(plan))


# Erlang A's cost grows with the load times the answer horizon and with the callers'
# patience; within these bounds one answer takes under a second (measured: 200 Erlangs,
# AnswerSeconds = 10 x AhtSeconds, PatienceSeconds = 100 x AhtSeconds: 0.66 s). Beyond
# them a single request could keep a server busy for minutes (found by the API fuzzer).
ERLANG_A_MAX_LOAD = 200
ERLANG_A_MAX_ANSWER_IN_AHTS = 10
ERLANG_A_MAX_PATIENCE_IN_AHTS = 100


def _refuse_costly_erlang_a(load: float, aht: float, target: erlang.StaffingTarget) -> None:
    patience = target.patience_seconds or 0.0
    if load > ERLANG_A_MAX_LOAD:
        raise ValueError(
            f"Erlang A (PatienceSeconds) is computed up to {ERLANG_A_MAX_LOAD} Erlangs of "
            f"load; this is {load:,.1f}: omit PatienceSeconds for Erlang C"
        )
    if target.answer_seconds > ERLANG_A_MAX_ANSWER_IN_AHTS * aht:
        raise ValueError(
            f"with PatienceSeconds, AnswerSeconds can be at most {ERLANG_A_MAX_ANSWER_IN_AHTS}"
            " times AhtSeconds"
        )
    if patience > ERLANG_A_MAX_PATIENCE_IN_AHTS * aht:
        raise ValueError(
            f"PatienceSeconds can be at most {ERLANG_A_MAX_PATIENCE_IN_AHTS} times AhtSeconds"
            " (callers that patient are Erlang C: omit PatienceSeconds)"
        )


@router.get(PREFIX + "/Staffing/PoolSize")
async def pool_size(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    load = erlang.offered_load(
        required_number(p, "VisitorsPerHour", 0, 1e6), 3600,
        required_number(p, "HoldSeconds", 1, 86_400),
    )  # fmt: skip
    max_overflow = required_number(p, "MaxOverflow", 0.0001, 0.5)
    try:
        points, overflow = erlang.pool_size(load, max_overflow)
    except ValueError as exc:  # no practical pool: the caller's numbers, not a fault
        raise InvalidParameter(str(exc)) from None
    return json_response({"numbers": points, "overflow": round(overflow, 6)})


@router.get(PREFIX + "/Staffing/Plan")
async def staffing_plan(ctx: Ctx = Depends(context)) -> Response:
    """Per interval of the range: forecast, agents and heads required, today's roster."""
    p = ctx.params
    try:
        target = erlang.StaffingTarget(
            service_level=number(p, "ServiceLevel", 0.01, 0.99) or 0.8,
            answer_seconds=_or_float(number(p, "AnswerSeconds", 0, 3600), 20.0),
            max_occupancy=number(p, "MaxOccupancy", 0.01, 1) or 1.0,
            shrinkage=number(p, "Shrinkage", 0, 0.95) or 0.0,
        )
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from None
    start = date.fromisoformat(_day(p, "StartDate", datetime.now(UTC).date()))
    days = p.integer("Days", 1, 14) or 1
    if (date.max - start).days < days - 1:  # intervals are named by their start time
        raise InvalidParameter(f"Invalid StartDate: a plan of {days} days must end by {date.max}")
    query = staffing.PlanQuery(
        workspace_sid=p.sid("WorkspaceSid", "WS") or _missing("WorkspaceSid"),
        task_queue_sid=p.sid("TaskQueueSid", "WQ") or _missing("TaskQueueSid"),
        start=start,
        days=days,
        interval_seconds=(p.integer("IntervalMinutes", 15, 60) or 30) * 60,
        handle_seconds=required_number(p, "AhtSeconds", 1, 86_400),
        target=target,
        method=p.enum("Method", staffing.METHODS) or "moving_average",
        campaign=p.string("Campaign", max_length=256),
        planned_impressions=_or_float(number(p, "PlannedImpressions", 0, 1e9), 0.0),
    )
    return json_response(await staffing.plan(services(ctx.request), ctx.account_sid, query))
