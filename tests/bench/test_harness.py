"""The benchmark harness runs end to end in a tiny configuration, and its gate works."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench import diagnose, history, latency
from bench.center import Center, create_center
from bench.common import Result, measuring
from bench.naive import naive_plan
from bench.world import build_snapshot, make_world
from switchboard.distribution.domain.matching import plan_reservations
from switchboard.testing import processes

ROOT = Path(__file__).resolve().parents[2]


# a safety net only: the quick run is bounded by counts (tiny sizes), not by machine speed,
# and takes ~15 s on an idle 2-core machine; a loaded one may take several times that
SAFETY_NET_SECONDS = 900


@pytest.mark.slow
@pytest.mark.timeout(SAFETY_NET_SECONDS + 60)
def test_quick_run_writes_a_report_and_a_history_line(tmp_path: Path) -> None:
    report, log = tmp_path / "benchmarks.md", tmp_path / "history.jsonl"
    command = [sys.executable, "-m", "bench", "--quick", "--report", str(report)]
    done = processes.run([*command, "--history", str(log)], cwd=ROOT, timeout=SAFETY_NET_SECONDS)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| engine (in-process) | reservations/s" in done.stdout
    assert "| failed |" not in done.stdout, done.stdout + done.stderr[-3000:]
    text = report.read_text()
    assert "## Machine" in text and "sqlite" in text
    assert "ms per task (both its threads, from the first POST" in text  # latency's CPU note
    [line] = log.read_text().splitlines()
    record = json.loads(line)
    assert record["quick"] is True
    # how fast the shared host ran, at both ends: ratios are read against it
    assert record["machine"]["reference_work_start"].endswith(" ms")
    assert record["machine"]["reference_work_end"].endswith(" ms")
    benchmarks = {row["benchmark"] for row in record["rows"]}
    assert {"engine (in-process)", "HTTP task creation", "end-to-end latency"} <= benchmarks
    assert "attribution" in benchmarks  # leases/s and lookup latency (issue 14)


def test_the_naive_baseline_plans_what_the_engine_plans() -> None:
    world = make_world(workers=60, tasks=400, seed=3)
    naive = naive_plan(build_snapshot(world), budget_seconds=30.0)
    assert naive.finished
    assert naive.matches == plan_reservations(build_snapshot(world))


def _run(
    ratio: float, better: str = "higher", cpu: str = "AMD EPYC", gated: bool = True
) -> dict[str, object]:
    result = Result("engine", "rate", ratio, "res/s", 1.0, better="higher", gated=gated)
    row = history.entry(result) | {"better": better}
    return {"quick": False, "rows": [row], "machine": {"cpu": cpu, "cores": "2"}}


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


def test_the_gate_compares_runs_of_the_newest_runs_machine_only(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    for ratio in (1.0, 1.0, 1.0):  # a faster host, recorded earlier
        history.append(path, _run(ratio, cpu="Intel Xeon"))
    for ratio in (0.5, 0.5, 0.5, 0.5, 0.5, 0.5):  # this host: half the ratio, steadily
        history.append(path, _run(ratio))
    code, text = history.check(path)
    assert code == 0 and "6 full runs on AMD EPYC, 2 cores (of 9)" in text, text
    for ratio in (0.3, 0.3, 0.3):  # and now a regression on this host
        history.append(path, _run(ratio))
    assert history.check(path)[0] == 1


def test_rows_recorded_as_not_gated_are_never_compared(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    for ratio in (1.0, 1.0, 1.0, 9.0, 9.0, 9.0):  # a saturated server's latency ratios
        history.append(path, _run(ratio, better="lower", gated=False))
    code, text = history.check(path)
    assert code == 0 and "not enough history" in text, text


def test_reference_rows_are_never_compared(tmp_path: Path) -> None:
    """A configuration nobody runs (fair scheduling off) is measured to show what the
    shipped one prevents: how badly it fares is the host's load, not a regression."""
    path = tmp_path / "history.jsonl"
    for ratio in (200.0, 200.0, 200.0, 600.0, 600.0, 600.0):
        run = _run(ratio, better="lower")
        rows: Any = run["rows"]
        rows[0]["metric"] = "quiet tenant p99 beside a 20x noisy one (fair scheduling off)"
        history.append(path, run)
    code, text = history.check(path)
    assert code == 0 and "not enough history" in text, text


