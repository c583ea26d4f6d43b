"""`python -m bench`: run every benchmark, print the table, write the docs and the history.

python -m bench            full run (< 5 minutes on 2 cores): docs/benchmarks.md + history
python -m bench --quick    tiny sizes, for the smoke test; writes nothing unless told where
python -m bench --check    the regression gate over bench/results/history.jsonl
python -m bench --only engine,http
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import diagnose, engine, history, http, latency, memory, report, scaleout
from bench.center import ensure_secret_key
from bench.common import Config, Result, Row

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
Runner = Callable[[Config, Path], list[Result]]
BENCHMARKS: dict[str, Runner] = {
    "engine": lambda config, _workdir: engine.run(config),
    "http": http.run,
    "diagnose": diagnose.run,
    "latency": latency.run,
    "memory": memory.run,
    "scaleout": scaleout.run,
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--check", action="store_true", help="only run the regression gate")
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
    if args.no_fairness or args.quick:
        return False
    return not args.only or "fairness" in args.only.split(",")


def run(args: argparse.Namespace) -> int:
    config = Config.quick_config() if args.quick else Config()
    ensure_secret_key()
    started = time.perf_counter()
    host = report.machine()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        for name, runner in _selected(args.only).items():
            results.extend(_run_one(name, runner, config, Path(tmp)))
    foreign = _fairness_rows() if _wants_fairness(args) else []
    seconds = time.perf_counter() - started
    host["loadavg_end"] = report.loadavg()
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
    report_path = args.report or (None if args.quick else DOCS)
    history_path = args.history or (None if args.quick else history.HISTORY)
    if report_path is not None:
        report.write(report_path, report.document(rows, host, seconds, args.quick))
        print(f"wrote {report_path}", file=sys.stderr)
    if history_path is not None:
        entries = [history.entry(r) for r in results] + [history.foreign_entry(r) for r in foreign]
        record = {
            "machine": host,
            "quick": args.quick,
            "seconds": round(seconds, 1),
            "rows": entries,
        }
        history.append(history_path, record)
        print(f"appended to {history_path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = _arguments(argv)
    if args.check:
        code, text = history.check(args.history or history.HISTORY)
        print(text)
        return code
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
