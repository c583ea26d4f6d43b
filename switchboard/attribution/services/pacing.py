"""Pacing rules per skill, and the answer an ad server asks for before an impression."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from switchboard.attribution.domain import pacing as rules
from switchboard.attribution.domain.records import PACING_RULE, PacingRule
from switchboard.attribution.services.context import Attribution
from switchboard.kernel import sids
from switchboard.kernel.errors import InvalidParameter, NotFound, SwitchboardError
from switchboard.kernel.ports import Unit


@dataclass(frozen=True)
class RuleFields:
    workspace_sid: str
    task_queue_sid: str
    friendly_name: str = "pacing"
    handle_seconds: int = 180
    answer_seconds: int = 20
    service_level: float = 0.8
    interval_seconds: int = 1800
    contacts_per_impression: float = 0.01
    forecast_contacts: float = 0.0
    hysteresis: float = 0.05
    business_hours: str = "{}"
    time_zone: str = "UTC"


def _check(fields: RuleFields) -> None:
    if not 0 < fields.service_level < 1:
        raise InvalidParameter("Invalid ServiceLevel: between 0 and 1")
    if not 0 <= fields.hysteresis < 1 - fields.service_level:
        raise InvalidParameter("Invalid Hysteresis: from 0 to below 1 - ServiceLevel")
    if not 0 <= fields.contacts_per_impression <= 1:
        raise InvalidParameter("Invalid ContactsPerImpression: from 0 to 1")
    if fields.forecast_contacts < 0:
        raise InvalidParameter("Invalid ForecastContacts: not negative")
    hours(fields.business_hours)
    _zone(fields.time_zone)


def hours(text: str) -> dict[int, tuple[int, int]]:
    try:
        spec = json.loads(text)
        if not isinstance(spec, dict):
            raise ValueError("a JSON object is expected")
        return rules.business_hours(spec)
    except ValueError as exc:
        raise InvalidParameter(f"Invalid BusinessHours: {exc}") from None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidParameter(f"Invalid TimeZone: {name!r} is not an IANA time zone") from None


def open_at(rule: PacingRule, now_ms: int) -> bool:
    """Whether `now_ms` falls in the rule's business hours, in its time zone."""
    local = datetime.fromtimestamp(now_ms / 1000, _zone(rule.time_zone))
    return rules.is_open(
        hours(rule.business_hours), local.weekday(), local.hour * 60 + local.minute
    )


async def create_rule(attribution: Attribution, account_sid: str, fields: RuleFields) -> PacingRule:
    _check(fields)
    if attribution.availability is not None:  # 404 for another tenant's queue, before saving
        await attribution.availability.availability(
            account_sid, fields.workspace_sid, fields.task_queue_sid, attribution.now()
        )
    now = attribution.now()
    rule = PacingRule(
        sids.new_sid(PACING_RULE), account_sid, fields.workspace_sid, fields.task_queue_sid,
        fields.friendly_name, fields.handle_seconds, fields.answer_seconds, fields.service_level,
        fields.interval_seconds, fields.contacts_per_impression, fields.forecast_contacts,
        fields.hysteresis, rules.CALL, fields.business_hours, fields.time_zone, now, now,
    )  # fmt: skip
    async with attribution.store.transaction() as unit:
        unit.add(rule)
    return rule


async def access_rule(unit: Unit, account_sid: str, sid: str) -> PacingRule:
    rule = await unit.get(PacingRule, sid) if sids.is_sid(sid, PACING_RULE) else None
    if rule is None or rule.account_sid != account_sid:
        raise NotFound(f"The requested resource /PacingRules/{sid} was not found")
    return rule


def inputs(rule: PacingRule) -> rules.PacingInputs:
    return rules.PacingInputs(
        handle_seconds=rule.handle_seconds,
        answer_seconds=rule.answer_seconds,
        target=rule.service_level,
        interval_seconds=rule.interval_seconds,
        contacts_per_impression=rule.contacts_per_impression,
        forecast_contacts=rule.forecast_contacts,
        hysteresis=rule.hysteresis,
    )


async def decide(attribution: Attribution, account_sid: str, rule_sid: str) -> rules.Decision:
    """Read live availability, decide, and remember the answer for the hysteresis."""
    if attribution.availability is None:
        raise SwitchboardError("Pacing needs live availability", code=20503, status=503)
    async with attribution.store.read() as unit:
        rule = await access_rule(unit, account_sid, rule_sid)
    since = attribution.now() - rule.interval_seconds * 1000
    now = await attribution.availability.availability(
        account_sid, rule.workspace_sid, rule.task_queue_sid, since
    )
    async with attribution.store.transaction(lock=rule.sid) as unit:
        current = await access_rule(unit, account_sid, rule_sid)
        open_now = open_at(current, attribution.now())
        decision = rules.decide(inputs(current), now, current.last_show, open_now)
        if decision.show != current.last_show:
            current.last_show = decision.show
            current.date_updated = attribution.now()
    return decision


async def ad_schedule(
    attribution: Attribution, account_sid: str, rule_sid: str
) -> list[rules.Block]:
    """The rule's business hours as weekly ad-schedule blocks (in its time zone)."""
    async with attribution.store.read() as unit:
        rule = await access_rule(unit, account_sid, rule_sid)
    return rules.ad_schedule(hours(rule.business_hours))
