"""The pure rules of leasing, crediting, reporting and pacing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.attribution.domain import leases, pacing, reports
from switchboard.attribution.domain.records import LIVE, ContactPoint, Lease, Pool

NOW = 1_800_000_000_000


def pool(**changes: object) -> Pool:
    values: dict[str, object] = {
        "sid": "KP" + "0" * 32,
        "account_sid": "AC" + "0" * 32,
        "friendly_name": "p",
        "kind": "phone",
        "fallback": "+15550000000",
        "lease_seconds": 1800,
        "cooldown_seconds": 300,
        "slot_seconds": None,
        "repeat_days": 30,
        "public_key": "k",
        "conversion_url": None,
        "leases": 0,
        "overflows": 0,
        "date_created": 0,
        "date_updated": 0,
    }
    values.update(changes)
    return Pool(**values)  # type: ignore[arg-type]


def point() -> ContactPoint:
    return ContactPoint(
        "KN" + "0" * 32, "AC" + "0" * 32, "KP" + "0" * 32, "+15550000001", None, 0, None, 0
    )


def lease_on(p: Pool, cp: ContactPoint, at: int) -> Lease:
    end, start, slot_end = leases.expiry(p, at)
    lease = Lease(
        "KL" + "0" * 32,
        p.account_sid,
        p.sid,
        cp.sid,
        cp.address,
        "v1",
        "spring",
        "google",
        "bikes",
        "google",
        "cpc",
        "abc",
        "gclid",
        "{}",
        LIVE,
        at,
        end,
        start,
        slot_end,
        None,
        0,
        None,
        None,
        None,
    )
    leases.occupy(p, cp, lease)
    return lease


def test_attribution_reads_utm_and_click_ids_and_keeps_everything() -> None:
    pairs = {
        "utm_campaign": "spring",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_term": "bikes",
        "fbclid": "F",
        "gclid": "G",
        "landing_page": "/x",
    }
    read = leases.attribution(pairs)
    assert (read.campaign, read.publisher, read.keyword) == ("spring", "google", "bikes")
    assert (read.source, read.medium) == ("google", "cpc")
    assert (read.click_id_kind, read.click_id) == ("gclid", "G")
    assert read.pairs == pairs


def test_a_live_lease_is_credited_with_certainty_then_the_point_cools_down() -> None:
    p, cp = pool(), point()
    lease = lease_on(p, cp, NOW)
    match = leases.classify(p, cp, lease, NOW + 60_000)
    assert (match.kind, match.confidence, match.lease) == ("attributed", 1.0, lease)
    leases.release(p, cp, lease, NOW + 60_000)
    assert cp.busy_until == NOW + 60_000 + 300_000
    again = leases.classify(p, cp, lease, NOW + 120_000)
    assert (again.kind, again.confidence) == ("cooldown", 0.5)
    assert leases.classify(p, cp, lease, NOW + 360_000).kind == "unattributed"


def test_the_fallback_is_overflow_and_an_unleased_point_unattributed() -> None:
    assert leases.classify(pool(), None, None, NOW).kind == "overflow"
    assert leases.classify(pool(), point(), None, NOW).kind == "unattributed"


def test_a_heartbeat_extends_a_live_lease_but_not_an_expired_one() -> None:
    p, cp = pool(), point()
    lease = lease_on(p, cp, NOW)
    assert leases.heartbeat(p, lease, cp, NOW + 1_000_000)
    assert lease.expires_at == NOW + 1_000_000 + 1_800_000
    assert cp.busy_until == lease.expires_at + 300_000
    assert not leases.heartbeat(p, lease, cp, lease.expires_at)
    assert leases.status(lease, lease.expires_at) == "expired"


def test_a_time_slot_credits_only_inside_its_window_and_is_never_extended() -> None:
    p, cp = pool(slot_seconds=600), point()
    lease = lease_on(p, cp, NOW)
    assert leases.classify(p, cp, lease, NOW + 599_000).kind == "attributed"
    assert leases.classify(p, cp, lease, NOW + 600_000).kind == "outside_slot"
    assert not leases.heartbeat(p, lease, cp, NOW + 1000)


@pytest.mark.parametrize(
    ("spend", "contacts", "sales", "revenue", "expected"),
    [
        (1000, 50, 5, 3000, ("20.00", "200.00", 0.1, 2.0, 3.0)),
        (0, 0, 0, 0, (None, None, None, None, None)),
        (500, 10, 0, 0, ("50.00", None, 0.0, -1.0, 0.0)),
    ],
)
def test_report_figures_and_nulls_for_division_by_zero(
    spend: int, contacts: int, sales: int, revenue: int, expected: tuple[object, ...]
) -> None:
    row = reports.metrics(
        reports.Totals(
            contacts=contacts,
            sales=sales,
            revenue_micros=revenue * 1_000_000,
            spend_micros=spend * 1_000_000,
        )
    )
    figures = (
        row["cost_per_contact"],
        row["cost_per_acquisition"],
        row["conversion_rate"],
        row["roi"],
        row["roas"],
    )
    assert figures == expected


def test_money_round_trips_and_refuses_nonsense() -> None:
    assert reports.money(reports.parse_money("250.00")) == "250.00"
    assert reports.parse_money("0.000001") == 1
    for bad in ("-1", "abc", "1e400", "0.0000001", "NaN"):
        with pytest.raises(ValueError):
            reports.parse_money(bad)


def test_a_conversion_row_has_the_time_with_its_offset() -> None:
    row = reports.conversion_row("G", "gclid", "sale", 1_764_669_600_000, 250_000_000, "EUR")
    assert row == {
        "click_id": "G",
        "click_id_kind": "gclid",
        "conversion_name": "sale",
        "conversion_time": "2025-12-02 10:00:00+0000",
        "conversion_value": "250.00",
        "conversion_currency": "EUR",
    }


INPUTS = pacing.PacingInputs(
    handle_seconds=180,
    answer_seconds=20,
    target=0.8,
    interval_seconds=1800,
    contacts_per_impression=0.02,
    forecast_contacts=50,
    hysteresis=0.05,
)


def test_no_available_agent_means_form() -> None:
    decision = pacing.decide(INPUTS, pacing.Availability(0, 10), pacing.CALL)
    assert (decision.show, decision.reason, decision.impression_budget) == (
        "form",
        "no_available_agent",
        0,
    )


def test_capacity_becomes_an_impression_budget() -> None:
    decision = pacing.decide(INPUTS, pacing.Availability(3, 10), pacing.CALL)
    assert decision.show == "call"
    # 10 agents keep 80 % in 20 s up to the headroom, and not one contact more
    top = 50 + decision.headroom_contacts
    assert (
        pacing.predicted_level(INPUTS, 10, top) >= 0.8 > pacing.predicted_level(INPUTS, 10, top + 1)
    )
    assert decision.impression_budget == decision.headroom_contacts * 50


def test_hysteresis_needs_the_margin_to_leave_form() -> None:
    # find a demand whose level lies between the target and target + margin
    demand = next(c for c in range(1, 200) if 0.8 <= pacing.predicted_level(INPUTS, 10, c) < 0.85)
    inputs = pacing.PacingInputs(**{**INPUTS.__dict__, "forecast_contacts": demand})
    now = pacing.Availability(2, 10)
    assert pacing.decide(inputs, now, pacing.CALL).show == "call"
    held = pacing.decide(inputs, now, pacing.FORM)
    assert (held.show, held.reason) == ("form", "recovering")


@given(st.integers(0, 30), st.integers(0, 400))
def test_more_staff_never_shrinks_the_headroom(staffed: int, contacts: int) -> None:
    assert pacing.headroom(INPUTS, staffed, contacts, 0.8) <= pacing.headroom(
        INPUTS, staffed + 1, contacts, 0.8
    )


def test_business_hours_become_ad_schedule_blocks() -> None:
    blocks = pacing.ad_schedule({0: (540, 1020), 5: (600, 840)})
    assert [(b.day, b.start_minute, b.end_minute) for b in blocks] == [
        (0, 540, 1020),
        (5, 600, 840),
    ]
    with pytest.raises(ValueError, match="day 7"):
        pacing.ad_schedule({7: (0, 60)})


def test_business_hours_are_read_checked_and_exported() -> None:
    hours = pacing.business_hours({"mon": "09:00-17:30", "sat": "10:00-14:00"})
    assert hours == {0: (540, 1050), 5: (600, 840)}
    assert pacing.is_open(hours, 0, 540) and not pacing.is_open(hours, 0, 1050)
    assert not pacing.is_open(hours, 6, 700)
    assert pacing.is_open({}, 6, 0)  # no hours: always open
    block = pacing.ad_schedule(hours)[0].as_dict()
    assert block == {"day_of_week": "MONDAY", "start_hour": 9, "start_minute": 0,
                     "end_hour": 17, "end_minute": 30}  # fmt: skip
    for bad in ({"monday": "09:00-17:00"}, {"mon": "9-17"}, {"mon": "17:00-09:00"},
                {"mon": "09:00-25:00"}):  # fmt: skip
        with pytest.raises(ValueError):
            pacing.business_hours(bad)


def test_outside_business_hours_the_answer_is_form() -> None:
    decision = pacing.decide(INPUTS, pacing.Availability(3, 10), pacing.CALL, open_now=False)
    assert (decision.show, decision.reason) == ("form", "closed")
