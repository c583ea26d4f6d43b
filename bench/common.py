"""What every benchmark shares: the result type, the run configuration and small helpers."""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

Row = dict[str, str]
Better = Literal["higher", "lower"]
ROW_KEYS = ("benchmark", "metric", "value", "baseline", "ratio", "target", "verdict", "notes")


@dataclass(frozen=True)
class Config:
    """Sizes and time budgets; :meth:`quick` is the smoke-test configuration."""

    workers: int = 10_000
    tasks: int = 100_000
    naive_seconds: float = 20.0
    http_requests: int = 4_000
    http_seconds: float = 20.0
    http_concurrency: int = 32
    latency_rate: float = 200.0
    latency_light_rate: float | None = 25.0
    latency_seconds: float = 15.0
    latency_workers: int = 100
    latency_warmup_seconds: float = 1.0
    # a stretch of the same load after the measured one, sampled by py-spy (None: none)
    latency_profile_seconds: float | None = 6.0
    memory_tasks: int = 100_000
    disk_tasks: int = 2_000
    backlog_tasks: int = 20_000
    many_workers: int = 5_000
    diagnose_requests: int = 400
    scaleout_seconds: float = 12.0
    # before the scale-out window: each workspace reaches its bound of tasks in flight
    scaleout_warmup_seconds: float = 2.0
    scaleout_processes: tuple[int, ...] = (1, 2, 3)
    # configurations measured in this order and then in reverse (1, 2, 3, 3, 2, 1), each
    # figure pooled over its rounds: a host that speeds up or slows down during the
    # run weighs on every configuration alike instead of on the last ones
    scaleout_rounds: int = 2
    # one more one-process run whose window py-spy samples (None: none): the pgqueuer row's
    # profile, never its figures (sampling slows the server)
    scaleout_profile_seconds: float | None = 6.0
    queue_seconds: float = 10.0  # PostgreSQL lifecycle vs pgqueuer, each side
    failover_warmup_seconds: float = 3.0
    quick: bool = False

    @classmethod
    def quick_config(cls) -> Config:
        """Tiny sizes: every benchmark runs once end to end; the figures mean nothing.

        The work is bounded by counts, not by how fast the machine is, so a loaded
        machine only makes the run slower, never makes it fail.
        """
        return cls(
            workers=50,
            tasks=300,
            naive_seconds=0.5,
            http_requests=40,
            http_seconds=2.0,
            http_concurrency=4,
            latency_rate=20.0,
            latency_light_rate=None,
            latency_seconds=1.0,
            latency_workers=5,
            latency_warmup_seconds=0.0,
            latency_profile_seconds=None,
            memory_tasks=300,
            disk_tasks=30,
            backlog_tasks=300,
            many_workers=60,
            diagnose_requests=20,
            scaleout_seconds=1.0,
            scaleout_warmup_seconds=0.3,
            scaleout_processes=(1, 2),
            scaleout_rounds=1,
            scaleout_profile_seconds=None,
            queue_seconds=1.0,
            failover_warmup_seconds=0.5,
            quick=True,
        )


def short_config() -> Config:
    """The CI profile (`python -m bench --check --short`): in-process benchmarks only (no
    server, no PostgreSQL), sizes small enough for a loaded 2-core machine yet large
    enough that each timed figure lasts tens of milliseconds (ratios, not speeds, are
    gated)."""
    return Config(
        workers=400,
        tasks=4_000,
        naive_seconds=1.0,
        memory_tasks=2_000,
        disk_tasks=100,
        backlog_tasks=2_000,
        many_workers=1_000,
        diagnose_requests=160,
        quick=True,
    )


@dataclass
class Result:
    """One measured figure, its same-run baseline and how to read the ratio."""

    benchmark: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    better: Better = "higher"
    notes: list[str] = field(default_factory=list)
    # issue 10's table: what the figure should reach, whether it did, and when it did not,
    # the measurement that shows why and what would fix it
    target: str = ""
    met: bool | None = None
    why_missed: str = ""
    # False when the ratio is not a stable quantity in this run (a saturated server's
    # latencies measure its queue, not its speed): recorded, never compared by the gate
    gated: bool = True

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def row(self) -> Row:
        ratio = self.ratio
        return {
            "benchmark": self.benchmark,
            "metric": self.metric,
            "value": fmt(self.value, self.unit),
            "baseline": "" if self.baseline is None else fmt(self.baseline, self.unit),
            "ratio": "" if ratio is None else f"{ratio:.2f}x",
            "target": self.target,
            "verdict": self.verdict,
            "notes": "; ".join(self.notes + self._missed_note()),
        }

    @property
    def verdict(self) -> str:
        return "" if self.met is None else "MET" if self.met else "MISSED"

    def _missed_note(self) -> list[str]:
        return [f"MISSED: {self.why_missed}"] if self.met is False and self.why_missed else []

    def judge(self, target: str, met: bool, why_missed: str = "") -> Result:
        """Record the target, the verdict and (for a miss) why; returns self for chaining."""
        self.target, self.met, self.why_missed = target, met, why_missed
        return self


def fmt(value: float, unit: str) -> str:
    """Human-readable with the unit (`12,345 res/s`, `3.2 ms`, `41.0 MiB`)."""
    if unit == "bytes":
        return f"{value / 2**20:,.1f} MiB"
    if unit == "s":
        if value < 0.01:
            return f"{value * 1000:.2f} ms"
        return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:,.2f} {unit}"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.seconds` (wall) and `sw.cpu` (this process)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0
        self._wall = 0.0
        self._cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


_open_windows = 0  # measuring() windows open now (they nest: a benchmark, then its run)


@contextlib.contextmanager
def measuring() -> Iterator[None]:
    """A timed window kept free of the measuring process's own pauses and of what the
    benchmarks before it left for the disk to do.

    The runner holds what every benchmark before set up (cores, SQLAlchemy, the twilio
    and httpx modules: 175k objects in a latency run alone); a full collection scanning
    them paused its loop for 130-150 ms, and every reply arriving meanwhile was stamped
    late, as if the server had been slow. `switchboard serve` freezes its own start-up
    objects the same way (switchboard/serving.py). Likewise the hundreds of megabytes an
    earlier benchmark wrote are flushed first, not on this window's time.
    """
    global _open_windows
    os.sync()
    gc.collect()
    gc.freeze()
    _open_windows += 1
    try:
        yield
    finally:
        _open_windows -= 1
        if not _open_windows:  # an inner window leaves the outer one's objects frozen
            gc.unfreeze()