def test_a_row_restarted_with_the_harness_is_compared_only_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A harness change that moves a row's baseline (the memory floor timed with the
    runner's heap frozen) starts the row's series afresh: the runs before measured
    another baseline, and a fall against them is no regression."""
    path = tmp_path / "history.jsonl"
    for day, ratio in [(1, 1.0), (2, 1.0), (3, 1.0), (4, 0.4), (5, 0.4), (6, 0.4)]:
        run: Any = _run(ratio)
        run["machine"]["date"] = f"2026-12-0{day} 10:00 UTC"
        history.append(path, run)
    assert history.check(path)[0] == 1  # without a restart: a fall to 0.4x fails
    why = ("2026-12-04 10:00 UTC", "the baseline changed")
    monkeypatch.setattr(history, "RESTARTS", {"engine / rate": why})
    code, text = history.check(path)
    assert code == 0 and "not enough history" in text, text
    for day, ratio in [(7, 0.4), (8, 0.4), (9, 0.1)]:  # later runs are compared again
        run = _run(ratio)
        run["machine"]["date"] = f"2026-12-0{day} 10:00 UTC"
        history.append(path, run)
    code, text = history.check(path)
    assert code == 0 and " ok " in text, text  # median 0.4 now, 0.4 since the restart
    for day, ratio in [(10, 0.1), (11, 0.1)]:
        run = _run(ratio)
        run["machine"]["date"] = f"2026-12-{day} 10:00 UTC"
        history.append(path, run)
    assert history.check(path)[0] == 1  # a regression after the restart still fails


def _short_run(rows: list[tuple[str, float, str]]) -> dict[str, object]:
    entries = [
        history.entry(Result("engine", metric, ratio, "x", 1.0, better=better))  # type: ignore[arg-type]
        for metric, ratio, better in rows
    ]
    return {"quick": True, "profile": "short", "rows": entries}


def test_the_short_gate_fails_a_fresh_ratio_twice_as_bad_as_the_worst_recorded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history-short.jsonl"
    fresh = [history.entry(Result("engine", "rate", 10.0, "x", 1.0))]
    assert history.check_fresh(path, fresh)[0] == 0  # nothing recorded: nothing to compare
    for ratio in (10.0, 11.0, 30.0):  # the worst recorded run is the reference
        history.append(path, _short_run([("rate", ratio, "higher"), ("cost", 1.0, "lower")]))
    history.append(path, {"quick": False, "rows": []})  # full runs are not short runs
    code, verdicts, text = history.check_fresh(path, fresh)
    assert code == 0 and [v.status for v in verdicts] == ["ok"], text
    slower = [history.entry(Result("engine", "rate", 6.0, "x", 1.0))]
    assert history.check_fresh(path, slower)[1][0].status == "warn"
    halved = [history.entry(Result("engine", "rate", 4.0, "x", 1.0))]
    assert history.check_fresh(path, halved)[0] == 1
    dearer = [history.entry(Result("engine", "cost", 2.5, "x", 1.0, better="lower"))]
    code, verdicts, text = history.check_fresh(path, dearer)
    assert code == 1 and "FAIL" in text and verdicts[0].score == pytest.approx(0.4)


# the CI profile is in process and bounded by counts: ~30 s on a loaded 2-core machine
SHORT_SAFETY_NET_SECONDS = 300


@pytest.mark.slow
@pytest.mark.timeout(SHORT_SAFETY_NET_SECONDS + 60)
def test_the_short_profile_passes_the_gate_against_the_recorded_runs() -> None:
    """The regression gate of CI: a ratio twice as bad as recorded fails the build."""
    assert history.load(history.HISTORY_SHORT, short=True), "record short runs first"
    command = [sys.executable, "-m", "bench", "--check", "--short"]
    done = processes.run(command, cwd=ROOT, timeout=SHORT_SAFETY_NET_SECONDS)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    assert "| failed |" not in done.stdout
    assert done.stdout.count(" ok ") + done.stdout.count("warn ") >= 6, done.stdout


async def test_the_statement_count_sees_what_runs_on_the_driver_directly(
    tmp_path: Path,
) -> None:
    """Prepared writes skip SQLAlchemy's events (ADR 0019); the breakdown row must still
    count them: a task creation is its task row and three events at least."""
    center = await create_center(tmp_path / "count.db", workers=0)
    _cpu, statements = await diagnose.post_many(center, 8, routing=False)
    assert statements >= 4


async def test_a_post_the_server_drops_is_reported_not_a_crash_of_the_latency_run() -> None:
    """At 200 tasks/s the server is saturated; a connection it drops is one error in the
    row's notes, and the run goes on (it used to fail the whole latency benchmark)."""

    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    center = Center("sqlite://", "AC1", "token", "WS1", "WW1", ())
    timeline = latency.Timeline()
    async with httpx.AsyncClient(transport=httpx.MockTransport(drop), base_url="http://b") as http:
        await latency._create(http, center, 7, timeline)
    assert 7 in timeline.sent and timeline.post_latency == []
    assert timeline.errors == ["POST failed: ReadError connection reset"]


def test_a_timed_window_hides_the_runners_heap_from_the_collector_and_gives_it_back() -> None:
    """The runner's earlier objects are not scanned while a window is timed (a full
    collection over them paused the measuring loop 130-150 ms), and are again after."""
    before = gc.get_freeze_count()
    kept = [[n] for n in range(1_000)]  # containers the collector would otherwise scan
    with measuring():
        assert gc.get_freeze_count() >= before + len(kept)
    assert gc.get_freeze_count() == before


def test_a_window_inside_another_leaves_the_outer_ones_objects_frozen() -> None:
    """A benchmark runs in a window, and times its own run in another inside it."""
    before = gc.get_freeze_count()
    with measuring():
        outer = gc.get_freeze_count()
        with measuring():
            pass
        assert gc.get_freeze_count() >= outer
    assert gc.get_freeze_count() == before
