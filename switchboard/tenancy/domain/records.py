"""Tenancy records: accounts, their usage counters, fraud rules and account events.

Plain dataclasses; the store adapters persist them (tables in
:mod:`switchboard.tenancy.tables`). Money is in millionths of the currency unit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(kw_only=True)
class Account:
    sid: str
    parent_sid: str | None = None
    friendly_name: str
    status: str = "active"
    # SHA-256 of the auth token: a leaked database leaks no credentials
    auth_token_hash: str
    # the token encrypted with the server key: callbacks are signed with it, as Twilio does
    auth_token_sealed: str | None = None
    # during a rotation the previous token keeps working until it is retired
    secondary_token_hash: str | None = None
    secondary_token_sealed: str | None = None
    # service plan: weights fair scheduling under overload
    plan: str = "standard"
    # JSON: {"price_per_call": "0.0001", ...}
    preferences: str = "{}"
    balance_micros: int = 0
    # normalised billing details: cross-account fraud rules compare them
    billing_fingerprint: str | None = None
    fraud_score: int = 0
    # none | flagged | throttled | suspended
    fraud_stage: str = "none"
    # where account-level notifications (e.g. a sub-account tripping a fraud rule) go
    callback_url: str | None = None
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class UsageCounter:
    """Calls per account, category and UTC hour (hours let fraud rules look back 24 h)."""

    account_sid: str
    category: str
    hour: int  # start of the hour, epoch ms
    count: int = 0
    price_micros: int = 0


@dataclass(kw_only=True)
class FraudRule:
    """`owner_sid` None: an operator rule for everyone; else a parent's rule for its children."""

    sid: str
    owner_sid: str | None = None
    friendly_name: str
    kind: str  # usage | shared_billing
    category: str = "*"
    comparison: str
    threshold: int
    window: str = "all"  # 24h | 7d | 30d | all
    younger_than_days: int | None = None
    score: int
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class AccountEvent:
    """Something that happened to an account, stored for `account_sid`, the account told."""

    seq: int | None = None
    sid: str
    account_sid: str
    # the account the event is about (the sub-account, or the account itself)
    subject_sid: str
    event_type: str
    description: str
    event_data: str
    event_date: int


@dataclass(kw_only=True)
class SealingKey:
    """Which secret key seals this database's auth tokens: its fingerprint (never the key)
    and where the first process that used it found it, so a mismatch can say what to fix."""

    name: str = "secret_key"
    fingerprint: str
    source: str
    date_created: int
