"""Routing of a request (issue 19), the pure part: the records, categorization by rules,
the queue estimate, and what the inactivity and SLA clocks say is due.

A **request** is the first inbound message on an address with no open request, and
everything after it until it is retired: one sequence, one interaction, one TaskRouter
task. Its `status` moves `after_hours → queued → assigned ⇄ pending → retired`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from switchboard.conversations.domain.hours import ALWAYS, Hours
from switchboard.kernel.errors import InvalidParameter

PROFILE = "XR"
REQUEST = "XQ"

AFTER_HOURS, QUEUED, ASSIGNED, PENDING, RETIRED = (
    "after_hours",
    "queued",
    "assigned",
    "pending",
    "retired",
)
OPEN_STATUSES = (AFTER_HOURS, QUEUED, ASSIGNED, PENDING)
CHANNELS = ("chat", "sms", "email", "whatsapp", "im")
MAX_RULES = 100
OpenTime = Callable[[int, int], int]  # business-hours milliseconds between two instants

MESSAGES = {
    "after_hours": "We are closed right now. We open {opens}; your request will wait for us.",
    "acknowledgement": "Thanks, we have your request and will answer shortly.",
    "queue": "You are number {position} in line; the expected wait is about {minutes} min.",
    "escalated": "We are passing your request to a colleague who can help further.",
    "nudge": "We noticed you went away. Reply here whenever you are ready.",
    "retired": "We are closing this request for now. Write again any time.",
    "rating": "How did we do? Reply with a rating from 1 to 5 and a comment.",
}


@dataclass
class RoutingProfile:
    """How an organization's requests are routed (one per organization of an account)."""

    sid: str
    account_sid: str
    organization: str
    workspace_sid: str
    workflow_sid: str | None
    task_channel: str | None
    proxy_address: str  # the organization's address outside parties write to
    hours: str  # JSON: {"time_zone", "week", "holidays", "teams": {team: {...}}}; "" always open
    rules: str  # JSON list of categorization rules
    default_category: str | None
    messages: str  # JSON: templates overriding MESSAGES
    feedback_every_ms: int  # queue position and ETA at most this often
    inactive_ms: int  # T: no customer reply for T → pending with a nudge
    retire_factor: int  # k: no reply for k·T → retired
    first_response_ms: int | None  # SLA targets, counted in business hours
    next_response_ms: int | None
    classifier_threshold: float | None  # the classifier's minimum confidence (None: off)
    max_wait_ms: int | None  # queued longer (business time): escalated to "overflow"
    date_created: int
    date_updated: int


@dataclass
class Request:
    """One routed request of an outside party (a sequence, its interaction, its task)."""

    sid: str
    account_sid: str
    organization: str
    conversation_sid: str
    sequence_sid: str
    interaction_sid: str
    customer: str  # the outside party's address
    channel: str
    category: str | None
    category_source: str  # rule | classifier | default
    team: str | None
    status: str
    task_sid: str | None
    worker_sid: str | None
    member: str | None  # the chat identity of the member who answers
    opens_at: int | None  # after hours: when the team opens
    last_customer_at: int
    last_member_at: int | None  # the member's last answer: the inactivity clock starts there
    awaiting_since: int | None  # a customer message no member answered yet
    first_response_at: int | None
    last_feedback_at: int | None
    breaches: str  # JSON list of {"kind", "since", "at"}
    escalations: str  # JSON list of {"to", "reason", "by", "at"}
    rating: int | None
    comment: str | None
    date_assigned: int | None
    date_retired: int | None
    date_created: int
    date_updated: int


@dataclass(frozen=True)
class Rule:
    """Categorize a request: any keyword, or the pattern, matching (and the channel, if set)."""

    category: str
    team: str | None
    keywords: tuple[str, ...]
    pattern: re.Pattern[str] | None
    channel: str | None

    def matches(self, body: str, channel: str) -> bool:
        if self.channel is not None and self.channel != channel:
            return False
        text = body.lower()
        words = set(re.findall(r"\w+", text))
        if any((k in words) if " " not in k else (k in text) for k in self.keywords):
            return True
        return self.pattern is not None and self.pattern.search(body) is not None


def parse_rules(raw: Any) -> tuple[Rule, ...]:
    """`[{"category": "billing", "team": "billing", "keywords": ["invoice"],
    "pattern": "refund|charge", "channel": "chat"}]`, tried in order."""
    if not isinstance(raw, list) or len(raw) > MAX_RULES:
        raise InvalidParameter(f"Invalid Rules: a JSON list of at most {MAX_RULES} rules")
    return tuple(_rule(item, i) for i, item in enumerate(raw))


