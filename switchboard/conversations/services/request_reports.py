"""What an organization's requests add up to: counts by status, ratings (CSAT) per
member and team, SLA breaches by kind."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from switchboard.conversations.domain import routing as rt
from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Unit


def _ratings(rows: list[rt.Request], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        name = getattr(row, key)
        if row.rating is not None and name is not None:
            groups[name].append(row.rating)
    return {name: _summary(values) for name, values in sorted(groups.items())}


def _summary(values: list[int]) -> dict[str, Any]:
    satisfied = sum(1 for v in values if v >= 4)
    return {
        "count": len(values),
        "average": round(sum(values) / len(values), 2) if values else None,
        # CSAT as the industry reports it: the share of 4s and 5s
        "csat": round(satisfied / len(values), 4) if values else None,
    }


async def report(unit: Unit, account_sid: str, organization: str) -> dict[str, Any]:
    rows = await unit.select(
        rt.Request, eq("account_sid", account_sid), eq("organization", organization)
    )
    by_status = dict.fromkeys((*rt.OPEN_STATUSES, rt.RETIRED), 0)
    breaches: dict[str, int] = {"first_response": 0, "next_response": 0}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
        for breach in json.loads(row.breaches):
            breaches[breach["kind"]] = breaches.get(breach["kind"], 0) + 1
    rated = [row.rating for row in rows if row.rating is not None]
    return {
        "organization": organization,
        "requests": {"total": len(rows), **by_status},
        "ratings": {
            **_summary(rated),
            "by_member": _ratings(rows, "member"),
            "by_team": _ratings(rows, "team"),
        },
        "sla_breaches": breaches,
    }
