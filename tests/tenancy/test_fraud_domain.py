"""The pure fraud policy: rules, assessment, stages, families sharing billing details."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.tenancy.domain.fraud import (
    ANY_CATEGORY,
    COMPARISONS,
    DAY_MS,
    SHARED_BILLING,
    USAGE,
    WINDOWS,
    AccountFacts,
    Rule,
    Stage,
    Thresholds,
    assess,
    billing_fingerprint,
    escalated,
    families_sharing,
    next_stage,
    rule_matches,
    stage_for,
)

THRESHOLDS = Thresholds(flag=50, throttle=80, suspend=100)


def usage_rule(**kw: object) -> Rule:
    fields: dict[str, object] = {
        "sid": "FR1",
        "kind": USAGE,
        "comparison": ">",
        "threshold": 100,
        "score": 40,
        "category": "taskrouter.tasks",
        "window": "24h",
    }
    fields.update(kw)
    return Rule(**fields)  # type: ignore[arg-type]


def test_a_usage_rule_compares_the_count_in_its_window() -> None:
    rule = usage_rule()
    busy = AccountFacts(age_ms=0, usage={("taskrouter.tasks", "24h"): 101})
    calm = AccountFacts(age_ms=0, usage={("taskrouter.tasks", "24h"): 100})
    other_window = AccountFacts(age_ms=0, usage={("taskrouter.tasks", "7d"): 500})
    assert rule_matches(rule, busy)
    assert not rule_matches(rule, calm)
    assert not rule_matches(rule, other_window)


def test_the_age_condition_limits_a_rule_to_young_accounts() -> None:
    rule = usage_rule(younger_than_days=7)
    usage = {("taskrouter.tasks", "24h"): 1000}
    assert rule_matches(rule, AccountFacts(age_ms=6 * DAY_MS, usage=usage))
    assert not rule_matches(rule, AccountFacts(age_ms=7 * DAY_MS, usage=usage))


def test_the_any_category_counts_everything() -> None:
    rule = usage_rule(category=ANY_CATEGORY, window="all", comparison=">=", threshold=10)
    assert rule_matches(rule, AccountFacts(age_ms=0, usage={(ANY_CATEGORY, "all"): 10}))


def test_a_shared_billing_rule_counts_families() -> None:
    rule = Rule("FR2", SHARED_BILLING, ">", 3, 60)
    assert rule_matches(rule, AccountFacts(age_ms=0, shared_billing=4))
    assert not rule_matches(rule, AccountFacts(age_ms=0, shared_billing=3))


def test_families_count_once() -> None:
    accounts = [
        ("AC1", None, "fp"),
        ("AC2", "AC1", "fp"),  # a child shares its parent's billing: same family
        ("AC3", "AC1", "fp"),
        ("AC4", None, "fp"),
        ("AC5", None, None),
    ]
    assert families_sharing(accounts) == {"fp": 2}


def test_scores_add_up_and_never_go_negative() -> None:
    rules = [usage_rule(sid="a", score=30), usage_rule(sid="b", score=30), usage_rule(sid="c")]
    facts = AccountFacts(age_ms=0, usage={("taskrouter.tasks", "24h"): 1000})
    assert assess(rules, facts).score == 100
    assert assess(rules, facts).matched == ("a", "b", "c")
    assert assess([usage_rule(score=-10)], facts).score == 0


@pytest.mark.parametrize(
    ("score", "stage"),
    [
        (0, Stage.NONE),
        (49, Stage.NONE),
        (50, Stage.FLAGGED),
        (80, Stage.THROTTLED),
        (99, Stage.THROTTLED),
        (100, Stage.SUSPENDED),
        (500, Stage.SUSPENDED),
    ],
)
def test_thresholds_give_stages(score: int, stage: Stage) -> None:
    assert stage_for(score, THRESHOLDS) is stage


def test_suspension_is_sticky_other_stages_follow_the_score() -> None:
    assert next_stage(Stage.SUSPENDED, 0, THRESHOLDS) is Stage.SUSPENDED
    assert next_stage(Stage.THROTTLED, 0, THRESHOLDS) is Stage.NONE
    assert escalated(Stage.NONE, Stage.FLAGGED)
    assert not escalated(Stage.THROTTLED, Stage.FLAGGED)
    assert Stage.parse("throttled") is Stage.THROTTLED
    assert Stage.parse("whatever") is Stage.NONE
    assert Stage.SUSPENDED.label == "suspended"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "vibes"}, "kind"),
        ({"comparison": "~"}, "comparison"),
        ({"window": "2d"}, "window"),
        ({"threshold": -1}, "negative"),
        ({"younger_than_days": 0}, "age"),
    ],
)
def test_malformed_rules_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        usage_rule(**change)


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(flag=90, throttle=80, suspend=100)


def test_billing_fingerprints_ignore_case_and_spacing() -> None:
    assert billing_fingerprint("4111 Main St  ") == billing_fingerprint("4111   main st")
    assert billing_fingerprint("a") != billing_fingerprint("b")
    assert "main" not in billing_fingerprint("4111 Main St")


rules_strategy = st.lists(
    st.builds(
        Rule,
        sid=st.text("abc", min_size=1, max_size=3),
        kind=st.sampled_from([USAGE, SHARED_BILLING]),
        comparison=st.sampled_from(sorted(COMPARISONS)),
        threshold=st.integers(0, 1000),
        score=st.integers(-50, 100),
        category=st.sampled_from(["taskrouter.tasks", ANY_CATEGORY]),
        window=st.sampled_from(sorted(WINDOWS)),
        younger_than_days=st.none() | st.integers(1, 60),
    ),
    max_size=8,
)
facts_strategy = st.builds(
    AccountFacts,
    age_ms=st.integers(0, 90 * DAY_MS),
    usage=st.dictionaries(
        st.tuples(
            st.sampled_from(["taskrouter.tasks", ANY_CATEGORY]), st.sampled_from(["24h", "all"])
        ),
        st.integers(0, 2000),
    ),
    shared_billing=st.integers(0, 10),
)


@given(rules_strategy, facts_strategy)
def test_the_score_is_the_clamped_sum_of_matched_rules(
    rules: list[Rule], facts: AccountFacts
) -> None:
    assessment = assess(rules, facts)
    matched = [rule for rule in rules if rule_matches(rule, facts)]
    assert assessment.score == max(0, sum(rule.score for rule in matched))
    assert assessment.matched == tuple(rule.sid for rule in matched)


@given(st.integers(0, 300), st.integers(0, 300))
def test_a_higher_score_never_means_a_milder_stage(low: int, high: int) -> None:
    low, high = sorted((low, high))
    assert stage_for(low, THRESHOLDS) <= stage_for(high, THRESHOLDS)


@given(rules_strategy, facts_strategy, st.integers(1, 60))
def test_an_older_account_never_trips_more_age_limited_rules(
    rules: list[Rule], facts: AccountFacts, extra_days: int
) -> None:
    older = AccountFacts(facts.age_ms + extra_days * DAY_MS, facts.usage, facts.shared_billing)
    for rule in rules:
        if rule_matches(rule, older):
            assert rule_matches(rule, facts)


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9) | st.none(), st.sampled_from("xy"))))
def test_family_counts_never_exceed_account_counts(
    rows: list[tuple[int, int | None, str]],
) -> None:
    accounts = [
        (f"AC{sid}", f"AC{parent}" if parent is not None else None, fp) for sid, parent, fp in rows
    ]
    counts = families_sharing(accounts)
    for fingerprint, families in counts.items():
        assert 1 <= families <= sum(1 for _, _, fp in accounts if fp == fingerprint)
