"""Fraud scoring against the store: rules, facts, staged actions and notifications.

The judgement is :mod:`switchboard.domain.fraud`; this module gathers the facts
(usage per window from the hourly counters, account age, account families per
billing fingerprint), stores each account's score and stage, and acts:

* flagged / throttled are stored on the account (fair scheduling reads
  `fraud_stage` and gives a throttled account a tiny weight and a rate cap);
* suspended also sets `status=suspended`, so its credentials answer 401.

Every escalation is an account event. For a sub-account it goes to the parent
(with a signed POST to the parent's `callback_url`); the parent itself is judged
only on its own usage, never on its children's.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import fraud as policy
from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.domain.errors import InvalidParameter, NotFound
from switchboard.domain.fraud import AccountFacts, Rule, Stage, Thresholds
from switchboard.services.accounts import signing_token
from switchboard.services.subaccounts import record_account_event
from switchboard.services.usage import HOUR_MS
from switchboard.store import tables as t
from switchboard.store.database import Store

log = logging.getLogger(__name__)
FRAUD_RULE = "FR"


@dataclass(frozen=True)
class FraudSettings:
    thresholds: Thresholds = field(default_factory=Thresholds)
    # seconds between background evaluations; 0 turns the background pass off
    interval_seconds: float = 60.0
    callback_timeout: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FraudSettings:
        """`SWITCHBOARD_FRAUD_FLAG|THROTTLE|SUSPEND` and `SWITCHBOARD_FRAUD_INTERVAL`."""
        thresholds = Thresholds(
            flag=int(env.get("SWITCHBOARD_FRAUD_FLAG", "50")),
            throttle=int(env.get("SWITCHBOARD_FRAUD_THROTTLE", "80")),
            suspend=int(env.get("SWITCHBOARD_FRAUD_SUSPEND", "100")),
        )
        return cls(thresholds, float(env.get("SWITCHBOARD_FRAUD_INTERVAL", "60")))


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleFields:
    friendly_name: str
    kind: str
    comparison: str
    threshold: int
    score: int
    category: str = policy.ANY_CATEGORY
    window: str = "all"
    younger_than_days: int | None = None


def to_rule(row: t.FraudRule) -> Rule:
    return Rule(
        sid=row.sid,
        kind=row.kind,
        comparison=row.comparison,
        threshold=row.threshold,
        score=row.score,
        category=row.category,
        window=row.window,
        younger_than_days=row.younger_than_days,
    )


async def add_rule(store: Store, fields: RuleFields, owner_sid: str | None = None) -> t.FraudRule:
    """Store a rule; `owner_sid` None is an operator rule, else a parent's for its children."""
    now = now_ms()
    row = t.FraudRule(sid=sids.new_sid(FRAUD_RULE), owner_sid=owner_sid, **vars(fields))
    row.date_created = row.date_updated = now
    try:
        to_rule(row)
    except ValueError as error:
        raise InvalidParameter(f"Invalid fraud rule: {error}") from None
    async with store.transaction() as session:
        session.add(row)
    return row


def rules_query(owner_sid: str | None) -> Select[t.FraudRule]:
    owner = t.FraudRule.owner_sid
    condition = owner.is_(None) if owner_sid is None else owner == owner_sid
    return select(t.FraudRule).where(condition).order_by(t.FraudRule.date_created)


async def fetch_rule(store: Store, sid: str, owner_sid: str | None) -> t.FraudRule:
    async with store.read() as session:
        return await _owned_rule(session, sid, owner_sid)


async def remove_rule(store: Store, sid: str, owner_sid: str | None = None) -> None:
    async with store.transaction() as session:
        await session.delete(await _owned_rule(session, sid, owner_sid))


async def _owned_rule(session: AsyncSession, sid: str, owner_sid: str | None) -> t.FraudRule:
    """A rule of this owner; 404 for anyone else's (operator rules included)."""
    row = await session.get(t.FraudRule, sid)
    if row is None or row.owner_sid != owner_sid:
        raise NotFound(f"The requested resource /FraudRules/{sid} was not found")
    return row


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    account_sid: str
    parent_sid: str | None
    score: int
    before: Stage
    after: Stage
    matched: tuple[str, ...]


@dataclass(frozen=True)
class _Snapshot:
    accounts: list[t.Account]
    rules: list[t.FraudRule]
    usage: dict[str, dict[tuple[str, str], int]]
    shared: dict[str, int]


async def evaluate_all(
    store: Store, settings: FraudSettings, http: httpx.AsyncClient | None = None
) -> list[Outcome]:
    """Score every open account, store scores and stages, act and notify on escalations."""
    now = now_ms()
    snapshot = await _snapshot(store, now)
    outcomes = [
        _judge(account, snapshot, settings.thresholds, now) for account in snapshot.accounts
    ]
    notices = await _apply(store, outcomes)
    if http is not None:
        for notice in notices:
            await _deliver(store, http, notice)
    return outcomes


async def _snapshot(store: Store, now: int) -> _Snapshot:
    async with store.read() as session:
        everyone = list(await session.scalars(select(t.Account)))
        rules = list(await session.scalars(select(t.FraudRule)))
        usage = await _usage(session, {row.window for row in rules}, now)
    shared = policy.families_sharing(
        (row.sid, row.parent_sid, row.billing_fingerprint) for row in everyone
    )
    accounts = [row for row in everyone if row.status != "closed"]
    return _Snapshot(accounts, rules, usage, shared)


