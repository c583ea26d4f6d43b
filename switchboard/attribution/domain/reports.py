"""Campaign arithmetic: cost per contact and per acquisition, conversion, ROI, ROAS; and the
offline-conversion rows ad platforms import. A division by zero is a null, never an error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MICROS = Decimal(1_000_000)
CENTS = Decimal("0.01")
RATIO = Decimal("0.0001")
OUTCOMES = ("sale", "no_sale", "will_call_back", "callback_requested", "not_qualified")
DIMENSIONS = ("campaign", "publisher", "keyword", "source_medium", "day")


@dataclass
class Totals:
    """What one report row counts (money in micros of the report's currency)."""

    contacts: int = 0
    answered: int = 0
    abandoned: int = 0
    sales: int = 0
    revenue_micros: int = 0
    spend_micros: int = 0

    def add(self, other: Totals) -> None:
        self.contacts += other.contacts
        self.answered += other.answered
        self.abandoned += other.abandoned
        self.sales += other.sales
        self.revenue_micros += other.revenue_micros
        self.spend_micros += other.spend_micros


def money(micros: int | None) -> str | None:
    """Micros as a decimal string with two places (`250000000` -> `"250.00"`)."""
    if micros is None:
        return None
    return str((Decimal(micros) / MICROS).quantize(CENTS, ROUND_HALF_UP))


def parse_money(text: str) -> int:
    """A decimal amount (`"250.00"`) as micros; at most six decimal places, not negative."""
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ValueError(f"{text!r} is not a non-negative amount with at most 6 decimals")
    if value > Decimal(10) ** 12:
        raise ValueError(f"{text!r} is too large")
    return int(value * MICROS)


def _ratio(top: int, bottom: int) -> float | None:
    if bottom == 0:
        return None
    return float((Decimal(top) / Decimal(bottom)).quantize(RATIO, ROUND_HALF_UP))


def _per(micros: int, count: int) -> str | None:
    return None if count == 0 else money(round(micros / count))


def metrics(totals: Totals) -> dict[str, Any]:
    """A report row's figures, e.g. spend 1000, 50 contacts, 5 sales, revenue 3000 ->
    cost per contact 20.00, CPA 200.00, conversion 0.1, ROI 2.0, ROAS 3.0."""
    spend, revenue = totals.spend_micros, totals.revenue_micros
    return {
        "contacts": totals.contacts,
        "answered": totals.answered,
        "abandoned": totals.abandoned,
        "sales": totals.sales,
        "revenue": money(revenue),
        "spend": money(spend),
        "cost_per_contact": _per(spend, totals.contacts),
        "cost_per_acquisition": _per(spend, totals.sales),
        "conversion_rate": _ratio(totals.sales, totals.contacts),
        "roi": _ratio(revenue - spend, spend),
        "roas": _ratio(revenue, spend),
    }


def conversion_time(ms: int) -> str:
    """The time format offline-conversion imports take: `2026-12-02 10:00:00+0000`."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S%z")


def conversion_row(
    click_id: str, kind: str, name: str, at_ms: int, value_micros: int, currency: str
) -> dict[str, str]:
    """One offline conversion: the click that led to a sale, when, and what it was worth."""
    return {
        "click_id": click_id,
        "click_id_kind": kind,
        "conversion_name": name,
        "conversion_time": conversion_time(at_ms),
        "conversion_value": money(value_micros) or "0.00",
        "conversion_currency": currency,
    }


# the column names of Google Ads' offline conversion template, plus the click id's kind
CONVERSION_COLUMNS = {
    "click_id": "Google Click ID",
    "conversion_name": "Conversion Name",
    "conversion_time": "Conversion Time",
    "conversion_value": "Conversion Value",
    "conversion_currency": "Conversion Currency",
    "click_id_kind": "Click ID Type",
}
