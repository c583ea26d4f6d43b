"""The benchmark harness runs end to end in a tiny configuration, and its gate works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import history
from bench.common import Result
from bench.naive import naive_plan
from bench.world import build_snapshot, make_world
from switchboard.domain.matching import plan_reservations

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_writes_a_report_and_a_history_line(tmp_path: Path) -> None:
    report, log = tmp_path / "benchmarks.md", tmp_path / "history.jsonl"
    command = [sys.executable, "-m", "bench", "--quick", "--report", str(report)]
    done = subprocess.run(
        [*command, "--history", str(log)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| engine (in-process) | reservations/s" in done.stdout
    assert "| failed |" not in done.stdout, done.stdout + done.stderr[-3000:]
    text = report.read_text()
    assert "## Machine" in text and "sqlite" in text
    [line] = log.read_text().splitlines()
    record = json.loads(line)
    assert record["quick"] is True
    benchmarks = {row["benchmark"] for row in record["rows"]}
    assert {"engine (in-process)", "HTTP task creation", "end-to-end latency"} <= benchmarks


def test_the_naive_baseline_plans_what_the_engine_plans() -> None:
    world = make_world(workers=60, tasks=400, seed=3)
    naive = naive_plan(build_snapshot(world), budget_seconds=30.0)
    assert naive.finished
    assert naive.matches == plan_reservations(build_snapshot(world))


def _run(ratio: float, better: str = "higher") -> dict[str, object]:
    result = Result("engine", "rate", ratio, "res/s", 1.0, better="higher")
    row = history.entry(result) | {"better": better}
    return {"quick": False, "rows": [row]}


def test_the_gate_compares_medians_and_fails_below_0_7(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    assert history.check(path)[0] == 0  # no history: nothing to compare
    for ratio in (1.0, 1.1, 0.9, 1.0, 5.0, 0.95, 1.0):  # one noisy run does not matter
        history.append(path, _run(ratio))
    code, text = history.check(path)
    assert code == 0 and text.count(" ok ") == 1, text
    for ratio in (0.75, 0.74, 0.76):
        history.append(path, _run(ratio))
    code, text = history.check(path)
    assert code == 0 and "warn" in text, text
    for ratio in (0.5, 0.6, 0.55):
        history.append(path, _run(ratio))
    code, text = history.check(path)
    assert code == 1 and "FAIL" in text, text


def test_lower_is_better_ratios_are_inverted(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    for ratio in (1.0, 1.0, 1.0, 2.0, 2.0, 2.0):  # a latency ratio that doubled
        history.append(path, _run(ratio, better="lower"))
    code, text = history.check(path)
    assert code == 1 and " 0.50 " in text, text
    quick = _run(10.0) | {"quick": True}
    history.append(path, quick)  # quick runs are ignored
    assert history.check(path)[0] == 1
