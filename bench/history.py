"""`bench/results/history.jsonl` (one line per run) and the noise-aware gate (`--check`).

For every ratio metric the gate compares the median of the newest 3 runs with the
median of the up to 30 runs before them, as a *score* where 1.0 means "as before"
and below 1.0 means worse (ratio new/old when higher is better, old/new when lower
is better). A score below 0.7 fails, below 0.8 warns. Medians of several runs keep
one noisy run (a busy machine) from failing the gate. Quick runs are never compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Better, Result, Row, median

HISTORY = Path(__file__).parent / "results" / "history.jsonl"
NEWEST = 3
WINDOW = 30
MIN_OLDER = 3
FAIL_BELOW = 0.7
WARN_BELOW = 0.8
_LOWER_HINTS = ("p50", "p99", "latency", "time", "memory", "cpu", "size", "growth")
_RATIO = re.compile(r"^\s*([0-9.]+)\s*x?\s*$")


def infer_better(row: Row) -> Better:
    """Rows may say `better`; otherwise latency/cost-like metric names are lower-is-better."""
    stated = row.get("better")
    if stated in ("higher", "lower"):
        return "lower" if stated == "lower" else "higher"
    metric = row.get("metric", "").lower()
    return "lower" if any(hint in metric for hint in _LOWER_HINTS) else "higher"


def parse_ratio(text: str) -> float | None:
    match = _RATIO.match(text or "")
    return float(match.group(1)) if match else None


def entry(result: Result) -> dict[str, Any]:
    return result.row() | {
        "ratio_value": result.ratio,
        "better": result.better,
        "raw_value": result.value,
        "raw_baseline": result.baseline,
        "unit": result.unit,
    }


def foreign_entry(row: Row) -> dict[str, Any]:
    return dict(row) | {
        "ratio_value": parse_ratio(row.get("ratio", "")),
        "better": infer_better(row),
    }


def append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [run for run in runs if not run.get("quick")]


@dataclass(frozen=True)
class Verdict:
    key: str
    score: float
    recent: float
    before: float
    status: str  # ok | warn | FAIL


def _series(runs: Sequence[dict[str, Any]]) -> dict[str, list[tuple[float, Better]]]:
    series: dict[str, list[tuple[float, Better]]] = {}
    for run in runs:
        for row in run.get("rows", []):
            value = row.get("ratio_value")
            if isinstance(value, int | float) and value > 0:
                key = f"{row['benchmark']} / {row['metric']}"
                series.setdefault(key, []).append((float(value), row.get("better", "higher")))
    return series


def _verdict(key: str, points: list[tuple[float, Better]]) -> Verdict | None:
    recent_points, older_points = points[-NEWEST:], points[:-NEWEST][-WINDOW:]
    if len(recent_points) < NEWEST or len(older_points) < MIN_OLDER:
        return None
    recent = median([value for value, _b in recent_points])
    before = median([value for value, _b in older_points])
    better = recent_points[-1][1]
    score = recent / before if better == "higher" else before / recent
    status = "FAIL" if score < FAIL_BELOW else "warn" if score < WARN_BELOW else "ok"
    return Verdict(key, score, recent, before, status)


def check(path: Path) -> tuple[int, str]:
    """(exit code, report): 1 when any ratio metric fails the gate."""
    runs = load(path)
    verdicts = [v for key, pts in _series(runs).items() if (v := _verdict(key, pts)) is not None]
    if not verdicts:
        needed = NEWEST + MIN_OLDER
        return 0, f"not enough history in {path}: {len(runs)} full runs, the gate needs {needed}"
    lines = [f"{len(runs)} full runs; newest {NEWEST} vs up to {WINDOW} before them"]
    for v in sorted(verdicts, key=lambda v: v.score):
        detail = f"ratio {v.recent:.3g} now, {v.before:.3g} before"
        lines.append(f"{v.status:>4}  {v.score:5.2f}  {v.key}  ({detail})")
    failed = any(v.status == "FAIL" for v in verdicts)
    return (1 if failed else 0), "\n".join(lines)
