"""`python -m bench`: run every benchmark, print the table, write the docs and the history.

python -m bench            full run (< 5 minutes on 2 cores): docs/benchmarks.md + history
python -m bench --quick    tiny sizes, for the smoke test; writes nothing unless told where
python -m bench --check    the regression gate over bench/results/history.jsonl
python -m bench --short    the CI profile (in process, ~30 s): appends to history-short.jsonl
python -m bench --check --short   run the CI profile and gate it against the recorded ones
python -m bench --only engine,http
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    attribution,
    backlog,
    channels,
    conversations,
    diagnose,
    engine,
    group_commit,
    history,
    http,
    latency,
    many_workers,
    memory,
    report,
    request_routing,
    scaleout,
)
from bench.center import ensure_secret_key
from bench.common import Config, Result, Row, measuring, short_config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
Runner = Callable[[Config, Path], list[Result]]
BENCHMARKS: dict[str, Runner] = {
    "engine": lambda config, _workdir: engine.run(config),
    "http": http.run,
    "diagnose": diagnose.run,
    "latency": latency.run,
    "memory": memory.run,
    "backlog": backlog.run,
    "many_workers": many_workers.run,
    "scaleout": scaleout.run,
    "group_commit": group_commit.run,
    "conversations": conversations.run,
    "request_routing": request_routing.run,
    "channels": channels.run,
    "attribution": attribution.run,
}
# the CI profile: in process, no servers, no PostgreSQL; ratios that do not depend on speed
SHORT = ("engine", "diagnose", "memory", "backlog", "many_workers")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--check", action="store_true", help="only run the regression gate")
    parser.add_argument("--short", action="store_true", help="the CI profile (see --check)")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(BENCHMARKS))
    parser.add_argument("--no-fairness", action="store_true", help="skip bench.fairness")
    parser.add_argument("--history", type=Path, help=f"history file (default {history.HISTORY})")
    parser.add_argument("--report", type=Path, help=f"Markdown report (default {DOCS})")
    return parser.parse_args(argv)


def _fairness_rows() -> list[Row]:
    try:
        from bench import fairness
    except ImportError:
        return []
    rows: list[Row] = fairness.run()
    return rows


def _run_one(name: str, runner: Runner, config: Config, workdir: Path) -> list[Result]:
    started = time.perf_counter()
    print(f"==> {name}", file=sys.stderr, flush=True)
    try:
        with measuring():  # what earlier benchmarks left is not this one's to collect
            results = runner(config, workdir)
    except Exception:  # noqa: BLE001 (one broken benchmark must not hide the others)
        traceback.print_exc()
        return [Result(name, "failed", 0.0, "", notes=[traceback.format_exc(limit=1).strip()])]
    print(f"    {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return results


def _selected(only: str) -> dict[str, Runner]:
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in BENCHMARKS and name != "fairness"]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}")
    return {name: BENCHMARKS[name] for name in (names or BENCHMARKS) if name in BENCHMARKS}


def _wants_fairness(args: argparse.Namespace) -> bool:
    if args.no_fairness or args.quick or args.short:
        return False
    return not args.only or "fairness" in args.only.split(",")


def _config(args: argparse.Namespace) -> Config:
    if args.short:
        return short_config()
    return Config.quick_config() if args.quick else Config()


def _measure(selected: dict[str, Runner], config: Config) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        for name, runner in selected.items():
            results.extend(_run_one(name, runner, config, Path(tmp)))
    return results


def _selection(args: argparse.Namespace) -> dict[str, Runner]:
    selected = _selected(args.only)
    if args.short:
        return {name: runner for name, runner in selected.items() if name in SHORT}
    return selected


def run(args: argparse.Namespace) -> int:
    config = _config(args)
    ensure_secret_key()
    started = time.perf_counter()
    host = report.machine()
    results = _measure(_selection(args), config)
    foreign = _fairness_rows() if _wants_fairness(args) else []
    seconds = time.perf_counter() - started
    host["loadavg_end"] = report.loadavg()
    host["reference_work_end"] = report.reference_work()
    rows = [result.row() for result in results] + foreign
    print(report.table(rows))
    _record(args, rows, results, foreign, host, seconds)
    return 0


def _record(
    args: argparse.Namespace,
    rows: list[Row],
    results: list[Result],
    foreign: list[Row],
    host: dict[str, str],
    seconds: float,
) -> None:
    """Quick runs write only where told; full runs default to the docs and the history."""
    report_path = args.report or (None if args.quick or args.short else DOCS)
    default = history.HISTORY_SHORT if args.short else None if args.quick else history.HISTORY
    history_path = args.history or default
    if report_path is not None:
        report.write(report_path, report.document(rows, host, seconds, args.quick))
        print(f"wrote {report_path}", file=sys.stderr)
    if history_path is not None:
        entries = [history.entry(r) for r in results] + [history.foreign_entry(r) for r in foreign]
        record = {
            "machine": host,
            "quick": args.quick or args.short,
            "profile": "short" if args.short else "quick" if args.quick else "full",
            "seconds": round(seconds, 1),
            "rows": entries,
        }
        history.append(history_path, record)
        print(f"appended to {history_path}", file=sys.stderr)


def _exit_on_sigterm() -> None:
    """SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so every `finally` stops its
    servers and drops its databases; a SIGKILL is covered by the children's pdeathsig."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    _exit_on_sigterm()
    args = _arguments(argv)
    if args.check and args.short:
        return gate_short(args)
    if args.check:
        code, text = history.check(args.history or history.HISTORY)
        print(text)
        return code
    return run(args)


def gate_short(args: argparse.Namespace) -> int:
    """Run the CI profile and gate it; benchmarks with a failing ratio get one more run
    (a ratio is kept from the better of the two), so one unlucky moment does not fail CI."""
    ensure_secret_key()
    path = args.history or history.HISTORY_SHORT
    selected = _selection(args)
    results = _measure(selected, short_config())
    code, verdicts, text = history.check_fresh(path, [history.entry(r) for r in results])
    failing = {v.key.split(" / ", 1)[0] for v in verdicts if v.status == "FAIL"}
    if failing:
        print(text, "\n==> running again:", ", ".join(sorted(failing)), file=sys.stderr)
        again = {name: r for name, r in selected.items() if _names(name, results) & failing}
        retry = _measure(again, short_config())
        results = [_better(r, retry) for r in results]
        code, verdicts, text = history.check_fresh(path, [history.entry(r) for r in results])
    broken = [r for r in results if r.metric == "failed"]
    print(report.table([r.row() for r in results]))
    print(text)
    return 1 if broken else code


def _names(runner: str, results: list[Result]) -> set[str]:
    """The benchmark titles a runner's rows carry (`engine` -> `engine (in-process)`)."""
    module = sys.modules[f"bench.{runner}"]
    return {r.benchmark for r in results if r.benchmark == getattr(module, "NAME", runner)}


def _better(result: Result, retry: list[Result]) -> Result:
    twin = next(
        (r for r in retry if (r.benchmark, r.metric) == (result.benchmark, result.metric)), None
    )
    if twin is None or twin.ratio is None or result.ratio is None:
        return result
    lower = result.better == "lower"
    return twin if (twin.ratio < result.ratio) == lower else result


if __name__ == "__main__":
    sys.exit(main())
