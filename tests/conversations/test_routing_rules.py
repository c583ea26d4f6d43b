"""The pure rules of request routing: business hours across DST and holidays,
categorization rules, the queue estimate, the inactivity and SLA clocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from switchboard.conversations.domain import routing as rt
from switchboard.conversations.domain.hours import Hours
from switchboard.kernel.errors import InvalidParameter

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PARIS = Hours.parse({"time_zone": "Europe/Paris", "week": WEEKDAYS, "holidays": ["2026-12-25"]})
HOUR = 3_600_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_hours_follow_local_time_on_both_sides_of_the_spring_change() -> None:
    assert PARIS.is_open(ms("2026-03-27T08:30:00"))  # 09:30 CET (UTC+1)
    assert not PARIS.is_open(ms("2026-03-27T07:30:00"))  # 08:30 CET
    # Saturday noon → Monday 09:00 CEST, which is 07:00Z after the clocks went forward
    assert PARIS.next_opening(ms("2026-03-28T12:00:00")) == ms("2026-03-30T07:00:00")
    assert PARIS.is_open(ms("2026-03-30T07:00:00"))


def test_hours_follow_local_time_after_the_autumn_change() -> None:
    assert PARIS.next_opening(ms("2026-10-24T12:00:00")) == ms("2026-10-26T08:00:00")
    assert not PARIS.is_open(ms("2026-10-26T07:30:00"))


def test_a_holiday_is_closed_and_the_next_opening_skips_it() -> None:
    assert not PARIS.is_open(ms("2026-12-25T10:00:00"))
    assert PARIS.next_opening(ms("2026-12-24T17:00:00")) == ms("2026-12-28T08:00:00")


def test_next_opening_is_now_when_open_and_none_when_never() -> None:
    now = ms("2026-03-27T10:00:00")
    assert PARIS.next_opening(now) == now
    assert Hours.parse({"time_zone": "UTC", "week": {}}).next_opening(now) is None


def test_business_time_counts_only_open_hours_and_the_short_day_has_23() -> None:
    # Friday 17:00 CET to Monday 10:00 CEST: only Monday 09:00-10:00 counts
    assert PARIS.open_ms_between(ms("2026-03-27T16:00:00"), ms("2026-03-30T08:00:00")) == HOUR
    sunday = Hours.parse({"time_zone": "Europe/Paris", "week": {"sun": [["00:00", "24:00"]]}})
    day = sunday.open_ms_between(ms("2026-03-28T00:00:00"), ms("2026-03-30T00:00:00"))
    assert day == 23 * HOUR


@pytest.mark.parametrize(
    "raw",
    [
        {"time_zone": "Mars/Olympus"},
        {"week": {"mon": [["25:00", "26:00"]]}},
        {"week": {"mon": [["10:00", "09:00"]]}},
        {"week": {"someday": []}},
        {"holidays": ["christmas"]},
    ],
)
def test_bad_hours_are_refused_when_saved(raw: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        Hours.parse(raw)


RULES = rt.parse_rules(
    [
        {"category": "billing", "team": "billing", "keywords": ["invoice", "double charged"]},
        {"category": "refunds", "pattern": r"refund|money back"},
        {"category": "urgent", "keywords": ["help"], "channel": "sms"},
    ]
)


@pytest.mark.parametrize(
    ("body", "channel", "expected"),
    [
        ("Where is my INVOICE?", "chat", ("billing", "billing")),
        ("I was double charged", "chat", ("billing", "billing")),
        ("I want my money back", "chat", ("refunds", None)),
        ("help!", "sms", ("urgent", None)),
        ("help!", "chat", ("general", None)),
        ("invoices", "chat", ("general", None)),  # whole words only
    ],
)
def test_rules_categorize_in_order_else_the_default(
    body: str, channel: str, expected: tuple[str, str | None]
) -> None:
    assert rt.categorize(RULES, body, channel, "general") == expected


def test_bad_rules_are_refused() -> None:
    for raw in ([{"keywords": ["x"]}], [{"category": "a", "pattern": "("}], {"category": "a"}):
        with pytest.raises(InvalidParameter):
            rt.parse_rules(raw)


def test_the_estimate_grows_with_position_and_needs_history() -> None:
    assert rt.eta_ms(1, []) is None
    assert rt.eta_ms(1, [60_000, 120_000]) == 90_000
    assert rt.eta_ms(3, [60_000]) == 180_000
    assert rt.eta_ms(4, [60_000], members=2) == 120_000


def test_inactivity_runs_only_while_the_customer_owes_the_reply() -> None:
    t = 600_000
    answered = _request(status=rt.ASSIGNED, last_member_at=0, awaiting_since=None)
    assert rt.inactivity_due(answered, t - 1, t, 3) is None
    assert rt.inactivity_due(answered, t, t, 3) == "nudge"
    nudged = _request(status=rt.PENDING, last_member_at=0, awaiting_since=None)
    assert rt.inactivity_due(nudged, 2 * t, t, 3) is None
    assert rt.inactivity_due(nudged, 3 * t, t, 3) == "retire"
    waiting_for_us = _request(status=rt.ASSIGNED, last_member_at=0, awaiting_since=5)
    assert rt.inactivity_due(waiting_for_us, 10 * t, t, 3) is None
    never_answered = _request(status=rt.ASSIGNED, last_member_at=None, awaiting_since=None)
    assert rt.inactivity_due(never_answered, 10 * t, t, 3) is None
    queued = _request(status=rt.QUEUED, last_member_at=0, awaiting_since=None)
    assert rt.inactivity_due(queued, 10 * t, t, 3) is None


def _request(**fields: object) -> rt.Request:
    base: dict[str, object] = dict.fromkeys(rt.Request.__dataclass_fields__)
    base.update({"breaches": "[]", "date_created": 0, **fields})
    return rt.Request(**base)  # type: ignore[arg-type]


def test_sla_breaches_count_business_time_and_are_reported_once() -> None:
    def wall(start: int, end: int) -> int:
        return end - start

    def closed(start: int, end: int) -> int:
        return 0

    waiting = _request(first_response_at=None)
    assert rt.sla_breaches(waiting, 60_000, 60_000, None, wall) == []
    [breach] = rt.sla_breaches(waiting, 60_001, 60_000, None, wall)
    assert breach == {"kind": "first_response", "since": 0, "at": 60_001}
    assert rt.sla_breaches(waiting, 10 * HOUR, 60_000, None, closed) == []
    told = _request(first_response_at=None, breaches=json.dumps([breach]))
    assert rt.sla_breaches(told, 2 * HOUR, 60_000, None, wall) == []
    answered = _request(first_response_at=5, awaiting_since=HOUR)
    [again] = rt.sla_breaches(answered, HOUR + 120_001, 60_000, 120_000, wall)
    assert again["kind"] == "next_response" and again["since"] == HOUR
    assert rt.sla_breaches(_request(first_response_at=5), HOUR, 1, 1, wall) == []


def test_a_team_with_its_own_hours_uses_them_and_others_the_organizations() -> None:
    raw = {
        "time_zone": "Europe/Paris",
        "week": WEEKDAYS,
        "teams": {"night": {"time_zone": "Asia/Tokyo", "week": {"mon": [["00:00", "24:00"]]}}},
    }
    profile = rt.RoutingProfile(**dict.fromkeys(rt.RoutingProfile.__dataclass_fields__))  # type: ignore[arg-type]
    profile.hours = json.dumps(raw)
    monday_0200_paris = ms("2026-03-30T00:00:00")  # 02:00 CEST, 09:00 in Tokyo
    assert rt.hours_of(profile, "night").is_open(monday_0200_paris)
    assert not rt.hours_of(profile, "billing").is_open(monday_0200_paris)
    assert not rt.hours_of(profile, None).is_open(monday_0200_paris)
    profile.hours = ""
    assert rt.hours_of(profile, None).is_open(monday_0200_paris)  # no hours: always open