async def _usage(
    session: AsyncSession, windows: Iterable[str], now: int
) -> dict[str, dict[tuple[str, str], int]]:
    """account -> (category, window) -> calls, at hour granularity; `*` is every category."""
    usage: dict[str, dict[tuple[str, str], int]] = {}
    counters = t.UsageCounter
    for window in windows:
        query = select(counters.account_sid, counters.category, func.sum(counters.count))
        span = policy.WINDOWS.get(window)
        if span is not None:
            start = now - span
            query = query.where(counters.hour >= start - start % HOUR_MS)
        query = query.group_by(counters.account_sid, counters.category)
        for sid, category, count in await session.execute(query):
            facts = usage.setdefault(sid, {})
            facts[(category, window)] = int(count)
            total = (policy.ANY_CATEGORY, window)
            facts[total] = facts.get(total, 0) + int(count)
    return usage


def _judge(account: t.Account, snap: _Snapshot, thresholds: Thresholds, now: int) -> Outcome:
    """Operator rules apply to everyone; a parent's rules to its children only."""
    owners = {None, account.parent_sid} if account.parent_sid else {None}
    rules = [to_rule(row) for row in snap.rules if row.owner_sid in owners]
    facts = AccountFacts(
        age_ms=now - account.date_created,
        usage=snap.usage.get(account.sid, {}),
        shared_billing=snap.shared.get(account.billing_fingerprint or "", 0),
    )
    assessment = policy.assess(rules, facts)
    before = Stage.parse(account.fraud_stage)
    after = policy.next_stage(before, assessment.score, thresholds)
    return Outcome(
        account.sid, account.parent_sid, assessment.score, before, after, assessment.matched
    )


@dataclass(frozen=True)
class _Notice:
    recipient_sid: str
    event: t.AccountEvent
    outcome: Outcome


async def _apply(store: Store, outcomes: Sequence[Outcome]) -> list[_Notice]:
    """Store changed scores and stages; suspend, and record events for escalations."""
    notices: list[_Notice] = []
    async with store.transaction() as session:
        for outcome in outcomes:
            row = await session.get(t.Account, outcome.account_sid)
            if row is None or (row.fraud_score, row.fraud_stage) == _stored(outcome):
                continue
            row.fraud_score, row.fraud_stage = _stored(outcome)
            if outcome.after is Stage.SUSPENDED and row.status == "active":
                row.status = "suspended"
            if policy.escalated(outcome.before, outcome.after):
                notices.append(_notice(session, outcome))
    return notices


def _stored(outcome: Outcome) -> tuple[int, str]:
    return outcome.score, outcome.after.label


def _notice(session: AsyncSession, outcome: Outcome) -> _Notice:
    recipient = outcome.parent_sid or outcome.account_sid
    stage = outcome.after.label
    event = record_account_event(
        session,
        recipient,
        outcome.account_sid,
        f"account.fraud.{stage}",
        f"Account {outcome.account_sid} was {stage} (fraud score {outcome.score})",
        {
            "account_sid": outcome.account_sid,
            "fraud_score": outcome.score,
            "fraud_stage": stage,
            "previous_stage": outcome.before.label,
            "rules": list(outcome.matched),
        },
    )
    return _Notice(recipient, event, outcome)


async def clear_account(store: Store, account_sid: str) -> t.Account:
    """The operator lifts a fraud stage: score and stage reset, a fraud suspension ends.

    The next evaluation judges the account afresh (and may act again if rules still trip).
    """
    async with store.transaction() as session:
        row = await session.get(t.Account, account_sid)
        if row is None:
            raise NotFound(f"The requested resource /Accounts/{account_sid} was not found")
        if Stage.parse(row.fraud_stage) is Stage.SUSPENDED and row.status == "suspended":
            row.status = "active"
        row.fraud_score, row.fraud_stage = 0, Stage.NONE.label
        row.date_updated = now_ms()
        return row


# --- callbacks -----------------------------------------------------------------------------


def twilio_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """`X-Twilio-Signature`: HMAC-SHA1 of the URL plus the sorted POST parameters."""
    payload = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


async def _deliver(store: Store, http: httpx.AsyncClient, notice: _Notice) -> None:
    """POST the event to the recipient's callback URL, signed with its auth token.

    Best effort: one attempt, failures are logged; the stored event is the record.
    """
    async with store.read() as session:
        recipient = await session.get(t.Account, notice.recipient_sid)
    token = await signing_token(store, notice.recipient_sid)
    if recipient is None or not recipient.callback_url or token is None:
        return
    params = _callback_params(notice)
    headers = {"X-Twilio-Signature": twilio_signature(token, recipient.callback_url, params)}
    try:
        response = await http.post(recipient.callback_url, data=params, headers=headers)
        response.raise_for_status()
    except httpx.HTTPError:
        log.warning("account callback to %s failed", recipient.callback_url, exc_info=True)


def _callback_params(notice: _Notice) -> dict[str, str]:
    event, outcome = notice.event, notice.outcome
    return {
        "AccountSid": notice.recipient_sid,
        "EventSid": event.sid,
        "EventType": event.event_type,
        "Description": event.description,
        "ResourceSid": outcome.account_sid,
        "FraudScore": str(outcome.score),
        "FraudStage": outcome.after.label,
        "PreviousStage": outcome.before.label,
        "EventData": event.event_data,
        "Timestamp": str(event.event_date),
    }


# --- background ----------------------------------------------------------------------------


class FraudMonitor:
    """Evaluates every account every `interval_seconds` while the server runs."""

    def __init__(self, store: Store, settings: FraudSettings) -> None:
        self.store = store
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    async def evaluate(self) -> list[Outcome]:
        async with httpx.AsyncClient(timeout=self.settings.callback_timeout) as http:
            return await evaluate_all(self.store, self.settings, http)

    async def start(self) -> None:
        if self.settings.interval_seconds > 0:
            self._task = asyncio.create_task(self._run(), name="fraud-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.interval_seconds)
            try:
                await self.evaluate()
            except Exception:  # a bad pass must not end the monitor
                log.exception("fraud evaluation failed")
