"""Outcomes agents record, spend the marketing side imports, and what the two give:
campaign reports and offline-conversion rows."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from switchboard.attribution.domain import reports as figures
from switchboard.attribution.domain.records import CONTACT, Contact, Lease, Pool, Spend
from switchboard.attribution.services.context import Attribution
from switchboard.kernel import sids
from switchboard.kernel.criteria import eq, ge, isin, le
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound
from switchboard.kernel.ports import Unit

log = logging.getLogger(__name__)
NONE = "(none)"
CONVERSION_TIMEOUT = 10.0
MAX_SPEND_ROWS = 10_000


@dataclass(frozen=True)
class OutcomeFields:
    outcome: str
    revenue: str | None = None
    currency: str | None = None


def _currency(value: str | None) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidParameter(f"Invalid Currency: {value!r} is not an ISO 4217 code")
    return code


def checked_revenue(fields: OutcomeFields) -> tuple[int | None, str | None]:
    if fields.outcome not in figures.OUTCOMES:
        raise InvalidParameter(f"Invalid Outcome: one of {', '.join(figures.OUTCOMES)}")
    if fields.outcome != "sale":
        if fields.revenue is not None:
            raise InvalidParameter("Revenue is only recorded with the outcome sale")
        return None, None
    if fields.revenue is None:
        raise InvalidParameter("Revenue is required with the outcome sale")
    try:
        micros = figures.parse_money(fields.revenue)
    except ValueError as exc:
        raise InvalidParameter(f"Invalid Revenue: {exc}") from None
    return micros, _currency(fields.currency)


async def access_contact(unit: Unit, account_sid: str, sid: str) -> Contact:
    if sids.is_sid(sid, "WT"):
        found = await unit.first(Contact, eq("task_sid", sid), eq("account_sid", account_sid))
    else:
        found = await unit.get(Contact, sid) if sids.is_sid(sid, CONTACT) else None
    if found is None or found.account_sid != account_sid:
        raise NotFound(f"No attributed contact {sid} was found")
    return found


async def record_outcome(
    attribution: Attribution, account_sid: str, contact_or_task: str, fields: OutcomeFields
) -> Contact:
    """What came of a contact; the lease it was credited to records it too (the seed's
    "update the attribute after the interaction is completed")."""
    revenue, currency = checked_revenue(fields)
    async with attribution.store.transaction() as unit:
        contact = await access_contact(unit, account_sid, contact_or_task)
        if fields.outcome == "callback_requested":
            _can_follow_up(attribution, contact)
        contact.outcome, contact.revenue_micros, contact.currency = (
            fields.outcome,
            revenue,
            currency,
        )
        contact.outcome_at = attribution.now()
        lease = await unit.get(Lease, contact.lease_sid) if contact.lease_sid else None
        if lease is not None:
            lease.outcome, lease.revenue_micros, lease.currency = fields.outcome, revenue, currency
    if fields.outcome == "callback_requested":
        await _follow_up(attribution, contact)
    if fields.outcome == "sale" and lease is not None:
        await _post_conversion(attribution, contact, lease)
    return contact


async def _post_conversion(attribution: Attribution, contact: Contact, lease: Lease) -> None:
    """One signed POST of the conversion row to the pool's ConversionUrl, after the commit;
    a failure is logged, and `GET /Conversions` stays the reliable path."""
    if attribution.sender is None or lease.click_id is None or lease.click_id_kind is None:
        return
    async with attribution.store.read() as unit:
        pool = await unit.get(Pool, lease.pool_sid)
    if pool is None or pool.conversion_url is None:
        return
    row = figures.conversion_row(
        lease.click_id, lease.click_id_kind, "sale", contact.outcome_at or 0,
        contact.revenue_micros or 0, contact.currency or "",
    )  # fmt: skip
    attempt, _answer = await attribution.sender.post_form(
        contact.account_sid, pool.conversion_url, row, CONVERSION_TIMEOUT
    )
    if not attempt.ok:
        log.warning(
            "conversion post of %s failed: %s", contact.sid, attempt.error or attempt.status
        )


def _can_follow_up(attribution: Attribution, contact: Contact) -> None:
    """Checked before the outcome is stored, so a refused request changes nothing."""
    if attribution.follow_ups is None or contact.workspace_sid is None:
        raise Conflict("No follow-up task can be created: the contact never became a task")


async def _follow_up(attribution: Attribution, contact: Contact) -> None:
    """An outbound task to call the customer back, carrying the same attribution."""
    if attribution.follow_ups is None or contact.workspace_sid is None:
        return  # checked in the transaction
    marketing = {
        "follow_up_of": contact.sid,
        "lease_sid": contact.lease_sid,
        "match": contact.match,
        **{k: v for k, v in _labels(contact).items() if v is not None},
    }
    attributes = {"type": "callback", "direction": "outbound", "to": contact.caller,
                  "marketing": marketing}  # fmt: skip
    await attribution.follow_ups.create_follow_up(
        contact.account_sid, contact.workspace_sid, attributes
    )


def _labels(contact: Contact) -> dict[str, str | None]:
    return {"campaign": contact.campaign, "publisher": contact.publisher,
            "keyword": contact.keyword}  # fmt: skip


# --- spend ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendRow:
    day: str
    campaign: str
    publisher: str
    keyword: str
    currency: str
    amount_micros: int


def spend_row(values: Mapping[str, str | None]) -> SpendRow:
    """One row of spend from CSV or form fields (day, campaign, publisher, keyword,
    amount, currency), validated."""
    try:
        day = date.fromisoformat((values.get("day") or "").strip()).isoformat()
    except ValueError:
        raise InvalidParameter(f"Invalid Day: {values.get('day')!r} (YYYY-MM-DD)") from None
    campaign = (values.get("campaign") or "").strip()
    if not campaign:
        raise InvalidParameter("Campaign is required for spend")
    try:
        amount = figures.parse_money(values.get("amount") or "")
    except ValueError as exc:
        raise InvalidParameter(f"Invalid Amount: {exc}") from None
    labels = [(values.get(k) or "").strip()[:256] for k in ("publisher", "keyword")]
    return SpendRow(day, campaign[:256], labels[0], labels[1], _currency(values.get("currency")),
                    amount)  # fmt: skip


def spend_csv(text: str) -> list[SpendRow]:
    """Rows of a CSV with a header naming day, campaign, amount, currency (publisher and
    keyword optional), any column order. Malformed CSV is the sender's error (400)."""
    try:
        return _spend_rows(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidParameter(f"Spend CSV is not valid CSV: {exc}") from None


def _spend_rows(reader: csv.DictReader[str]) -> list[SpendRow]:
    names = {name.strip().lower() for name in reader.fieldnames or []}
    missing = {"day", "campaign", "amount", "currency"} - names
    if missing:
        raise InvalidParameter(f"Spend CSV lacks the column(s) {', '.join(sorted(missing))}")
    rows = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_SPEND_ROWS + 1:
            raise InvalidParameter(f"At most {MAX_SPEND_ROWS} spend rows per import")
        clean = {(k or "").strip().lower(): v for k, v in row.items()}
        try:
            rows.append(spend_row(clean))
        except InvalidParameter as exc:
            raise InvalidParameter(f"Spend CSV line {number}: {exc.message}") from None
    return rows


async def import_spend(attribution: Attribution, account_sid: str, rows: Sequence[SpendRow]) -> int:
    """Store each row, replacing the amount of a row already imported for its key."""
    async with attribution.store.transaction() as unit:
        for row in rows:
            key = (account_sid, row.day, row.campaign, row.publisher, row.keyword, row.currency)
            found = await unit.get(Spend, key)
            if found is None:
                unit.add(Spend(*key, row.amount_micros))
            else:
                found.amount_micros = row.amount_micros
    return len(rows)


# --- reports -------------------------------------------------------------------------------


def _key(dimension: str, contact: Contact) -> str:
    if dimension == "source_medium":
        return f"{contact.source or NONE} / {contact.medium or NONE}"
    value = getattr(contact, dimension)
    return value if value else NONE


def _contact_totals(contact: Contact, currency: str) -> figures.Totals:
    sale = contact.outcome == "sale" and contact.currency == currency
    return figures.Totals(
        contacts=1,
        answered=1 if contact.answered_at is not None else 0,
        abandoned=1 if contact.abandoned_at is not None else 0,
        sales=1 if sale else 0,
        revenue_micros=(contact.revenue_micros or 0) if sale else 0,
    )


def _spend_key(dimension: str, spend: Spend) -> str | None:
    if dimension == "source_medium":
        return None  # spend is imported per campaign, publisher and keyword
    return getattr(spend, dimension) or NONE


@dataclass(frozen=True)
class ReportQuery:
    dimension: str
    currency: str
    first_day: str
    last_day: str


async def report(
    attribution: Attribution, account_sid: str, query: ReportQuery
) -> list[dict[str, Any]]:
    """One row per value of the dimension, sorted, with every figure of `metrics`."""
    if query.dimension not in figures.DIMENSIONS:
        raise InvalidParameter(f"Invalid Dimension: one of {', '.join(figures.DIMENSIONS)}")
    days = (ge("day", query.first_day), le("day", query.last_day))
    async with attribution.store.read() as unit:
        contacts = await unit.select(Contact, eq("account_sid", account_sid), *days)
        spend = await unit.select(
            Spend, eq("account_sid", account_sid), eq("currency", query.currency), *days
        )
    rows: dict[str, figures.Totals] = {}
    for contact in contacts:
        rows.setdefault(_key(query.dimension, contact), figures.Totals()).add(
            _contact_totals(contact, query.currency)
        )
    for item in spend:
        key = _spend_key(query.dimension, item)
        if key is not None:
            rows.setdefault(key, figures.Totals()).spend_micros += item.amount_micros
    return [
        {query.dimension: key, "currency": query.currency, **figures.metrics(rows[key])}
        for key in sorted(rows)
    ]


def report_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    listed = list(rows)
    out = io.StringIO()
    if listed:
        writer = csv.DictWriter(out, fieldnames=list(listed[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(listed)
    return out.getvalue()


# --- offline conversions -------------------------------------------------------------------


async def conversions(
    attribution: Attribution, account_sid: str, name: str, since_ms: int
) -> list[dict[str, str]]:
    """Sales credited to a lease that carried a click id, as ad platforms import them."""
    async with attribution.store.read() as unit:
        sales = await unit.select(
            Contact, eq("account_sid", account_sid), eq("outcome", "sale"),
            ge("outcome_at", since_ms),
        )  # fmt: skip
        lease_sids = {c.lease_sid for c in sales if c.lease_sid}
        leases = {
            lease.sid: lease
            for lease in await unit.select(Lease, isin("sid", sorted(lease_sids)))
        } if lease_sids else {}  # fmt: skip
    rows = []
    for sale in sorted(sales, key=lambda c: (c.outcome_at or 0, c.sid)):
        lease = leases.get(sale.lease_sid or "")
        if lease is None or lease.click_id is None or lease.click_id_kind is None:
            continue
        rows.append(figures.conversion_row(
            lease.click_id, lease.click_id_kind, name, sale.outcome_at or 0,
            sale.revenue_micros or 0, sale.currency or "",
        ))  # fmt: skip
    return rows


def conversions_csv(rows: Sequence[Mapping[str, str]]) -> str:
    out = io.StringIO()
    columns = figures.CONVERSION_COLUMNS
    writer = csv.DictWriter(out, fieldnames=list(columns.values()), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({columns[key]: value for key, value in row.items()})
    return out.getvalue()
