"""`bench/results/history.jsonl` (one line per run) and the noise-aware gate (`--check`).

For every ratio metric the gate compares the median of the newest 3 runs with the
median of the up to 30 runs before them, as a *score* where 1.0 means "as before"
and below 1.0 means worse (ratio new/old when higher is better, old/new when lower
is better). A score below 0.7 fails, below 0.8 warns. Medians of several runs keep
one noisy run (a busy machine) from failing the gate. Quick runs are never compared,
and only runs of the newest run's machine (CPU model and cores) are: a same-run ratio
still moves when the host does (a slower CPU saturates sooner). Rows recorded with
`"gated": false` (a saturated server's latencies) are kept but never compared, and so
are reference rows (:data:`REFERENCE_METRICS`): a configuration nobody runs, measured
to show what the shipped one prevents; how badly it fares is the host's load, not a
regression of the code. A row whose baseline changed meaning with the harness
(:data:`RESTARTS`) is compared only over the runs from that change on.

The short profile (`--short`, what CI runs) keeps its own history
(`results/history-short.jsonl`) and is gated differently: CI has one fresh run, so
:func:`check_fresh` compares each of its ratios with the worst of the recorded short
runs (small sizes are noisy; the worst recorded value already includes that noise),
failing only when a ratio is more than twice as bad (score below 0.5) — a regression,
not a slow or busy machine, since both sides of a ratio run together.
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
HISTORY_SHORT = Path(__file__).parent / "results" / "history-short.jsonl"
SHORT_FAIL_BELOW = 0.5
SHORT_WARN_BELOW = 0.7
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
    return (
        result.row()
        | {
            "ratio_value": result.ratio,
            "better": result.better,
            "raw_value": result.value,
            "raw_baseline": result.baseline,
            "unit": result.unit,
        }
        | ({} if result.gated else {"gated": False})
    )


def foreign_entry(row: Row) -> dict[str, Any]:
    return dict(row) | {
        "ratio_value": parse_ratio(row.get("ratio", "")),
        "better": infer_better(row),
    }


def append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")


def load(path: Path, *, short: bool = False) -> list[dict[str, Any]]:
    """Full runs, or (`short`) the short profile's runs."""
    if not path.exists():
        return []
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if short:
        return [run for run in runs if run.get("profile") == "short"]
    return [run for run in runs if not run.get("quick")]


@dataclass(frozen=True)
class Verdict:
    key: str
    score: float
    recent: float
    before: float
    status: str  # ok | warn | FAIL


# metric names containing one of these are references, never compared
REFERENCE_METRICS = ("(fair scheduling off)",)


_LOOKUP = "attribution / inbound lookup p99 with 100,000 live leases"
_FROZEN = (
    "2026-12-05 00:04 UTC",
    "the baseline (the memory store's lookup, timed in the runner) runs with the runner's "
    "heap frozen since 2413ebc; four alternating runs of it alone: p99 499 and 493 ms "
    "unfrozen, 316 and 323 ms frozen (2026-12-05)",
)
# row key -> (the first run of its new series, as `machine.date` records it; why): the
# runs before it measured another baseline and are not compared with the runs since
RESTARTS: dict[str, tuple[str, str]] = {
    f"{_LOOKUP} (sqlite)": _FROZEN,
    f"{_LOOKUP} (postgresql)": _FROZEN,
}


def _since_restart(key: str, run: dict[str, Any]) -> bool:
    restart = RESTARTS.get(key)
    return restart is None or str(run.get("machine", {}).get("date", "")) >= restart[0]


def _compared(row: dict[str, Any]) -> bool:
    metric = str(row.get("metric", ""))
    return row.get("gated") is not False and not any(r in metric for r in REFERENCE_METRICS)


def machine_key(run: dict[str, Any]) -> str:
    """The host a run measured: CPU model and core count."""
    host = run.get("machine", {})
    return f"{host.get('cpu', '?')}, {host.get('cores', '?')} cores"


def _series(runs: Sequence[dict[str, Any]]) -> dict[str, list[tuple[float, Better]]]:
    series: dict[str, list[tuple[float, Better]]] = {}
    for run in runs:
        for row in run.get("rows", []):
            if not _compared(row):
                continue
            value = row.get("ratio_value")
            key = f"{row['benchmark']} / {row['metric']}"
            if isinstance(value, int | float) and value > 0 and _since_restart(key, run):
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
    every = load(path)
    host = machine_key(every[-1]) if every else "?"
    runs = [run for run in every if machine_key(run) == host]
    verdicts = [v for key, pts in _series(runs).items() if (v := _verdict(key, pts)) is not None]
    if not verdicts:
        needed = NEWEST + MIN_OLDER
        return 0, (
            f"not enough history in {path} for {host}: {len(runs)} full runs there "
            f"(of {len(every)}), the gate needs {needed}"
        )
    lines = [
        f"{len(runs)} full runs on {host} (of {len(every)}); "
        f"newest {NEWEST} vs up to {WINDOW} before them"
    ]
    for v in sorted(verdicts, key=lambda v: v.score):
        detail = f"ratio {v.recent:.3g} now, {v.before:.3g} before"
        lines.append(f"{v.status:>4}  {v.score:5.2f}  {v.key}  ({detail})")
    failed = any(v.status == "FAIL" for v in verdicts)
    return (1 if failed else 0), "\n".join(lines)


def score(key: str, fresh: float, before: float, better: Better) -> Verdict:
    """One fresh ratio against the recorded median, with the short profile's thresholds."""
    value = fresh / before if better == "higher" else before / fresh
    status = "FAIL" if value < SHORT_FAIL_BELOW else "warn" if value < SHORT_WARN_BELOW else "ok"
    return Verdict(key, value, fresh, before, status)


def check_fresh(path: Path, rows: Sequence[dict[str, Any]]) -> tuple[int, list[Verdict], str]:
    """(exit code, verdicts, report) for one fresh short run against the worst recorded."""
    series = _series(load(path, short=True)[-WINDOW:])
    verdicts = []
    for row in rows:
        key, value = f"{row['benchmark']} / {row['metric']}", row.get("ratio_value")
        if isinstance(value, int | float) and value > 0 and series.get(key):
            better = row.get("better", "higher")
            values = [v for v, _b in series[key]]
            worst = max(values) if better == "lower" else min(values)
            verdicts.append(score(key, float(value), worst, better))
    if not verdicts:
        return 0, [], f"no recorded short runs in {path} to compare with"
    lines = [f"short profile: fresh run vs the worst of {len(load(path, short=True))} recorded"]
    for v in sorted(verdicts, key=lambda v: v.score):
        lines.append(
            f"{v.status:>4}  {v.score:5.2f}  {v.key}  (ratio {v.recent:.3g}, was {v.before:.3g})"
        )
    failed = any(v.status == "FAIL" for v in verdicts)
    return (1 if failed else 0), verdicts, "\n".join(lines)
