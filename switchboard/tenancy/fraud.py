"""Fraud scoring against the store: rules, facts, staged actions and notifications.

The judgement is :mod:`switchboard.tenancy.domain.fraud`; this module gathers the facts
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from switchboard.kernel import sids
from switchboard.kernel.clock import SYSTEM
from switchboard.kernel.criteria import Criterion, Query, asc, eq, ge
from switchboard.kernel.criteria import total as sum_of
from switchboard.kernel.errors import InvalidParameter, NotFound
from switchboard.kernel.ports import Clock, SigningKeys, Store, Unit
from switchboard.tenancy.domain import fraud as policy
from switchboard.tenancy.domain.fraud import AccountFacts, Rule, Stage, Thresholds
from switchboard.tenancy.domain.records import Account, AccountEvent, FraudRule, UsageCounter
from switchboard.tenancy.subaccounts import record_account_event
from switchboard.tenancy.usage import HOUR_MS

log = logging.getLogger(__name__)
FRAUD_RULE = "FR"


@dataclass(frozen=True)
class FraudSettings:
    thresholds: Thresholds = field(default_factory=Thresholds)
    # seconds between background evaluations; 0 turns the background pass off
    interval_seconds: float = 60.0
    callback_timeout: float = 5.0


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


def to_rule(row: FraudRule) -> Rule:
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


async def add_rule(store: Store, fields: RuleFields, owner_sid: str | None = None) -> FraudRule:
    """Store a rule; `owner_sid` None is an operator rule, else a parent's for its children."""
    now = SYSTEM.now_ms()
    row = FraudRule(
        sid=sids.new_sid(FRAUD_RULE),
        owner_sid=owner_sid,
        date_created=now,
        date_updated=now,
        **vars(fields),
    )
    try:
        to_rule(row)
    except ValueError as error:
        raise InvalidParameter(f"Invalid fraud rule: {error}") from None
    async with store.transaction() as unit:
        unit.add(row)
    return row


def rules_query(owner_sid: str | None) -> Query[FraudRule]:
    return Query(FraudRule, (eq("owner_sid", owner_sid),), (asc("date_created"),))


async def fetch_rule(store: Store, sid: str, owner_sid: str | None) -> FraudRule:
    async with store.read() as unit:
        return await _owned_rule(unit, sid, owner_sid)


async def remove_rule(store: Store, sid: str, owner_sid: str | None = None) -> None:
    async with store.transaction() as unit:
        await unit.delete(await _owned_rule(unit, sid, owner_sid))


async def _owned_rule(unit: Unit, sid: str, owner_sid: str | None) -> FraudRule:
    """A rule of this owner; 404 for anyone else's (operator rules included)."""
    row = await unit.get(FraudRule, sid)
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
    accounts: list[Account]
    rules: list[FraudRule]
    usage: dict[str, dict[tuple[str, str], int]]
    shared: dict[str, int]


async def evaluate_all(
    store: Store,
    settings: FraudSettings,
    http: tuple[SigningKeys, httpx.AsyncClient] | None = None,
    *,
    clock: Clock = SYSTEM,
) -> list[Outcome]:
    """Score every open account, store scores and stages, act and notify on escalations."""
    now = clock.now_ms()
    snapshot = await _snapshot(store, now)
    outcomes = [
        _judge(account, snapshot, settings.thresholds, now) for account in snapshot.accounts
    ]
    notices = await _apply(store, outcomes)
    if http is not None:
        keys, client = http
        for notice in notices:
            await _deliver(store, keys, client, notice)
    return outcomes


async def _snapshot(store: Store, now: int) -> _Snapshot:
    async with store.read() as unit:
        everyone = await unit.select(Account)
        rules = await unit.select(FraudRule)
        usage = await _usage(unit, {row.window for row in rules}, now)
    shared = policy.families_sharing(
        (row.sid, row.parent_sid, row.billing_fingerprint) for row in everyone
    )
    accounts = [row for row in everyone if row.status != "closed"]
    return _Snapshot(accounts, rules, usage, shared)