def _rule(item: Any, i: int) -> Rule:
    if not isinstance(item, dict) or not isinstance(item.get("category"), str):
        raise InvalidParameter(f"Invalid Rules[{i}]: an object with a category")
    keywords = item.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise InvalidParameter(f"Invalid Rules[{i}].keywords: a list of strings")
    pattern = None
    if item.get("pattern") is not None:
        try:
            pattern = re.compile(str(item["pattern"]), re.IGNORECASE)
        except re.error as error:
            raise InvalidParameter(f"Invalid Rules[{i}].pattern: {error}") from error
    channel = item.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise InvalidParameter(f"Invalid Rules[{i}].channel: one of {', '.join(CHANNELS)}")
    team = item.get("team")
    return Rule(
        item["category"],
        str(team) if team is not None else None,
        tuple(k.lower() for k in keywords),
        pattern,
        channel,
    )


def categorize(
    rules: Sequence[Rule], body: str, channel: str, default: str | None
) -> tuple[str | None, str | None]:
    """The first matching rule's category and team, else the default category."""
    for rule in rules:
        if rule.matches(body, channel):
            return rule.category, rule.team
    return default, None


def eta_ms(position: int, handling_ms: Sequence[int], members: int = 1) -> int | None:
    """Expected wait at `position` (1 = next): the recent mean handling time per member
    ahead of the request; None when nothing has been handled yet to estimate from."""
    if not handling_ms:
        return None
    mean = sum(handling_ms) / len(handling_ms)
    return round(mean * position / max(1, members))


def average_handling(rows: Sequence[Request], fastest: int) -> dict[str, int]:
    """Per worker sid, the mean assigned → retired time of the requests they handled
    (escalated ones left out), the `fastest` lowest ones only."""
    spent: dict[str, list[int]] = {}
    for row in rows:
        if row.worker_sid is None or row.date_assigned is None or row.date_retired is None:
            continue
        if row.escalations not in ("", "[]"):
            continue
        spent.setdefault(row.worker_sid, []).append(row.date_retired - row.date_assigned)
    means = {sid: round(sum(times) / len(times)) for sid, times in spent.items()}
    return dict(sorted(means.items(), key=lambda item: (item[1], item[0]))[:fastest])


def inactivity_due(request: Request, now: int, t_ms: int, k: int) -> str | None:
    """What the inactivity clock says: `retire`, `nudge`, or nothing. It runs only while
    the customer owes the reply: a member answered and the customer has not written since."""
    if request.awaiting_since is not None or request.last_member_at is None:
        return None
    quiet = now - request.last_member_at
    if request.status in (ASSIGNED, PENDING) and quiet >= k * t_ms:
        return "retire"
    if request.status == ASSIGNED and quiet >= t_ms:
        return "nudge"
    return None


def hours_of(profile: RoutingProfile, team: str | None) -> Hours:
    """The team's own hours when it has some, else the organization's (else always)."""
    if not profile.hours:
        return ALWAYS
    raw = json.loads(profile.hours)
    teams = raw.get("teams") or {}
    if team is not None and team in teams:
        return Hours.parse(teams[team])
    return Hours.parse(raw)


def _breached(breaches: list[dict[str, Any]], kind: str, since: int) -> bool:
    return any(b["kind"] == kind and b["since"] == since for b in breaches)


def sla_breaches(
    request: Request,
    now: int,
    first_ms: int | None,
    next_ms: int | None,
    open_ms: OpenTime,
) -> list[dict[str, Any]]:
    """New breaches: no first answer within `first_ms` of business time since the request
    came, or a customer message unanswered for `next_ms` after that; each one once."""
    known = json.loads(request.breaches)
    if request.first_response_at is None:
        kind, since, target = "first_response", request.date_created, first_ms
    elif request.awaiting_since is not None:
        kind, since, target = "next_response", request.awaiting_since, next_ms
    else:
        return []
    if target is None or open_ms(since, now) <= target or _breached(known, kind, since):
        return []
    return [{"kind": kind, "since": since, "at": now}]


def render(messages: Mapping[str, str], key: str, **values: Any) -> str:
    """The organization's template (or the default) with the values filled in."""
    template = messages.get(key) or MESSAGES[key]
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return MESSAGES[key].format(**values)
