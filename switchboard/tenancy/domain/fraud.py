"""Fraud scoring: rules, facts about an account, a score and the stage it leads to.

Pure on purpose: the service layer gathers the facts (usage per window, account
age, how many account families share billing details) and applies the stage; the
judgement itself is a function that can be unit- and property-tested without a
database or a clock.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

DAY_MS = 86_400_000
# time windows a usage condition may look back over (None: since the account began)
WINDOWS: Mapping[str, int | None] = {
    "24h": DAY_MS,
    "7d": 7 * DAY_MS,
    "30d": 30 * DAY_MS,
    "all": None,
}
COMPARISONS: Mapping[str, Callable[[int, int], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}
USAGE = "usage"
SHARED_BILLING = "shared_billing"
KINDS = (USAGE, SHARED_BILLING)
ANY_CATEGORY = "*"


class Stage(IntEnum):
    """Staged actions, mildest first; the stored spelling is the lower-case name."""

    NONE = 0
    FLAGGED = 1
    THROTTLED = 2
    SUSPENDED = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> Stage:
        """The stage stored as `label`; anything unknown counts as no stage."""
        return cls.__members__.get(label.upper(), cls.NONE)


@dataclass(frozen=True)
class Rule:
    """One rule: `kind` usage compares a category's count in a window; shared_billing
    compares how many account families share this account's billing details."""

    sid: str
    kind: str
    comparison: str
    threshold: int
    score: int
    category: str = ANY_CATEGORY
    window: str = "all"
    younger_than_days: int | None = None

    def __post_init__(self) -> None:
        problem = rule_problem(self)
        if problem is not None:
            raise ValueError(problem)


def rule_problem(rule: Rule) -> str | None:
    """Why a rule is malformed, or None: checked when a rule is saved, never while scoring."""
    if rule.kind not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}"
    if rule.comparison not in COMPARISONS:
        return f"comparison must be one of {' '.join(COMPARISONS)}"
    if rule.window not in WINDOWS:
        return f"window must be one of {', '.join(WINDOWS)}"
    if rule.threshold < 0:
        return "count must not be negative"
    if rule.younger_than_days is not None and rule.younger_than_days <= 0:
        return "account age must be a positive number of days"
    return None


@dataclass(frozen=True)
class AccountFacts:
    """What the rules look at for one account, gathered by the service layer."""

    age_ms: int
    # (category, window) -> number of calls; ANY_CATEGORY holds the total
    usage: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # how many account families (a parent with its children counts once) share the billing
    # details of this account; 0 when the account has none
    shared_billing: int = 0


@dataclass(frozen=True)
class Thresholds:
    """Scores at which each stage begins (server settings)."""

    flag: int = 50
    throttle: int = 80
    suspend: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.flag <= self.throttle <= self.suspend:
            raise ValueError("thresholds must satisfy 0 < flag <= throttle <= suspend")


@dataclass(frozen=True)
class Assessment:
    score: int
    matched: tuple[str, ...]


def rule_matches(rule: Rule, facts: AccountFacts) -> bool:
    """Whether `facts` trip `rule` (the age condition first, then the count)."""
    if not _young_enough(rule, facts):
        return False
    compare = COMPARISONS[rule.comparison]
    return compare(observed(rule, facts), rule.threshold)


def _young_enough(rule: Rule, facts: AccountFacts) -> bool:
    if rule.younger_than_days is None:
        return True
    return facts.age_ms < rule.younger_than_days * DAY_MS


def observed(rule: Rule, facts: AccountFacts) -> int:
    """The number a rule compares with its threshold."""
    if rule.kind == SHARED_BILLING:
        return facts.shared_billing
    return facts.usage.get((rule.category, rule.window), 0)


def assess(rules: Iterable[Rule], facts: AccountFacts) -> Assessment:
    """The sum of the scores of every tripped rule (never below zero) and which ones."""
    matched = [rule for rule in rules if rule_matches(rule, facts)]
    score = max(0, sum(rule.score for rule in matched))
    return Assessment(score, tuple(rule.sid for rule in matched))


def stage_for(score: int, thresholds: Thresholds) -> Stage:
    if score >= thresholds.suspend:
        return Stage.SUSPENDED
    if score >= thresholds.throttle:
        return Stage.THROTTLED
    if score >= thresholds.flag:
        return Stage.FLAGGED
    return Stage.NONE


def next_stage(current: Stage, score: int, thresholds: Thresholds) -> Stage:
    """Stages follow the score both ways, except suspension: only a person lifts it."""
    if current is Stage.SUSPENDED:
        return Stage.SUSPENDED
    return stage_for(score, thresholds)


def escalated(before: Stage, after: Stage) -> bool:
    """Whether the change deserves a notification (only a worse stage does)."""
    return after > before


def families_sharing(accounts: Iterable[tuple[str, str | None, str | None]]) -> dict[str, int]:
    """fingerprint -> number of distinct account families using it.

    `accounts` yields (sid, parent_sid, fingerprint). Sub-accounts naturally share
    their parent's billing details, so a family (a parent and its children) counts
    once: only unrelated accounts with the same details look like a fraud ring.
    """
    families: dict[str, set[str]] = {}
    for sid, parent_sid, fingerprint in accounts:
        if fingerprint:
            families.setdefault(fingerprint, set()).add(parent_sid or sid)
    return {fingerprint: len(roots) for fingerprint, roots in families.items()}


def billing_fingerprint(details: str) -> str:
    """A digest of normalised billing details (case and spacing ignored); never the details."""
    normalised = " ".join(details.lower().split())
    return hashlib.sha256(normalised.encode()).hexdigest()