async def _usage(
    unit: Unit, windows: Iterable[str], now: int
) -> dict[str, dict[tuple[str, str], int]]:
    """account -> (category, window) -> calls, at hour granularity; `*` is every category."""
    usage: dict[str, dict[tuple[str, str], int]] = {}
    for window in windows:
        where: list[Criterion] = []
        span = policy.WINDOWS.get(window)
        if span is not None:
            start = now - span
            where.append(ge("hour", start - start % HOUR_MS))
        rows = await unit.aggregate(
            UsageCounter, ("account_sid", "category"), *where, n=sum_of("count")
        )
        for sid, category, count in ((r["account_sid"], r["category"], r["n"]) for r in rows):
            facts = usage.setdefault(sid, {})
            facts[(category, window)] = int(count)
            total = (policy.ANY_CATEGORY, window)
            facts[total] = facts.get(total, 0) + int(count)
    return usage


def _judge(account: Account, snap: _Snapshot, thresholds: Thresholds, now: int) -> Outcome:
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
    event: AccountEvent
    outcome: Outcome


async def _apply(store: Store, outcomes: Sequence[Outcome]) -> list[_Notice]:
    """Store changed scores and stages; suspend, and record events for escalations."""
    notices: list[_Notice] = []
    async with store.transaction() as unit:
        for outcome in outcomes:
            row = await unit.get(Account, outcome.account_sid)
            if row is None or (row.fraud_score, row.fraud_stage) == _stored(outcome):
                continue
            row.fraud_score, row.fraud_stage = _stored(outcome)
            if outcome.after is Stage.SUSPENDED and row.status == "active":
                row.status = "suspended"
            if policy.escalated(outcome.before, outcome.after):
                notices.append(_notice(unit, outcome))
    return notices


def _stored(outcome: Outcome) -> tuple[int, str]:
    return outcome.score, outcome.after.label


def _notice(unit: Unit, outcome: Outcome) -> _Notice:
    recipient = outcome.parent_sid or outcome.account_sid
    stage = outcome.after.label
    event = record_account_event(
        unit,
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


async def clear_account(store: Store, account_sid: str) -> Account:
    """The operator lifts a fraud stage: score and stage reset, a fraud suspension ends.

    The next evaluation judges the account afresh (and may act again if rules still trip).
    """
    async with store.transaction() as unit:
        row = await unit.get(Account, account_sid)
        if row is None:
            raise NotFound(f"The requested resource /Accounts/{account_sid} was not found")
        if Stage.parse(row.fraud_stage) is Stage.SUSPENDED and row.status == "suspended":
            row.status = "active"
        row.fraud_score, row.fraud_stage = 0, Stage.NONE.label
        row.date_updated = SYSTEM.now_ms()
        return row


# --- callbacks -----------------------------------------------------------------------------


def twilio_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """`X-Twilio-Signature`: HMAC-SHA1 of the URL plus the sorted POST parameters."""
    payload = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


async def _deliver(
    store: Store, keys: SigningKeys, http: httpx.AsyncClient, notice: _Notice
) -> None:
    """POST the event to the recipient's callback URL, signed with its auth token.

    Best effort: one attempt, failures are logged; the stored event is the record.
    """
    async with store.read() as unit:
        recipient = await unit.get(Account, notice.recipient_sid)
    token = await keys.signing_token(notice.recipient_sid)
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

    def __init__(
        self, store: Store, keys: SigningKeys, settings: FraudSettings, clock: Clock = SYSTEM
    ) -> None:
        self.store = store
        self.keys = keys
        self.settings = settings
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def evaluate(self) -> list[Outcome]:
        async with httpx.AsyncClient(timeout=self.settings.callback_timeout) as http:
            return await evaluate_all(
                self.store, self.settings, (self.keys, http), clock=self.clock
            )

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
            await self.clock.sleep(self.settings.interval_seconds)
            try:
                await self.evaluate()
            except Exception:  # a bad pass must not end the monitor
                log.exception("fraud evaluation failed")
